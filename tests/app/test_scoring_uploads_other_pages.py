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
