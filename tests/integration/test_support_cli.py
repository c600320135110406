"""CLI: `python -m core kb import` and `python -m core answer` (in-process, on the test database)."""

from __future__ import annotations

import json

from core.__main__ import main


def test_kb_import_answer_and_rollback(db, tmp_path, capsys) -> None:
    faq = tmp_path / "faq.csv"
    faq.write_text("question,answer\nHow do I reset my PIN?,Open the app and choose Reset PIN.\nWhere is my card?,\n")
    assert main(["kb", "import", "--name", "Cards", str(faq)]) == 0
    out = capsys.readouterr()
    assert "Cards: 1 added" in out.out and "line 3, column 'answer': empty answer" in out.err
    assert main(["kb", "list"]) == 0 and capsys.readouterr().out == "Cards: version 1, 1 entry, 1 version\n"

    # at the custom threshold 0.6, the default before the operating points (test_support_operating_point_cli tests those)
    assert main(["answer", "--kb", "Cards", "--threshold", "0.6", "I forgot my PIN, mail me at a.b@example.com"]) == 0
    decision = json.loads(capsys.readouterr().out)
    assert decision["action"] == "answer" and decision["answer"] == "Open the app and choose Reset PIN."
    assert decision["question"] == "I forgot my PIN, mail me at [EMAIL]"

    assert main(["answer", "--kb", "Cards", "Recommend a good pizza place in Rome"]) == 0
    assert json.loads(capsys.readouterr().out)["reasons"] == ["low similarity"]

    faq.write_text("question,answer\nHow do I reset my PIN?,Call us.\n")
    assert main(["kb", "import", "--name", "Cards", str(faq)]) == 0
    assert main(["kb", "rollback", "--name", "Cards"]) == 0
    assert "now version 3" in capsys.readouterr().out
    assert main(["answer", "--kb", "Missing", "hello"]) == 1
    assert "no knowledge base named 'Missing'; knowledge bases: Cards" in capsys.readouterr().err
    assert main(["answer", "--kb", "Crads", "hello"]) == 1
    assert "no knowledge base named 'Crads' (did you mean 'Cards'?); knowledge bases: Cards" in capsys.readouterr().err
    faq.write_text("question,answer\nHow do I close my account?,Write to us.\n")
    assert main(["kb", "import", "--name", " cards", str(faq)]) == 0  # another spelling of the same name
    assert capsys.readouterr().out.startswith("Cards: 1 added")
    assert main(["kb", "list"]) == 0 and capsys.readouterr().out.count("Cards") == 1  # one base, not two
    assert main(["answer", "--kb", "CARDS", "How do I close my account?"]) == 0
    assert json.loads(capsys.readouterr().out)["answer"] == "Write to us."

    assert main(["kb", "delete", "--name", "Cards"]) == 0
    assert "deleted Cards (4 versions)" in capsys.readouterr().out
    assert main(["kb", "list"]) == 0 and capsys.readouterr().out.startswith("no knowledge bases yet; import an FAQ with")
    assert main(["kb", "delete", "--name", "Cards"]) == 1
    assert "no knowledge base named 'Cards'; there are none yet" in capsys.readouterr().err
    assert main(["answer", "--kb", "Cards", "hello"]) == 1
    assert "there are none yet: import an FAQ first (python -m core kb import" in capsys.readouterr().err


def test_kb_import_does_not_guess_columns_by_position(db, tmp_path, capsys) -> None:
    from core.support.kb import list_kbs

    headlines = tmp_path / "headlines.csv"
    headlines.write_text("id,headline\n1,Profit rose sharply\n2,Shares fell\n")
    assert main(["kb", "import", "--name", "Cards", str(headlines)]) == 1
    assert capsys.readouterr().err == ("error: headlines.csv: no column is named 'question' or 'answer' (columns: id, "
                                       "headline); say which holds it: --question-column COL --answer-column COL\n")  # fmt: skip
    assert list_kbs() == []  # nothing imported: not ids as questions and headlines as answers
    german = tmp_path / "faq.csv"
    german.write_text("Frage;Antwort\nWo ist meine Karte?;Unterwegs.\n")
    assert main(["kb", "import", "--name", "Karten", str(german), "--question-column", "Frage"]) == 1
    assert "no column is named 'answer' (columns: Frage, Antwort); say which holds it: --answer-column COL" in capsys.readouterr().err
    assert main(["kb", "import", "--name", "Karten", str(german), "--question-column", "Frage", "--answer-column", "Antwort"]) == 0
    assert "Karten: 1 added" in capsys.readouterr().out
