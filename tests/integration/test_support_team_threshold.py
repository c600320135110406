"""A knowledge base's team threshold: set once from the Past questions tab (or here), used by everyone's questions
to that base that do not choose their own threshold (ask, batch answering, the command line), audited."""

from __future__ import annotations

import json

import pytest

from core.__main__ import main
from core.auth import Actor, PermissionDenied, acting_as, list_events
from core.support.kb import policy_for, set_team_threshold, team_threshold
from tests.integration.test_support_batch import import_bank


def test_a_team_threshold_is_what_questions_without_their_own_get(db, tmp_path, capsys):
    import_bank(tmp_path)
    default = policy_for("Bank")
    assert team_threshold("Bank") is None
    with acting_as(Actor("ana", "analyst")):
        said = set_team_threshold("Bank", 0.7777)
    assert said == "0.78 is now the team threshold of Bank: everyone's questions to it are answered at it by default."
    team = team_threshold("Bank")
    assert (team.value, team.set_by) == (0.78, "ana")
    assert (policy_for("Bank").confidence_threshold, policy_for("Bank").operating_point) == (0.78, "team")
    assert policy_for("Other") == default  # another base keeps the settings' policy

    capsys.readouterr()
    assert main(["answer", "--kb", "Bank", "How do I reset my PIN?"]) == 0
    assert json.loads(capsys.readouterr().out)["operating_point"] == "team threshold 0.78"  # the command line follows it
    assert main(["answer", "--kb", "Bank", "--threshold", "0.3", "How do I reset my PIN?"]) == 0
    assert json.loads(capsys.readouterr().out)["operating_point"] == "custom threshold 0.30"  # one asked for still wins
    from core.support.assistant import interaction_log

    assert interaction_log(2, "Bank")["policy"].tolist() == ["custom threshold 0.30", "team threshold 0.78"]  # newest first

    with acting_as(Actor("ana", "analyst")):
        assert "has no team threshold any more" in set_team_threshold("Bank", None)
    assert team_threshold("Bank") is None and policy_for("Bank") == default
    events = [(e["action"], e["target"], e["detail"]) for e in list_events() if "threshold" in e["action"]]
    assert events == [("knowledge base threshold cleared", "Bank", {}),
                      ("knowledge base threshold set", "Bank", {"threshold": 0.78, "basis": "by hand"})]  # fmt: skip


def test_a_team_threshold_must_be_a_share_set_by_an_analyst_on_a_base_that_exists(db, tmp_path):
    import_bank(tmp_path)
    with acting_as(Actor("ana", "analyst")):
        with pytest.raises(ValueError, match="between 0 and 1, not 1.5"):
            set_team_threshold("Bank", 1.5)
        with pytest.raises(LookupError, match="no knowledge base named 'Nope'"):
            set_team_threshold("Nope", 0.5)
    with acting_as(Actor("vera", "viewer")), pytest.raises(PermissionDenied):
        set_team_threshold("Bank", 0.5)
    assert team_threshold("Bank") is None


def test_a_ticket_analysis_answers_at_the_team_threshold_and_says_so(db, tmp_path):
    import pandas as pd

    from core.support.tickets import analyse_tickets

    import_bank(tmp_path)
    tickets = pd.DataFrame({"message": ["How do I reset my PIN?", "my card never came", "What time is it on Mars?"]})
    before = analyse_tickets(tickets, "message", kb_name="Bank")
    assert before.operating_point == policy_for("Bank").describe() and not before.operating_point.startswith("custom")
    with acting_as(Actor("ana", "analyst")):
        set_team_threshold("Bank", 0.0)  # every match answered
    after = analyse_tickets(tickets, "message", kb_name="Bank")
    assert after.operating_point == "team threshold 0.00"
    assert after.deflection_rate >= before.deflection_rate
    assert analyse_tickets(tickets, "message").operating_point == ""  # no knowledge base, no policy


