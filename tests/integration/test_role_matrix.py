"""Every protected core action, called as each role: allowed from its role up, refused below it with a
message naming the role needed, and the refusal audited. The pages only hide buttons; this is the check
that counts.

The list of actions is not written by hand: it is every function decorated with ``@requires`` (recorded
in ``core.auth.roles.PROTECTED_ACTIONS`` once every core module is imported) and every function that calls
``require(...)`` itself (found in the source). Each must have a case below, or the test fails naming it."""

from __future__ import annotations

import ast
import importlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

import core
from core.auth import PermissionDenied, acting_as, list_events
from core.auth.roles import PROTECTED_ACTIONS, ROLES, Actor
from core.storage import session_scope
from core.storage.tables import Article, Feed, utcnow

PASSWORD = "correct horse battery"
CORE = Path(core.__file__).parent


def _core_modules() -> list[str]:
    """Every module of the core package (namespace sub-packages too), migrations aside."""
    names = []
    for path in sorted(CORE.rglob("*.py")):
        parts = ("core", *path.relative_to(CORE).with_suffix("").parts)
        if "migrations" not in parts:
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _calls_require(function: ast.FunctionDef) -> str | None:
    """The role a function asks for with a direct ``require(role, ...)`` call, if it makes one."""
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "require":
            role = node.args[0]
            assert isinstance(role, ast.Constant), f"{function.name}: require() needs a literal role to be checked here"
            return role.value
    return None


