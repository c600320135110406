"""The data check before training: every problem a labelled file can have gets its own message."""

from __future__ import annotations

import pandas as pd
import pytest

from core.nlp.datacheck import (
    LabelledFileError,
    check_labelled_data,
    data_fingerprint,
    read_labelled_file,
    suggest_columns,
)


def frame(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["text", "label"])


def balanced(n: int = 5) -> list[tuple[str, str]]:
    return [(f"good news number {i}", "pos") for i in range(n)] + [(f"bad news number {i}", "neg") for i in range(n)]


def test_a_clean_file_passes_with_counts():
    check = check_labelled_data(frame(balanced()), "text", "label")
    assert check.ok and check.problems == [] and check.warnings == []
    assert check.rows_total == check.rows_kept == 10
    assert check.class_counts == {"neg": 5, "pos": 5}
    assert check.dropped.empty


def test_empty_texts_and_labels_are_dropped_with_their_row_numbers():
    rows = balanced() + [("   ", "pos"), ("no label here", "")]
    check = check_labelled_data(frame(rows), "text", "label")
    assert check.ok
    assert check.dropped[["row", "reason"]].values.tolist() == [[12, "empty text"], [13, "empty label"]]
    assert "2 of 12 rows will be dropped (1 empty text, 1 empty label)" in check.warnings


def test_a_text_with_two_labels_is_dropped_entirely():
    rows = balanced() + [("profit flat", "pos"), ("profit flat", "neg")]
    check = check_labelled_data(frame(rows), "text", "label")
    conflicts = check.dropped[check.dropped["text"] == "profit flat"]
    assert conflicts["row"].tolist() == [12, 13]
    assert set(conflicts["reason"]) == {"text appears with labels neg and pos"}
    assert "profit flat" not in check.texts


def test_repeated_texts_keep_the_first_row():
    rows = balanced() + [("good news number 0", "pos")]
    check = check_labelled_data(frame(rows), "text", "label")
    assert check.dropped[["row", "reason"]].values.tolist() == [[12, "duplicate of row 2"]]
    assert check.texts.count("good news number 0") == 1
    assert check.ok


def test_a_class_with_too_few_examples_blocks_training_and_says_how_many_are_needed():
    rows = balanced() + [("rates unchanged", "neutral"), ("meeting on Tuesday", "neutral")]
    check = check_labelled_data(frame(rows), "text", "label", min_per_class=5)
    assert not check.ok
    assert check.problems == ["class 'neutral' has 2 usable examples; at least 5 are needed (add 3 more or remove the class)"]


def test_a_class_with_too_few_examples_can_be_left_out_with_its_rows_listed():
    rows = balanced() + [("rates unchanged", "neutral"), ("meeting on Tuesday", "neutral"), ("rates unchanged", "neutral")]
    check = check_labelled_data(frame(rows), "text", "label", min_per_class=5, leave_out_small=True)
    assert check.ok and "neutral" not in check.class_counts and "rates unchanged" not in check.texts
    assert check.dropped[["row", "reason"]].values.tolist() == [
        [12, "class left out: 2 usable examples of the 5 needed"],
        [13, "class left out: 2 usable examples of the 5 needed"],
        [14, "duplicate of row 12"],  # counted after duplicates go
    ]
    assert "3 of 13 rows will be dropped (2 in classes left out, 1 duplicate text)" in check.warnings[0]


def test_leaving_out_the_small_classes_can_leave_too_few_to_train():
    rows = [(f"good {i}", "pos") for i in range(6)] + [("bad", "neg")]
    check = check_labelled_data(frame(rows), "text", "label", leave_out_small=True)
    assert "training needs at least 2 classes; the usable rows have 1" in check.problems


def test_one_class_is_not_enough():
    check = check_labelled_data(frame([(f"text {i}", "only") for i in range(8)]), "text", "label")
    assert not check.ok
    assert "training needs at least 2 classes; the usable rows have 1" in check.problems


def test_labels_that_differ_from_the_active_version_are_named():
    check = check_labelled_data(frame(balanced()), "text", "label", known_labels=["neg", "neutral", "pos"])
    assert any("not in this file: neutral" in w for w in check.warnings)
    bank = [f"intent_{i:02d}" for i in range(77)]
    [warning] = check_labelled_data(frame(balanced()), "text", "label", known_labels=bank).warnings
    assert "; not in this file: intent_00, intent_01, " in warning and "intent_09 and 67 more (the new version" in warning


