"""Every upload widget refuses a binary file (a PNG renamed .csv) with the one message from core.scoring.content:
Model Studio training data, the FAQ import and ticket files on Customer service, Recommendations data.
(Batch scoring: tests/app/test_batch_scoring_page.py.)"""

from __future__ import annotations

from tests.app.helpers import assert_no_exception, open_page, texts
from tests.unit.test_scoring_content import MESSAGE, png_bytes

PNG = ("photo.csv", png_bytes(), "text/csv")


def refused(at) -> bool:  # noqa: ANN001 - AppTest
    assert_no_exception(at)
    return MESSAGE in texts(at.error)


def test_model_studio_training_upload(tiny_models):
    at = open_page("model_studio.py", "Train")
    at.file_uploader(key="studio_upload").set_value(PNG)
    assert refused(at.run()), texts(at.error)
    assert not [b for b in at.button if "Start" in b.label]


def test_customer_service_faq_import_and_ticket_file(tiny_models):
    at = open_page("customer_service.py", "Knowledge bases")
    at.file_uploader(key="cs_faq_upload").set_value(PNG)
    assert refused(at.run()), texts(at.error)
    at = open_page("customer_service.py", "Tickets")
    at.file_uploader(key="cs_tickets_upload").set_value(PNG)
    assert refused(at.run()), texts(at.error)
    assert not [b for b in at.button if b.label == "Analyse tickets"]


def test_recommendations_data_upload(tiny_models):
    at = open_page("recommendations.py", "Data")
    at.file_uploader(key="rec_interactions").set_value(PNG)
    at.file_uploader(key="rec_items").set_value(("items.csv", b"item,title\n1,Red shoes\n", "text/csv"))
    assert refused(at.run()), texts(at.error)


def test_recommendations_says_a_bad_file_before_the_other_is_chosen(tiny_models):
    at = open_page("recommendations.py", "Data")
    at.file_uploader(key="rec_interactions").set_value(PNG)
    assert refused(at.run()), texts(at.error)
    assert "Upload both files to see the column mapping and the data check." in texts(at.info)  # still asked for both


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOADS = [("model_studio.py", "Train", "studio_upload"), ("customer_service.py", "Knowledge bases", "cs_faq_upload"),
           ("customer_service.py", "Tickets", "cs_tickets_upload"), ("batch_scoring.py", None, None)]  # fmt: skip
DATA = [["text", "label", "question", "answer", "timestamp"], *(
    [f"Profit up {i}", "positive", f"Fees {i}?", "None.", "2026-01-0{i}"] for i in range(1, 7))]  # every page's columns


def offered_columns(at) -> set[str]:  # noqa: ANN001 - AppTest
    return {str(option) for box in at.selectbox if box.label != "Sheet" for option in box.options}


def test_the_sheet_of_a_workbook_is_picked_on_every_upload(tiny_models):
    from tests.unit.test_scoring_reading import workbook

    book = ("export.xlsx", workbook(("Cover", [["Exported by", "the support team"]]), ("Data", DATA)), XLSX)
    for page, tab, key in UPLOADS:
        at = open_page(page, tab) if tab else open_page(page)
        (at.file_uploader(key=key) if key else at.file_uploader[0]).set_value(book)
        at.run()
        assert_no_exception(at)
        sheet = next(box for box in at.selectbox if box.label == "Sheet")
        assert (sheet.options, sheet.value) == (["Cover", "Data"], "Data"), page  # the largest, not the cover in front
        assert {"text", "question"} <= offered_columns(at), (page, tab, offered_columns(at), texts(at.error))
        at = sheet.set_value("Cover").run()
        assert_no_exception(at)
        assert "text" not in offered_columns(at)  # the cover's one row is read
        assert next(box for box in at.selectbox if box.label == "Sheet").value == "Cover"
    other = ("november.xlsx", workbook(("Cover", [["Exported in November"]]), ("Data", DATA[:4])), XLSX)
    at.file_uploader[0].set_value(other)  # on Batch scoring (the last page):'s: another workbook starts at its largest sheet again
    assert next(box for box in at.run().selectbox if box.label == "Sheet").value == "Data"


def test_a_workbook_whose_data_is_on_a_later_sheet_is_read_from_it(tiny_models):
    from tests.unit.test_scoring_reading import workbook

    book = ("export.xlsx", workbook(("Blank", []), ("Data", DATA)), XLSX)
    for page, tab, key in UPLOADS:
        at = open_page(page, tab) if tab else open_page(page)
        (at.file_uploader(key=key) if key else at.file_uploader[0]).set_value(book)
        at.run()
        assert_no_exception(at)
        assert "Reading the sheet 'Data': the first sheet, 'Blank', is empty." in texts(at.caption), page
        assert {"text", "question"} <= offered_columns(at), (page, texts(at.error))
        assert not [e for e in texts(at.error) if "sheet" in e], page  # was: "the workbook's first sheet ('Blank') is empty"
    at = open_page("customer_service.py", "Knowledge bases")
    at.file_uploader(key="cs_faq_upload").set_value(("one.xlsx", workbook(("Data", DATA)), XLSX))
    assert not [box for box in at.run().selectbox if box.label == "Sheet"]  # one sheet: nothing to pick