def protected_actions() -> dict[Callable, str]:
    """function -> the lowest role allowed, for every protected action in core."""
    found: dict[Callable, str] = {}
    for name in _core_modules():
        module = importlib.import_module(name)
        if name == "core.auth.roles":
            continue  # require and requires themselves
        for node in ast.parse(Path(module.__file__).read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and (role := _calls_require(node)) is not None:
                found[getattr(module, node.name)] = role
    for function in PROTECTED_ACTIONS:  # filled while the modules above were imported
        if function.__module__.split(".")[0] == "core":  # not the decorated examples of tests/unit/test_auth_roles.py
            found[function] = function.required_role
    return found


def _name(function: Callable) -> str:
    return f"{function.__module__}.{function.__qualname__}"


@dataclass(frozen=True)
class Case:
    """How to call one protected action as a role. ``setup(role)``, if given, runs first as an admin with that
    role's user name (so what it creates belongs to that user) and its result is passed to ``call`` instead of
    the role. ``expect`` is the input error every allowed role gets (nothing to act on); any other error fails."""

    call: Callable[[object], object]
    setup: Callable[[str], object] | None = None
    expect: type[Exception] | None = None


def _feed(name: str = "Seed") -> int:
    with session_scope() as session:
        feed = Feed(name=name, url=f"http://127.0.0.1:9/{name}.rss", topics=[])
        session.add(feed)
        session.flush()
        session.add(Article(feed_id=feed.id, guid="g", title="Profit rose", summary="", published_at=utcnow(),
                            sentiment="positive", scored_at=utcnow(), companies=[]))  # fmt: skip
        return feed.id


def _article_id() -> int:
    with session_scope() as session:
        return session.query(Article.id).first()[0]


_alerts_made = iter(range(1, 1_000_000))


def _alert(role: str, state: str = "open") -> int:
    """A fired alert of a new rule in ``state`` (for the alert workflow actions)."""
    from core.alerts import save_alert_rule
    from core.storage.tables import Alert

    rule_id = save_alert_rule(f"AW-{role}-{next(_alerts_made)}", "all")
    with session_scope() as session:
        alert = Alert(rule_id=rule_id, window_start=utcnow(), window_end=utcnow(), scope_label="all items", item_count=1,
                      negative_count=1, negative_share=1.0, reason="seeded", email_status="none", state=state)  # fmt: skip
        session.add(alert)
        session.flush()
        return alert.id


def _labelled_check():
    from core.nlp.datacheck import check_labelled_data

    rows = [(f"good news {i}", "pos") for i in range(6)] + [(f"bad news {i}", "neg") for i in range(6)]
    return check_labelled_data(pd.DataFrame(rows, columns=["text", "label"]), "text", "label")


def _cases(tmp: Path, tiny_trained: dict) -> dict[Callable, Case]:
    """protected function -> how to call it; each call uses names unique to the role."""
    from core import auth
    from core.alerts import delete_alert_rule, detect_alerts, retry_alert_email, save_alert_rule, send_pending_alerts
    from core.alerts.workflow import acknowledge_alert, assign_alert, mark_false_alarm, reopen_alert, resolve_alert, snooze_alert
    from core.auth.ownership import require_owner
    from core.config_file import apply_config
    from core.digests import delete_digest_subscription, retry_digest, save_digest_subscription, send_due_digests
    from core.feeds import add_feed, crawl_due_feeds, crawl_feed, delete_feed, update_feed, upsert_feed
    from core.feeds.opml import export_opml, import_opml
    from core.nlp import distil as distillation
    from core.nlp import registry
    from core.nlp import runs as training
    from core.nlp.defaults import install_default_models
    from core.nlp.training import TrainingParams
    from core.recommend import jobs as rec_jobs
    from core.recommend import store as rec_store
    from core.recommend.data import load_files
    from core.recommend.evaluate import EvalConfig, EvalResult
    from core.scoring import runs as scoring
    from core.sentiment import score_pending_articles
    from core.sentiment.corrections import correct_label
    from core.support.assistant import answered_now, ask, record_feedback
    from core.support.kb import delete_kb, import_faq, rollback_kb, set_team_threshold
    from core.views.financial_sentiment import fetch_all_now, fetch_now
    from core.watchlists import delete_watchlist, save_watchlist
    from tests.app.test_recommendations_page import ITEMS, interactions

    def scoring_upload(role: str) -> Path:
        path = tmp / f"score-{role}.csv"
        path.write_text("text\nProfit rose\n")
        return path

    def watchlist(role: str) -> str:
        save_watchlist(f"X-{role}", companies=["Acme"])
        return f"X-{role}"

    def alert_rule(role: str) -> str:
        save_alert_rule(f"RD-{role}", "all", recipients="a@example.com")
        return f"RD-{role}"

    def digest(role: str) -> str:
        save_digest_subscription(f"DD-{role}", "all", recipients="a@example.com")
        return f"DD-{role}"

    def finished_scoring_run(role: str) -> int:
        from core.storage.tables import ScoringRun

        run_id = scoring.create_run(scoring_upload(role), "s.csv", "text", ["sentiment"])
        with session_scope() as session:
            session.get(ScoringRun, run_id).status = "succeeded"  # created by the role's user: theirs to delete
        return run_id

    def finished_training_run(role: str) -> int:
        from core.storage.tables import TrainingRun

        run_id = training.queue_run(_labelled_check(), "sentiment", TrainingParams())
        with session_scope() as session:
            session.get(TrainingRun, run_id).status = "failed"  # queued by the role's user: theirs to delete
        return run_id

    def knowledge_base(role: str) -> str:
        import_faq(f"KA-{role}", faq)
        return f"KA-{role}"

    def knowledge_base_with_two_versions(role: str) -> str:
        import_faq(f"KR-{role}", faq)
        import_faq(f"KR-{role}", faq.assign(answer="In the app, under Cards, then PIN."))
        return f"KR-{role}"

    cases = itertools.count()

    def dataset(role: str) -> int:  # a version of its own for each case (the same data is saved once)
        return rec_store.save_dataset(rec_check, f"DS-{role}", "r.csv", "i.csv", {**rec_mapping, "case": next(cases)}).id

    faq = pd.DataFrame({"question": ["How do I reset my PIN?"], "answer": ["In the app, under Cards."]})
    (tmp / "r.csv").write_text(interactions())
    (tmp / "i.csv").write_text(ITEMS)
    rec_check, rec_mapping = load_files(tmp / "r.csv", tmp / "i.csv")
    rec_files = ("r.csv", (tmp / "r.csv").read_bytes()), ("i.csv", (tmp / "i.csv").read_bytes())
    config = tmp / "beacon.yaml"
    config.write_text("watchlists:\n  - {name: FromFile, companies: [Acme]}\n")
    no_shipped_models = tmp / "shipped"
    no_shipped_models.mkdir()
    return {
        # feeds and items
        add_feed: Case(lambda r: add_feed(f"F-{r}", f"http://127.0.0.1:9/{r}.rss")),
        upsert_feed: Case(lambda r: upsert_feed(f"U-{r}", f"http://127.0.0.1:9/u-{r}.rss")),
        update_feed: Case(lambda r: update_feed(_feed(f"C-{r}"), interval_minutes=30)),
        delete_feed: Case(lambda r: delete_feed(_feed(f"D-{r}"))),
        crawl_feed: Case(lambda r: crawl_feed(_feed(f"K-{r}"))),
        crawl_due_feeds: Case(lambda r: crawl_due_feeds()),
        fetch_now: Case(lambda r: fetch_now(_feed(f"N-{r}"))),
        fetch_all_now: Case(lambda r: fetch_all_now()),
        apply_config: Case(lambda r: apply_config(config)),
        import_opml: Case(lambda r: import_opml(f'<opml><body><outline text="O-{r}" xmlUrl="http://127.0.0.1:9/o-{r}.rss"/></body></opml>'.encode())),
        export_opml: Case(lambda r: export_opml()),
        score_pending_articles: Case(lambda r: score_pending_articles()),
        correct_label: Case(lambda r: correct_label(_article_id(), "sentiment", "negative", ["negative", "positive"])),
        # watchlists, alert rules, alerts
        save_watchlist: Case(lambda r: save_watchlist(f"W-{r}", companies=["Acme"])),
        delete_watchlist: Case(delete_watchlist, setup=watchlist),
        require_owner: Case(lambda r: require_owner("watchlist", f"O-{r}", None)),
        save_alert_rule: Case(lambda r: save_alert_rule(f"R-{r}", "all", recipients="a@example.com")),
        delete_alert_rule: Case(delete_alert_rule, setup=alert_rule),
        detect_alerts: Case(lambda r: detect_alerts()),
        send_pending_alerts: Case(lambda r: send_pending_alerts()),
        retry_alert_email: Case(lambda r: retry_alert_email(999_999), expect=LookupError),
        # digests
        save_digest_subscription: Case(lambda r: save_digest_subscription(f"DG-{r}", "all", recipients="a@example.com")),
        delete_digest_subscription: Case(delete_digest_subscription, setup=digest),
        send_due_digests: Case(lambda r: send_due_digests()),
        retry_digest: Case(lambda name: retry_digest(name, "1999-01-01"), setup=digest, expect=LookupError),
        acknowledge_alert: Case(acknowledge_alert, setup=_alert),
        assign_alert: Case(lambda alert: assign_alert(alert, "victim"), setup=_alert),
        snooze_alert: Case(lambda alert: snooze_alert(alert, "1 hour"), setup=_alert),
        resolve_alert: Case(resolve_alert, setup=_alert),
        mark_false_alarm: Case(mark_false_alarm, setup=_alert),
        reopen_alert: Case(reopen_alert, setup=lambda role: _alert(role, state="resolved")),
        # models and training
        install_default_models: Case(lambda r: install_default_models(no_shipped_models)),
        registry.register_version: Case(lambda r: registry.register_trained(tiny_trained["sentiment"], f"matrix-{r}")),
        registry.promote: Case(lambda r: registry.promote("sentiment", 1)),
        registry.rollback: Case(lambda r: registry.rollback("sentiment"), expect=LookupError),  # no earlier version
        registry.delete_version: Case(
            lambda v: registry.delete_version("sentiment", v),
            setup=lambda r: registry.register_trained(tiny_trained["sentiment"], "sentiment").version,
        ),
        training.queue_run: Case(lambda r: training.queue_run(_labelled_check(), "sentiment", TrainingParams())),
        training.request_cancel: Case(
            training.request_cancel, setup=lambda r: training.queue_run(_labelled_check(), "sentiment", TrainingParams())
        ),
        training.delete_run: Case(training.delete_run, setup=finished_training_run),
        training.queue_distil_run: Case(lambda r: training.queue_distil_run("sentiment", 1), expect=distillation.DistilDataError),
        training.stage_texts_file: Case(lambda r: training.stage_texts_file(f"t-{r}.csv", b"text\nProfit rose\n")),
        distillation.distil: Case(lambda r: distillation.distil("sentiment", 1, ["one text"]), expect=distillation.DistilDataError),
        # batch scoring
        scoring.save_upload: Case(lambda r: scoring.save_upload(f"s-{r}.csv", b"text\nProfit rose\n")),
        scoring.create_run: Case(lambda r: scoring.create_run(scoring_upload(r), "s.csv", "text", ["sentiment"])),
        scoring.request_cancel: Case(lambda r: scoring.request_cancel(999_999), expect=LookupError),
        scoring.resume_run: Case(lambda r: scoring.resume_run(999_999, launch=False), expect=LookupError),
        scoring.delete_run: Case(scoring.delete_run, setup=finished_scoring_run),
        # users and audit
        auth.create_user: Case(lambda r: auth.create_user(f"u-{r}", PASSWORD, "viewer")),
        auth.set_role: Case(lambda r: auth.set_role("victim", "admin")),
        auth.reset_password: Case(lambda r: auth.reset_password("victim", PASSWORD + "!")),
        auth.set_active: Case(lambda r: auth.set_active("victim", True)),
        auth.list_users: Case(lambda r: auth.list_users()),
        auth.admin_names: Case(lambda r: auth.admin_names()),
        auth.list_events: Case(lambda r: auth.list_events()),
        auth.count_events: Case(lambda r: auth.count_events()),
        auth.event_filter_choices: Case(lambda r: auth.event_filter_choices()),
        # customer service
        import_faq: Case(lambda r: import_faq(f"KB-{r}", faq)),
        rollback_kb: Case(rollback_kb, setup=knowledge_base_with_two_versions),
        delete_kb: Case(delete_kb, setup=knowledge_base),
        set_team_threshold: Case(lambda name: set_team_threshold(name, 0.7), setup=knowledge_base),
        ask: Case(lambda name: ask(name, "How do I reset my PIN?"), setup=knowledge_base),
        answered_now: Case(lambda name: answered_now(name, ["How do I reset my PIN?"]), setup=knowledge_base),
        record_feedback: Case(lambda r: record_feedback(999_999, True), expect=LookupError),
        # recommendations
        rec_store.save_dataset: Case(lambda r: rec_store.save_dataset(rec_check, f"D-{r}", "r.csv", "i.csv", rec_mapping)),
        rec_store.set_nightly_export: Case(lambda ds: rec_store.set_nightly_export(ds, True), setup=dataset),
        rec_store.delete_dataset: Case(rec_store.delete_dataset, setup=dataset),
        rec_store.save_evaluation: Case(
            lambda ds: rec_store.save_evaluation(ds, EvalResult(rows=[], meta={"protocol": "random", "seed": 1, "k": 10})), setup=dataset
        ),
        rec_jobs.queue_save: Case(lambda r: rec_jobs.queue_save(f"Q-{r}", *rec_files, rec_mapping, launch=False)),
        rec_jobs.queue_evaluate: Case(lambda ds: rec_jobs.queue_evaluate(ds, EvalConfig(), launch=False), setup=dataset),
        rec_jobs.cancel_job: Case(lambda r: rec_jobs.cancel_job(999_999), expect=LookupError),
    }


@pytest.fixture
def world(tiny_models, tiny_trained, tmp_path):
    from core import auth

    _feed()
    auth.create_user("victim", PASSWORD, "viewer")
    return _cases(tmp_path, tiny_trained)


def test_every_protected_action_has_a_case(world):
    protected = protected_actions()
    once_missed = {"ask", "crawl_due_feeds", "detect_alerts", "install_default_models", "register_version",
                   "score_pending_articles", "send_pending_alerts", "upsert_feed", "save_evaluation"}  # fmt: skip
    assert once_missed <= {f.__name__ for f in protected}
    missing = sorted(_name(f) for f in protected if f not in world)
    assert not missing, f"protected actions without a case in the role matrix: {', '.join(missing)}"
    unknown = sorted(_name(f) for f in world if f not in protected)
    assert not unknown, f"cases for functions that check no role: {', '.join(unknown)}"


def test_every_action_checks_the_role_and_audits_refusals(world):
    refusals = 0
    for function, needed in protected_actions().items():
        case = world[function]
        for role in ROLES:
            user = f"{role}-user"
            with acting_as(Actor(user, "admin")):
                argument = case.setup(role) if case.setup else role
            with acting_as(Actor(user, role)):
                if not Actor(user, role).can(needed):
                    with pytest.raises(PermissionDenied, match=f"cannot .*; this needs the {needed} role"):
                        case.call(argument)
                    refusals += 1
                elif case.expect is not None:
                    with pytest.raises(case.expect):
                        case.call(argument)
                else:
                    try:
                        case.call(argument)
                    except Exception as exc:
                        exc.add_note(f"{role} should be allowed to call {_name(function)}")
                        raise
    refused = [e for e in list_events(limit=1000) if e["outcome"] == "refused"]
    assert len(refused) == refusals
    assert {e["user"] for e in refused} <= {"viewer-user", "analyst-user"}


def test_refused_actions_change_nothing(world):
    from core.feeds import add_feed, list_feeds
    from core.nlp import registry

    before = [f.name for f in list_feeds()]
    with acting_as(Actor("ana", "analyst")), pytest.raises(PermissionDenied, match="needs the admin role"):
        add_feed("Sneaky", "http://127.0.0.1:9/sneaky.rss")
    with acting_as(Actor("vic", "viewer")), pytest.raises(PermissionDenied):
        registry.promote("sentiment", 1)
    assert [f.name for f in list_feeds()] == before
    assert registry.active_version("sentiment").version == 1


def test_an_analyst_changes_only_their_own_watchlists_and_rules(world):
    from core.alerts import save_alert_rule
    from core.watchlists import save_watchlist

    with acting_as(Actor("ana", "analyst")):
        save_watchlist("Ana's", companies=["Acme"])
        save_alert_rule("Ana's rule", "all", recipients="ana@example.com")
    with acting_as(Actor("bo", "analyst")):
        with pytest.raises(PermissionDenied, match="belongs to ana"):
            save_watchlist("Ana's", companies=["Other"])
        with pytest.raises(PermissionDenied, match="belongs to ana"):
            save_alert_rule("Ana's rule", "all", recipients="bo@example.com")
    save_watchlist("Ana's", companies=["Changed by an admin"])  # the tests act as an admin


def test_without_a_signed_in_user_nothing_changes(world, monkeypatch):
    from core.auth import roles
    from core.feeds import add_feed

    monkeypatch.setattr(roles, "_actor", roles.ContextVar("empty", default=None))
    monkeypatch.setattr(roles, "_process_actor", None)
    monkeypatch.setattr(roles, "_provider", None)
    with pytest.raises(PermissionDenied, match="sign in to add feeds"):
        add_feed("Anon", "http://127.0.0.1:9/anon.rss")


def test_allowed_actions_are_audited_with_the_user(world):
    from core.feeds import add_feed

    with acting_as(Actor("boss", "admin")):
        add_feed("Audited", "http://127.0.0.1:9/audited.rss")
    [event] = [e for e in list_events() if e["action"] == "feed added"]
    assert (event["user"], event["target"], event["outcome"]) == ("boss", "Audited", "ok")
