"""Alerts: rules, the spike decision, detection, notification emails and the rule preview. What the Alerts page
shows is in ``core.views.alerts``; the SQL is in ``core.repositories.alerts``."""

from core.alerts.detect import detect_alerts
from core.alerts.email import compose_alert_email, dashboard_links
from core.alerts.notify import recover_interrupted_sends, retry_alert_email, send_pending_alerts
from core.alerts.preview import RulePreview, preview_alert_rule
from core.alerts.rules import (
    MIN_COOLDOWN_HOURS,
    MODES,
    SCOPE_TYPES,
    delete_alert_rule,
    list_alert_rules,
    save_alert_rule,
    validate_alert_rule,
)
from core.alerts.workflow import (
    SNOOZE_PERIODS,
    acknowledge_alert,
    assign_alert,
    mark_false_alarm,
    reopen_alert,
    resolve_alert,
    snooze_alert,
)
from core.repositories.alerts import list_alerts

__all__ = [
    "MIN_COOLDOWN_HOURS",
    "MODES",
    "RulePreview",
    "SCOPE_TYPES",
    "SNOOZE_PERIODS",
    "acknowledge_alert",
    "assign_alert",
    "compose_alert_email",
    "dashboard_links",
    "delete_alert_rule",
    "detect_alerts",
    "list_alert_rules",
    "list_alerts",
    "mark_false_alarm",
    "preview_alert_rule",
    "recover_interrupted_sends",
    "reopen_alert",
    "resolve_alert",
    "retry_alert_email",
    "save_alert_rule",
    "send_pending_alerts",
    "snooze_alert",
    "validate_alert_rule",
]
