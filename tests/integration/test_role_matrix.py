"""Every state-changing core action, called as each role: allowed from its role up, refused below it
with a message naming the role needed, and the refusal audited. The pages only hide buttons; this
is the check that counts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from core.auth import PermissionDenied, acting_as, list_events
from core.auth.roles import ROLES, Actor
from core.storage import session_scope
from core.storage.tables import Article, Feed, utcnow

PASSWORD = "correct horse battery"


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


def _labelled_check():
    from core.nlp.datacheck import check_labelled_data

    rows = [(f"good news {i}", "pos") for i in range(6)] + [(f"bad news {i}", "neg") for i in range(6)]
    return check_labelled_data(pd.DataFrame(rows, columns=["text", "label"]), "text", "label")


def _actions(tmp: Path) -> dict[str, tuple[str, Callable[[str], object]]]:
    """name -> (lowest role allowed, call(role)); each call uses names unique to the role."""
    from core import auth
    from core.alerts import delete_alert_rule, retry_alert_email, save_alert_rule
    from core.config_file import apply_config
    from core.dashboard import fetch_now
    from core.feeds import add_feed, delete_feed, update_feed
    from core.nlp import registry
    from core.nlp.runs import queue_run, request_cancel
    from core.nlp.training import TrainingParams
    from core.recommend import store as rec_store
    from core.recommend.data import load_files
    from core.scoring import runs as scoring
    from core.sentiment.corrections import correct_label
    from core.support.assistant import record_feedback
    from core.support.kb import import_faq, rollback_kb
    from core.watchlists import delete_watchlist, save_watchlist
    from tests.integration.test_recommend_cli_store import ITEMS, interactions

    def scoring_upload(role: str) -> Path:
        path = tmp / f"score-{role}.csv"
        path.write_text("text\nProfit rose\n")
        return path

    faq = pd.DataFrame({"question": ["How do I reset my PIN?"], "answer": ["In the app, under Cards."]})
    (tmp / "r.csv").write_text(interactions())
    (tmp / "i.csv").write_text(ITEMS)
    rec_check, rec_mapping = load_files(tmp / "r.csv", tmp / "i.csv")
    config = tmp / "beacon.yaml"
    config.write_text("watchlists:\n  - {name: FromFile, companies: [Acme]}\n")
    return {
        "add a feed": ("admin", lambda r: add_feed(f"F-{r}", f"http://127.0.0.1:9/{r}.rss")),
        "change a feed": ("admin", lambda r: update_feed(_feed(f"C-{r}"), interval_minutes=30)),
        "delete a feed": ("admin", lambda r: delete_feed(_feed(f"D-{r}"))),
        "apply a configuration file": ("admin", lambda r: apply_config(config)),
        "fetch a feed now": ("analyst", lambda r: fetch_now(_feed(f"N-{r}"))),
        "save a watchlist": ("analyst", lambda r: save_watchlist(f"W-{r}", companies=["Acme"])),
        "delete a watchlist": ("analyst", lambda r: (save_watchlist(f"X-{r}", companies=["Acme"]) if r != "viewer" else None,
                                                     delete_watchlist(f"X-{r}"))),
        "save an alert rule": ("analyst", lambda r: save_alert_rule(f"R-{r}", "all", recipients="a@example.com")),
        "delete an alert rule": ("analyst", lambda r: delete_alert_rule(f"R-{r}")),
        "retry an alert email": ("analyst", lambda r: retry_alert_email(999_999)),
        "correct an item's label": ("analyst", lambda r: correct_label(_article_id(), "sentiment", "negative", ["negative", "positive"])),
        "start training": ("analyst", lambda r: queue_run(_labelled_check(), "sentiment", TrainingParams())),
        "cancel training": ("analyst", lambda r: request_cancel(queue_run(_labelled_check(), "sentiment", TrainingParams())
                                                                if r != "viewer" else 1)),
        "promote a model": ("admin", lambda r: registry.promote("sentiment", 1)),
        "roll back a model": ("admin", lambda r: registry.rollback("sentiment")),
        "create a user": ("admin", lambda r: auth.create_user(f"u-{r}", PASSWORD, "viewer")),
        "change a role": ("admin", lambda r: auth.set_role("victim", "admin")),
        "reset a password": ("admin", lambda r: auth.reset_password("victim", PASSWORD + "!")),
        "disable a user": ("admin", lambda r: auth.set_active("victim", True)),
        "read the audit log": ("admin", lambda r: auth.list_events()),
        "import an FAQ": ("analyst", lambda r: import_faq(f"KB-{r}", faq)),
        "roll back a knowledge base": ("analyst", lambda r: rollback_kb(f"KB-{r}")),
        "give feedback on an answer": ("viewer", lambda r: record_feedback(999_999, True)),
        "upload recommendation data": ("analyst", lambda r: rec_store.save_dataset(rec_check, f"D-{r}", "r.csv", "i.csv", rec_mapping)),
        "schedule a nightly export": ("analyst", lambda r: rec_store.set_nightly_export(999_999, True)),
        "upload a file for scoring": ("analyst", lambda r: scoring.save_upload(f"s-{r}.csv", b"text\nProfit rose\n")),
        "score a file": ("analyst", lambda r: scoring.create_run(scoring_upload(r), "s.csv", "text", ["sentiment"])),
        "cancel a scoring run": ("analyst", lambda r: scoring.request_cancel(999_999)),
        "resume a scoring run": ("analyst", lambda r: scoring.resume_run(999_999, launch=False)),
    }


TOLERATED = (LookupError, ValueError)  # allowed but with nothing to act on (e.g. no earlier model version)


@pytest.fixture
def world(tiny_models, tmp_path):
    from core import auth

    _feed()
    auth.create_user("victim", PASSWORD, "viewer")
    return _actions(tmp_path)


def test_every_action_checks_the_role_and_audits_refusals(world):
    refusals = 0
    for name, (needed, call) in world.items():
        for role in ROLES:
            allowed = Actor("x", role).can(needed)
            with acting_as(Actor(f"{role}-user", role)):
                if allowed:
                    try:
                        call(role)
                    except PermissionDenied as exc:
                        pytest.fail(f"{role} should be allowed to {name}: {exc}")
                    except TOLERATED:
                        pass
                else:
                    with pytest.raises(PermissionDenied, match=f"cannot .*; this needs the {needed} role"):
                        call(role)
                    refusals += 1
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
