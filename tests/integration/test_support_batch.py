"""`python -m core answer --input ... --output ...`: every input row answered or escalated, in input order, with the
input's columns kept (in-process, on the test database, with the shipped models)."""

from __future__ import annotations

import csv

import pytest

from core.__main__ import main
from tests.support.accurate_encoder import assembled_fixture, shared_accurate_encoder_fixture  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("shared_accurate_encoder")  # the shipped sentiment model is on the accurate encoder

FAQ = (
    "question,answer\n"
    "How do I reset my PIN?,Open the app and choose Reset PIN.\n"
    "How can I block a lost card?,Call us at once and we block the card.\n"
    "What are your opening hours?,We are open 9 to 5 on weekdays.\n"
)


def import_bank(tmp_path, text: str = FAQ) -> None:  # noqa: ANN001 - Path
    """The 'Bank' knowledge base from ``text`` (an FAQ CSV), imported through the CLI."""
    faq = tmp_path / "faq.csv"
    faq.write_text(text)
    assert main(["kb", "import", "--name", "Bank", str(faq)]) == 0


def _rows(path) -> list[dict]:  # noqa: ANN001
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_answer_file_keeps_rows_order_and_columns(db, tmp_path, capsys) -> None:
    from core.nlp.defaults import install_default_models

    install_default_models()  # the shipped intent and sentiment models fill the intent and sentiment columns
    import_bank(tmp_path)
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(
        "ticket,text,expected\n"
        "t1,Recommend a good pizza place in Rome,\n"
        "t2,I forgot my PIN how do I reset it,Open the app and choose Reset PIN.\n"
        "t3,,\n"
        "t4,I lost my card please block it,We are open 9 to 5 on weekdays.\n"
        "t5,broken,row,with,too,many\n"
    )
    out = tmp_path / "answers.csv"
    assert main(["answer", "--kb", "Bank", "--input", str(tickets), "--text-column", "text", "--output", str(out),
                 "--expected-column", "expected"]) == 0  # fmt: skip
    printed = capsys.readouterr()
    assert "5 rows: 2 answered, 3 escalated; of the answered, 1 right and 1 wrong" in printed.out
    assert "line 6:" in printed.err
    rows = _rows(out)
    assert list(rows[0]) == ["ticket", "text", "expected", "action", "answer", "matched_question", "confidence", "reasons",
                             "intent", "sentiment", "correct"]  # fmt: skip
    assert [r["ticket"] for r in rows] == ["t1", "t2", "t3", "t4", ""]
    assert [r["action"] for r in rows] == ["escalate", "answer", "escalate", "answer", "escalate"]
    assert rows[0]["reasons"] == "low similarity" and rows[0]["answer"] == "Escalate to an agent."
    assert rows[1]["answer"] == "Open the app and choose Reset PIN." and rows[1]["matched_question"] == "How do I reset my PIN?"
    assert rows[1]["correct"] == "yes" and rows[3]["correct"] == "no" and rows[0]["correct"] == ""
    assert rows[2]["reasons"] == "empty question"
    assert rows[4]["reasons"].startswith("unreadable row (line 6:")
    assert rows[1]["intent"] and rows[1]["sentiment"] and float(rows[1]["confidence"]) > 0.6