def test_tasks_whose_labels_beacon_reads_take_only_those_labels():
    bullish = [(t, {"pos": "bullish", "neg": "bearish"}[lab]) for t, lab in balanced()]
    check = check_labelled_data(frame(bullish), "text", "label", task="sentiment", known_labels=["negative", "positive"])
    assert not check.ok and not [w for w in check.warnings if "labels differ" in w]  # the refusal says it all
    assert check.problems == [
        "the sentiment task's labels are read by news monitoring, trends and alerts, which know negative, neutral, "
        "positive; these labels are not among them: bearish, bullish. Rename them in the file (for example bearish "
        "to negative), or choose a new task to train your own labels"]  # fmt: skip
    no_negative = [(t, {"pos": "positive", "neg": "neutral"}[lab]) for t, lab in balanced()]
    problems = check_labelled_data(frame(no_negative), "text", "label", task="customer_sentiment").problems
    assert "read by customer service" in problems[0] and "the label 'negative' is missing" in problems[0]
    two = [(t, {"pos": "positive", "neg": "negative"}[lab]) for t, lab in balanced()]
    assert check_labelled_data(frame(two), "text", "label", task="sentiment").ok  # neutral may be left out
    assert check_labelled_data(frame(bullish), "text", "label", task="market view").ok  # a task of the user's own
    assert check_labelled_data(frame(bullish), "text", "label", task="topic").ok


def test_sentiment_written_as_minus_one_zero_one_or_abbreviated_is_read_as_beacons_labels():
    signs = [(t, {"pos": "1", "neg": "-1"}[lab]) for t, lab in balanced()] + [(f"flat news {i}", "0") for i in range(5)]
    check = check_labelled_data(frame(signs), "text", "label", task="sentiment")
    assert check.ok and set(check.class_counts) == {"negative", "neutral", "positive"}
    assert "the file's sentiment labels are read as Beacon's: '-1' as 'negative', '0' as 'neutral', '1' as 'positive'" in check.warnings
    short = [(t, {"pos": "Pos", "neg": "neg"}[lab]) for t, lab in balanced()]
    assert set(check_labelled_data(frame(short), "text", "label", task="customer_sentiment").class_counts) == {"negative", "positive"}
    codes = [(t, {"pos": "1", "neg": "0"}[lab]) for t, lab in balanced()]  # 0/1: which is which differs between datasets
    [problem] = check_labelled_data(frame(codes), "text", "label", task="sentiment").problems
    assert "these labels are not among them: 0, 1. Rename them in the file (codes such as 0, 1, 2 mean different" in problem
    assert set(check_labelled_data(frame(signs), "text", "label", task="rating").class_counts) == {"-1", "0", "1"}  # own task


def test_labels_written_with_other_capitals_or_spaces_are_one_label_spelled_as_the_task_knows_it():
    shouting = [(t, {"pos": "Positive", "neg": "NEGATIVE"}[lab]) for t, lab in balanced()] + [("flat news", " neutral ")]
    check = check_labelled_data(frame(shouting), "text", "label", task="sentiment", min_per_class=1)
    assert check.ok and check.class_counts == {"negative": 5, "neutral": 1, "positive": 5}
    assert check.warnings == ["labels written with other capitals or spaces are read as one label: 'Positive' as 'positive', "
                              "'NEGATIVE' as 'negative'"]  # fmt: skip
    mixed = [("refund please", "Billing"), ("card lost", "cards"), ("charged twice", "billing"), ("wrong fee", "billing"),
             ("same text", "Billing"), ("same text", "billing  "), ("new card", "Cards"), ("pin", "cards")]  # fmt: skip
    check = check_labelled_data(frame(mixed), "text", "label", min_per_class=1)
    assert check.class_counts == {"billing": 4, "cards": 3}  # the file's most used spelling; "same text" is a duplicate, no conflict
    assert "duplicate" in check.dropped["reason"].iloc[0] and "conflicting" not in " ".join(check.warnings)
    check = check_labelled_data(frame(mixed), "text", "label", min_per_class=1, known_labels=["Billing", "Cards"])
    assert check.class_counts == {"Billing": 4, "Cards": 3} and not [w for w in check.warnings if "labels differ" in w]


def test_a_column_named_with_other_capitals_or_a_typo_is_suggested():
    from core.scoring.reading import no_column

    assert no_column("Text", ["text", "id"]) == "no column named 'Text'; columns are: text, id (did you mean 'text'?)"
    assert no_column("headlin", ["headline", "id"]).endswith("(did you mean 'headline'?)")
    assert no_column("body", ["headline", "id"]) == "no column named 'body'; columns are: headline, id"


def test_missing_or_identical_columns_are_refused():
    with pytest.raises(LabelledFileError, match="no column named 'label'; columns are: text, tag"):
        check_labelled_data(pd.DataFrame({"text": ["a"], "tag": ["b"]}), "text", "label")
    with pytest.raises(LabelledFileError, match="must be different"):
        check_labelled_data(frame(balanced()), "text", "text")


def test_the_fingerprint_ignores_row_order_but_not_labels():
    texts, labels = ["a", "b"], ["x", "y"]
    assert data_fingerprint(texts, labels) == data_fingerprint(texts[::-1], labels[::-1])
    assert data_fingerprint(texts, labels) != data_fingerprint(texts, ["y", "x"])


def test_reading_files(tmp_path):
    semicolons = "sentence;label\nUmsatz stieg;pos\nVerlust;neg\n".encode("latin-1")
    table = read_labelled_file(semicolons, "de.csv")
    assert list(table.columns) == ["sentence", "label"] and table["sentence"].tolist() == ["Umsatz stieg", "Verlust"]
    bom = "\ufefftext,label\nhello,x\n".encode()
    assert list(read_labelled_file(bom).columns) == ["text", "label"]
    with pytest.raises(LabelledFileError, match="empty.csv: the file is empty"):
        read_labelled_file(b"  \n", "empty.csv")
    with pytest.raises(LabelledFileError, match="file not found"):
        read_labelled_file(tmp_path / "missing.csv")