def test_a_threshold_picked_on_past_questions_says_how_many_and_one_set_by_hand_says_so(db, tmp_path):
    import_bank(tmp_path)
    with acting_as(Actor("ana", "analyst")):
        set_team_threshold("Bank", 0.48, checked=25)
    assert (team_threshold("Bank").checked, team_threshold("Bank").by_hand) == (25, False)
    with acting_as(Actor("ana", "analyst")):
        set_team_threshold("Bank", 0.5)  # by hand: what it rested on before no longer holds
    assert (team_threshold("Bank").value, team_threshold("Bank").checked, team_threshold("Bank").by_hand) == (0.5, None, True)
    with acting_as(Actor("ana", "analyst")):
        set_team_threshold("Bank", None)
        set_team_threshold("Bank", 0.6)
    assert team_threshold("Bank").checked is None
    details = [e["detail"] for e in reversed(list_events()) if e["action"] == "knowledge base threshold set"]
    assert details == [{"threshold": 0.48, "basis": "25 past questions"}, {"threshold": 0.5, "basis": "by hand"},
                       {"threshold": 0.6, "basis": "by hand"}]  # fmt: skip


def test_a_threshold_set_by_hand_and_later_measured_at_the_same_value_says_it_stays(db, tmp_path):
    import_bank(tmp_path)
    with acting_as(Actor("ana", "analyst")):
        set_team_threshold("Bank", 0.5)
        said = set_team_threshold("bank", 0.5, checked=25)
        changed = set_team_threshold("Bank", 0.55, checked=25)
    assert said == "0.50 stays the team threshold of Bank, now measured: it rests on 25 past questions with their expected answers " \
        "instead of being set by hand."  # fmt: skip
    assert changed.startswith("0.55 is now the team threshold of Bank")
    assert (team_threshold("Bank").checked, team_threshold("Bank").by_hand) == (25, False)


def test_the_command_line_sets_lists_and_clears_a_team_threshold(db, tmp_path, capsys):
    import_bank(tmp_path)
    capsys.readouterr()
    assert main(["kb", "threshold", "--name", " bank", "0.45"]) == 0  # names ignore capitals and spaces, as on import
    assert capsys.readouterr().out.startswith("0.45 is now the team threshold of Bank")
    assert team_threshold("Bank").value == 0.45 and team_threshold("Bank").by_hand
    assert main(["kb", "list"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("team threshold 0.45")
    assert main(["kb", "threshold", "--name", "Bank", "2"]) == 1
    assert "between 0 and 1, not 2" in capsys.readouterr().err
    assert team_threshold("Bank").value == 0.45  # a refused value changes nothing
    assert main(["kb", "threshold", "--name", "Bank", "--clear"]) == 0
    assert "has no team threshold any more" in capsys.readouterr().out
    assert team_threshold("Bank") is None


def test_the_command_line_makes_the_threshold_suggested_on_past_questions_the_team_threshold(db, tmp_path, capsys):
    import_bank(tmp_path)
    known = [("How do I reset my PIN?", "Open the app and choose Reset PIN."),
             ("What are your opening hours?", "We are open 9 to 5 on weekdays."),
             ("How can I block a lost card?", "Call us at once and we block the card.")]  # fmt: skip
    unknown = ["What is the weather on Mars tomorrow?", "Recommend a pizza place in Rome", "Who won the match last night?",
               "Is the museum open on Sundays?", "What rhymes with orange?", "How tall is Mount Everest?"]  # fmt: skip
    past = tmp_path / "past.csv"
    past.write_text("question,expected\n" + "".join(f"{q},{a}\n" for q, a in known * 6) + "".join(f"{q},\n" for q in unknown))
    out = tmp_path / "answers.csv"
    command = ["answer", "--kb", "Bank", "--input", str(past), "--text-column", "question", "--output", str(out)]

    capsys.readouterr()
    assert main([*command, "--make-team-threshold"]) == 2  # nothing to pick it on
    assert "--make-team-threshold needs --input FILE with --expected-column COL" in capsys.readouterr().err
    assert main([*command, "--expected-column", "expected", "--make-team-threshold"]) == 0
    printed = capsys.readouterr().out
    suggested = float(printed.split("On your 24 past questions, threshold ")[1].split(" ")[0])
    assert f"{suggested:.2f} is now the team threshold of Bank" in printed
    team = team_threshold("Bank")
    assert (team.value, team.checked, team.by_hand) == (suggested, 24, False)

    past.write_text("question,expected\nHow do I reset my PIN?,Open the app and choose Reset PIN.\n")  # too few to suggest one
    assert main([*command, "--expected-column", "expected", "--make-team-threshold"]) == 1
    assert "no suggested threshold to make the team threshold" in capsys.readouterr().err
    assert team_threshold("Bank") == team  # unchanged
