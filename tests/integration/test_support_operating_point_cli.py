"""`python -m core answer ... --operating-point "answer more"|"balanced"|"be more careful"` (or --threshold for a custom
one; the two together are refused): the same question answered at one point and escalated at another, one question
and a file of them, the settings' point by default (in-process, on the test database, real encoder, no intent model)."""

from __future__ import annotations

import json

import pytest

from core.__main__ import main
from core.support import operating_points as points

FAQ = "question,answer\nHow do I reset my PIN?,Open the app and choose Reset PIN.\nWhat are your opening hours?,We are open 9 to 5.\n"
BETWEEN = "How do I change my PIN number?"  # its best match lies between the "answer more" and "be more careful" thresholds


@pytest.fixture
def bank(db, tmp_path, monkeypatch: pytest.MonkeyPatch, capsys):
    from core.settings import get_settings

    for name in ("BEACON_SUPPORT_OPERATING_POINT", "BEACON_SUPPORT_CONFIDENCE_THRESHOLD"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    faq = tmp_path / "faq.csv"
    faq.write_text(FAQ)
    assert main(["kb", "import", "--name", "Bank", str(faq)]) == 0
    capsys.readouterr()
    return "Bank"


def answer(capsys, *args: str) -> dict:  # noqa: ANN001
    assert main(["answer", "--kb", "Bank", *args, BETWEEN]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_operating_point_decides_one_question(bank, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.settings import get_settings

    more, careful = points.operating_point("answer more"), points.operating_point("be more careful")
    loose = answer(capsys, "--operating-point", "answer more")
    assert loose["action"] == "answer" and loose["operating_point"] == f"answer more (threshold {more.threshold:.2f})"
    assert more.threshold <= loose["confidence"] < careful.threshold  # the question lies between the two points
    strict = answer(capsys, "--operating-point", "be more careful")
    assert strict["action"] == "escalate" and strict["reasons"] == ["low similarity"]
    assert answer(capsys, "--threshold", "0.0")["operating_point"] == "custom threshold 0.00"

    monkeypatch.setenv("BEACON_SUPPORT_OPERATING_POINT", "be more careful")  # the settings' point is the default
    get_settings.cache_clear()
    assert answer(capsys)["action"] == "escalate"
    assert answer(capsys, "--operating-point", "answer more")["action"] == "answer"  # the flag wins over the setting


def test_a_bad_or_doubled_choice_is_refused_with_the_choices(bank, capsys) -> None:
    assert main(["answer", "--kb", "Bank", "--operating-point", "sometimes", BETWEEN]) == 2
    assert "unknown operating point 'sometimes'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["answer", "--kb", "Bank", "--operating-point", "balanced", "--threshold", "0.5", BETWEEN])
    assert exit_.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


def test_a_file_is_answered_at_the_chosen_point_and_the_summary_says_which(bank, tmp_path, capsys) -> None:
    questions, out = tmp_path / "past.csv", tmp_path / "answers.csv"
    questions.write_text(f"text\n{BETWEEN}\n")
    for point, summary in (("be more careful", "1 row: 0 answered, 1 escalated"), ("answer more", "1 row: 1 answered, 0 escalated")):
        args = ["answer", "--kb", "Bank", "--input", str(questions), "--text-column", "text", "--output", str(out)]
        assert main([*args, "--operating-point", point]) == 0
        threshold = points.operating_point(point).threshold
        assert f"{summary}; operating point: {point} (threshold {threshold:.2f})" in capsys.readouterr().out