def test_a_file_with_its_own_answer_column_keeps_it_beside_the_assistants(db, tmp_path, capsys) -> None:
    """Past tickets exported as "question, answer" (the agent's reply) were refused until the column was renamed."""
    import_bank(tmp_path)
    past = tmp_path / "past.csv"
    past.write_text("question,answer,input_answer\nHow do I reset my PIN?,Open the app and choose Reset PIN.,x\n")
    out = tmp_path / "answers.csv"
    assert main(["answer", "--kb", "Bank", "--input", str(past), "--text-column", "question", "--output", str(out),
                 "--expected-column", "answer", "--operating-point", "answer more"]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "your column 'answer' is 'input_answer_2' in the output, beside the assistant's" in printed
    [row] = _rows(out)
    assert list(row)[:4] == ["question", "input_answer_2", "input_answer", "action"]
    assert row["input_answer_2"] == "Open the app and choose Reset PIN." and row["input_answer"] == "x"
    assert row["answer"] == "Open the app and choose Reset PIN." and row["correct"] == "yes"  # checked against the file's column


def test_answer_file_bad_column_is_a_clear_error(db, tmp_path, capsys) -> None:
    import_bank(tmp_path)
    tickets = tmp_path / "tickets.csv"
    tickets.write_text("id,body\n1,How do I reset my PIN?\n")
    out = tmp_path / "answers.csv"
    assert main(["answer", "--kb", "Bank", "--input", str(tickets), "--text-column", "text", "--output", str(out)]) == 1
    assert "tickets.csv: no text column named 'text'; columns are: id, body" in capsys.readouterr().err
    assert not out.exists()
    assert main(["answer", "--kb", "Bank", "--input", str(tickets), "--output", str(out)]) == 2
    assert "--input needs --text-column COL and --output FILE" in capsys.readouterr().err


def test_an_empty_expected_answer_means_none_in_the_faq_and_every_threshold_is_counted(db, tmp_path, capsys) -> None:
    from core.support.batch import answer_file, read_answers
    from core.support.decision import Policy
    from core.support.threshold_effects import threshold_effects

    import_bank(tmp_path)
    past = tmp_path / "past.csv"
    past.write_text(
        "question,expected\n"
        "How do I reset my PIN?,Open the app and choose Reset PIN.\n"
        "What are your opening hours?,\n"  # the team says the FAQ has no answer to it: answering it is wrong
        "Recommend a good pizza place in Rome,\n"
        "How can I block a lost card?,We are open 9 to 5 on weekdays.\n"
    )
    out = tmp_path / "answers.csv"
    report = answer_file("Bank", past, "question", out, "expected", Policy.for_operating_point("custom", 0.5))
    assert [r["correct"] for r in read_answers(out)] == ["yes", "no", "", "no"]
    assert (report.checked, report.right, report.wrong) == (True, 1, 2)
    [at_used] = threshold_effects(report.outcomes, [report.threshold]).to_dict("records")
    assert (at_used["answered"], at_used["right"], at_used["wrong"]) == (report.answered, report.right, report.wrong)
    [at_top] = threshold_effects(report.outcomes, [1.01]).to_dict("records")
    assert (at_top["answered"], at_top["escalated"], at_top["checked"]) == (0, 4, 4)
    assert report.not_in_kb == []  # line 5's expected answer is another entry's answer: wrong, but an FAQ answer

    assert main(["answer", "--kb", "Bank", "--input", str(past), "--text-column", "question", "--output", str(out),
                 "--expected-column", "expected", "--threshold", "0.5"]) == 0  # fmt: skip
    assert "Only 4 past questions with the expected answer column: add at least 20" in capsys.readouterr().out

    past.write_text("question,expected\nHow do I reset my PIN?,Sure! Just reset it in the app :)\n"
                    "What are your opening hours?,\"open the app and choose reset pin\"\n")  # an agent's reply; the FAQ's, restyled
    assert main(["answer", "--kb", "Bank", "--input", str(past), "--text-column", "question", "--output", str(out),
                 "--expected-column", "expected"]) == 0  # fmt: skip
    assert ("warning: 1 expected answer is not an answer of the knowledge base 'Bank' (line 2): those questions can never "
            "be answered right.") in capsys.readouterr().err


def test_an_expected_answer_may_name_the_faq_entry_by_its_question(db, tmp_path) -> None:
    """Teams often list the FAQ entry a past question belongs to by the entry's question: that counts as its answer."""
    from core.support.batch import answer_file, read_answers
    from core.support.decision import Policy

    import_bank(tmp_path)
    past = tmp_path / "past.csv"
    past.write_text(
        "question,expected\n"
        "I forgot my PIN how do I reset it,how do I reset my pin\n"  # the entry's question, restyled
        "I lost my card please block it,What are your opening hours?\n"  # another entry's question: answered wrong
        "My card was stolen,How can I block a lost card?\n"
    )
    out = tmp_path / "answers.csv"
    report = answer_file("Bank", past, "question", out, "expected", Policy.for_operating_point("custom", 0.0))
    rows = read_answers(out)
    assert [r["correct"] for r in rows] == ["yes", "no", "yes"]
    assert rows[0]["expected"] == "how do I reset my pin"  # the input's cell is kept as it was
    assert (report.right, report.wrong, report.not_in_kb, report.expected_in_kb) == (2, 1, [], 3)


def test_an_expected_answer_column_never_filled_in_checks_nothing_and_says_so(db, tmp_path, capsys) -> None:
    from core.support.batch import answer_file, read_answers
    from core.support.decision import Policy
    from core.views.customer_service import expected_answers_problem

    import_bank(tmp_path)
    past = tmp_path / "past.csv"
    past.write_text("question,expected\nHow do I reset my PIN?,\nHow can I block a lost card?, \n")
    out = tmp_path / "answers.csv"
    report = answer_file("Bank", past, "question", out, "expected", Policy.for_operating_point("custom", 0.5))
    assert report.answered == 2 and (report.checked, report.right, report.wrong) == (False, 0, 0)  # not "2 wrong"
    assert "correct" not in read_answers(out)[0]
    assert "the expected answer column 'expected' is empty in every row, so no answer was checked" in report.summary()
    assert expected_answers_problem(report, "Bank").startswith("The expected answer column 'expected' is empty in every row")
    assert main(["answer", "--kb", "Bank", "--input", str(past), "--text-column", "question", "--output", str(out),
                 "--expected-column", "expected", "--threshold", "0.5"]) == 0  # fmt: skip
    printed = capsys.readouterr()
    assert "warning: The expected answer column 'expected' is empty in every row" in printed.err
    assert "past questions with the expected answer column" not in printed.out  # no threshold advice from nothing


def test_missed_questions_whose_answer_is_in_the_faq_are_added_as_new_wordings(db, tmp_path) -> None:
    from core.support.assistant import ask
    from core.support.batch import add_wordings, answer_file, missed_wordings
    from core.support.decision import Policy
    from core.support.kb import kb_entries

    import_bank(tmp_path, "question,answer,category\n" + "\n".join(FAQ.splitlines()[1:]).replace("\n", ",cards\n") + ",cards\n")
    past = tmp_path / "past.csv"
    past.write_text(
        "question,expected\n"
        "How do I reset my PIN?,Open the app and choose Reset PIN.\n"  # answered right: nothing to learn
        "my plastic went missing what now,Call us at once and we block the card.\n"  # missed, answer in the FAQ
        "my plastic went missing what now,Call us at once and we block the card.\n"  # the same wording once
        "Recommend a good pizza place in Rome,\n"  # no answer in the FAQ: nothing to add
        "is the branch open on saturday,We open on Saturdays from 10.\n"  # an answer the FAQ does not hold
        "How can I block a lost card?,We are open 9 to 5 on weekdays.\n"  # an FAQ question: never re-answered
    )
    out = tmp_path / "answers.csv"
    policy = Policy.for_operating_point("custom", 0.9)
    report = answer_file("Bank", past, "question", out, "expected", policy)
    wordings = missed_wordings("Bank", report)
    assert wordings == [{"question": "my plastic went missing what now", "answer": "Call us at once and we block the card.",
                         "category": "cards"}]  # fmt: skip

    report = add_wordings("Bank", wordings)
    assert (report.added, report.version) == (["my plastic went missing what now"], 2)
    entries = kb_entries("Bank")
    assert len(entries) == 4 and "my plastic went missing what now" in entries["question"].tolist()
    result = ask("Bank", "my plastic went missing what now", policy=policy, log=False)
    assert result.decision.action == "answer" and result.answer == "Call us at once and we block the card."
    assert missed_wordings("Bank", answer_file("Bank", past, "question", out, "expected", policy)) == []


def test_wordings_are_not_added_to_a_knowledge_base_deleted_since(db, tmp_path) -> None:
    from core.support.batch import add_wordings
    from core.support.kb import delete_kb, list_kbs

    import_bank(tmp_path)
    delete_kb("Bank")
    wording = {"question": "my plastic went missing what now", "answer": "Call us at once and we block the card.", "category": ""}
    with pytest.raises(LookupError, match="'Bank' no longer exists"):
        add_wordings("Bank", [wording])
    assert list_kbs() == []  # not re-created holding only the new wording