@pytest.mark.parametrize("content", [b"text\nI lost my card\nWhere is my money\n", b"headline\nShares fall\n", b"message\n"])
def test_a_one_column_file_stays_one_column(content):
    # a free delimiter guess split "text" at its "x" into 'Unnamed: 0', 'ex', 'Unnamed: 2'
    table = read_labelled_file(content, "one.csv")
    assert list(table.columns) == [content.split(b"\n")[0].decode()]
    assert table.iloc[:, 0].tolist() == [line.decode() for line in content.split(b"\n")[1:] if line]


def test_pipe_separated_files_are_read():
    assert read_labelled_file(b"text|label\nhello, world|x\n").to_dict("records") == [{"text": "hello, world", "label": "x"}]


def test_column_suggestions():
    table = pd.DataFrame({"id": ["1", "2"], "body": ["a long customer message", "another long one"], "intent": ["a", "b"]})
    assert suggest_columns(table) == ("body", "intent")
    news = pd.DataFrame({"headline": ["Profit rose sharply", "Shares fell after a warning", "Sales were flat"],
                         "source": ["wire", "wire", "wire"], "sentiment": ["positive", "negative", "neutral"]})  # fmt: skip
    assert suggest_columns(news) == ("headline", "sentiment")  # not the one-value source column
    unnamed = news.rename(columns={"sentiment": "grade"})
    assert suggest_columns(unnamed) == ("headline", "grade")  # fewest values, but two at least


def test_uploads_over_the_size_or_row_limit_are_refused(monkeypatch):
    from core.nlp import datacheck
    from core.settings import get_settings

    monkeypatch.setenv("BEACON_UPLOAD_MAX_MB", "0.001")
    get_settings.cache_clear()
    try:
        with pytest.raises(LabelledFileError, match="big.csv: .* MB is over the upload limit of 0.001 MB"):
            read_labelled_file(b"text,label\n" + b"x,y\n" * 1000, "big.csv")
    finally:
        monkeypatch.delenv("BEACON_UPLOAD_MAX_MB")
        get_settings.cache_clear()
    monkeypatch.setattr(datacheck, "MAX_TRAINING_ROWS", 3)
    with pytest.raises(LabelledFileError, match="4 rows is over the limit of 3 training rows"):
        read_labelled_file(b"text,label\na,x\nb,x\nc,y\nd,y\n", "rows.csv")


def workbook_bytes(rows: list[list]) -> bytes:
    """An .xlsx file whose first sheet holds these rows (the first is the header)."""
    import io

    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_excel_workbook_is_read_like_a_csv():
    data = workbook_bytes([["text", "label", "score"], ["Profit up", "positive", 1], ["Loss widens", "negative", 2.5],
                           ["No label", None, None]])
    table = read_labelled_file(data, "labelled.xlsx")
    assert table.to_dict("records") == [{"text": "Profit up", "label": "positive", "score": "1"},
                                        {"text": "Loss widens", "label": "negative", "score": "2.5"},
                                        {"text": "No label", "label": "", "score": ""}]
    with pytest.raises(LabelledFileError, match="broken.xlsx: not a readable .xlsx workbook"):
        read_labelled_file(b"PK\x03\x04garbage", "broken.xlsx")


def test_a_label_column_where_hardly_any_rows_share_a_value_is_asked_about_once():
    rows = [(f"question {i}", f"A long answer number {i} that explains in full how the bank handles this case") for i in range(12)]
    check = check_labelled_data(pd.DataFrame(rows, columns=["question", "answer"]), "question", "answer", task="sentiment")
    assert len(check.problems) == 1  # not twelve "class ... has 1 usable example" and a list of every value
    assert check.problems[0].startswith("the label column 'answer' has 12 different values in 12 usable rows, so hardly any rows")
    assert "'A long answer number 0 that explains in…'" in check.problems[0] and "and 2 more" in check.problems[0]


def test_many_classes_too_small_are_named_in_one_line():
    rows = balanced() + [(f"rare text {i}", f"rare {i % 4}") for i in range(8)]
    check = check_labelled_data(frame(rows), "text", "label", min_per_class=5)
    assert check.problems == ["4 classes have fewer than the 5 usable examples needed: 'rare 0' (2), 'rare 1' (2), 'rare 2' (2), "
                              "'rare 3' (2); add examples or remove those classes"]  # fmt: skip


def test_leaving_out_small_classes_is_offered_only_when_two_classes_stay_to_train():
    from core.nlp.datacheck import classes_to_leave_out

    assert classes_to_leave_out({"pos": 9, "neg": 7, "IPO": 1}) == {"IPO": 1}
    assert classes_to_leave_out({"pos": 9, "neg": 2, "IPO": 1}) == {}  # one class would be left
    assert classes_to_leave_out({f"answer {i}": 1 for i in range(12)}) == {}  # every value its own "class"
