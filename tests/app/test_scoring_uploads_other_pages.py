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


def test_a_workbook_with_data_after_its_first_sheet_is_said_to_be_read_from_the_first_sheet_only(tiny_models):
    from tests.unit.test_scoring_reading import workbook

    book = ("export.xlsx", workbook(("Cover", [["Exported by the support team"]]), ("Data", [["text", "label"], ["Up", "positive"]])),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # fmt: skip
    said = "Only the first sheet of export.xlsx ('Cover') is read; the sheet 'Data' also holds data."
    for page, tab, key in [("model_studio.py", "Train", "studio_upload"), ("customer_service.py", "Knowledge bases", "cs_faq_upload"),
                           ("customer_service.py", "Tickets", "cs_tickets_upload"), ("batch_scoring.py", None, None)]:  # fmt: skip
        at = open_page(page, tab) if tab else open_page(page)
        uploader = at.file_uploader(key=key) if key else at.file_uploader[0]
        uploader.set_value(book)
        at.run()
        assert_no_exception(at)
        assert any(text.startswith(said) for text in texts(at.warning)), (page, tab, texts(at.warning), texts(at.error))
    at = open_page("customer_service.py", "Knowledge bases")
    at.file_uploader(key="cs_faq_upload").set_value(("one.xlsx", workbook(("Data", [["question", "answer"], ["Fees?", "None."]])), book[2]))
    assert not [text for text in texts(at.run().warning) if "first sheet" in text]  # a one-sheet workbook: nothing to say
