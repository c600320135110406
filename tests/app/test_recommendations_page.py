"""Recommendations page: upload -> data check -> save a version -> evaluate -> a user's top-N with reasons."""

from __future__ import annotations

import json
import time

import pytest

from core.recommend import jobs, service, store
from tests.app.helpers import assert_no_exception, button, chart_titles, lower_case_titles, open_page, switch_tab, texts, widget

ITEMS = ("sku,name,department,notes\n"
         + "".join(f"s{i},Trail running shoe {i},shoes,light grippy shoe for mountain trails\n" for i in range(6))
         + "".join(f"h{i},Wool winter hat {i},hats,warm knitted hat for cold days\n" for i in range(6))
         + "new1,Carbon race shoe,shoes,fast road racing shoe\n")


def interactions() -> str:
    rows = ["customer,sku,stars,ts"]
    for u in range(10):
        pool = "s" if u % 2 == 0 else "h"
        for j in range(5):
            rows.append(f"c{u},{pool}{(u + j) % 6},{(u + j) % 5 + 1},{1700000000 + 100 * u + j}")
    rows.append("c0,ghost,5,1700000999")  # not in the catalogue
    return "\n".join(rows) + "\n"


def finish(at, job_id: int, seconds: float = 240):
    """Wait for a recommendation job's own process, then run the page again."""
    deadline = time.monotonic() + seconds
    while not jobs.get_job(job_id).finished and time.monotonic() < deadline:
        time.sleep(0.5)
    job = jobs.get_job(job_id)
    assert (job.status, job.progress, job.stage) == ("succeeded", 1.0, "done"), job.error
    return at.run()


def upload_both(at):
    at.file_uploader(key="rec_interactions").set_value(("clicks.csv", interactions().encode(), "text/csv"))
    at.file_uploader(key="rec_items").set_value(("catalogue.csv", ITEMS.encode(), "text/csv"))
    return at.run()


def test_only_interactions_rated_from_a_chosen_rating_are_kept_in_the_saved_version(db):
    at = upload_both(open_page("recommendations.py", "Data"))
    assert widget(at.number_input, "Count an interaction as relevant from rating").value is None  # every rating by default
    assert {m.label: m.value for m in at.metric}["Usable interactions"] == "50"
    widget(at.number_input, "Count an interaction as relevant from rating").set_value(4.0).run()
    assert_no_exception(at)
    assert {m.label: m.value for m in at.metric}["Usable interactions"] == "20"  # stars 4 and 5
    assert any("interactions rated 4 or more count as relevant: 21 of 51 (the other 30 are left out)" in t for t in texts(at.info))
    at = finish(button(at, "Save as dataset version").click().run(), jobs.latest_job("save").id)
    [saved] = store.list_datasets()
    assert saved.stats["usable interactions"] == 20 and saved.stats["relevant from rating"] == 4.0


def test_one_click_counts_only_what_users_liked_on_a_star_scale(db):
    at = upload_both(open_page("recommendations.py", "Data"))
    assert any("(a 1 too). To count only what users liked, count from 4: 21 of 51 interactions" in t for t in texts(at.info))
    at = button(at, "Count from rating 4").click().run()
    assert_no_exception(at)
    assert widget(at.number_input, "Count an interaction as relevant from rating").value == 4.0
    assert {m.label: m.value for m in at.metric}["Usable interactions"] == "20"  # stars 4 and 5
    assert not [b for b in at.button if b.label.startswith("Count from rating")]  # chosen: nothing more to suggest


def test_uploaded_files_stay_when_another_tab_is_opened_and_the_data_tab_again(db):
    at = upload_both(open_page("recommendations.py", "Data"))
    assert {m.label: m.value for m in at.metric}["Usable interactions"] == "50"
    at = switch_tab(switch_tab(at, "Evaluate"), "Data")
    assert_no_exception(at)
    assert {m.label: m.value for m in at.metric}["Usable interactions"] == "50"  # the data check of the same files
    still = [t for t in texts(at.caption) if t.startswith("Still using")]
    assert still == ["Still using clicks.csv, uploaded earlier; upload another file to replace it.",
                     "Still using catalogue.csv, uploaded earlier; upload another file to replace it."]  # fmt: skip


def test_the_column_mapping_and_rating_cut_stay_with_the_files_after_a_visit_to_another_tab(db):
    at = upload_both(open_page("recommendations.py", "Data"))
    widget(at.selectbox, "Title column").set_value("notes")
    widget(at.number_input, "Count an interaction as relevant from rating").set_value(4.0).run()
    at = switch_tab(switch_tab(at, "Explore"), "Data")
    assert_no_exception(at)
    assert widget(at.selectbox, "Title column").value == "notes"
    assert {m.label: m.value for m in at.metric}["Usable interactions"] == "20"  # the data check of the cut, not of all 50


def test_the_uploaders_say_the_configured_upload_limit(db, monkeypatch):
    from core.settings import get_settings

    monkeypatch.setenv("BEACON_UPLOAD_MAX_MB", "7")
    get_settings.cache_clear()
    at = open_page("recommendations.py", "Data")
    assert [at.file_uploader(key=k).proto.max_upload_size_mb for k in ("rec_interactions", "rec_items")] == [7, 7]  # not 200


def test_without_files_the_page_says_what_to_upload(db):
    at = open_page("recommendations.py", "Data")
    assert_no_exception(at)
    assert any("Upload both files" in t for t in texts(at.info))


def test_a_catalogue_kept_in_excel_is_checked_like_a_csv(db):
    import csv
    import io

    from tests.unit.test_datacheck import workbook_bytes

    at = open_page("recommendations.py", "Data")
    at.file_uploader(key="rec_interactions").set_value(("clicks.csv", interactions().encode(), "text/csv"))
    rows = list(csv.reader(io.StringIO(ITEMS)))
    at.file_uploader(key="rec_items").set_value(("catalogue.xlsx", workbook_bytes(rows), "application/vnd.ms-excel"))
    at.run()
    assert_no_exception(at)
    assert widget(at.selectbox, "Title column").value == "name"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Usable interactions"] == "50" and metrics["Items without interactions"] == "1"


def test_upload_check_evaluate_and_recommend(db, monkeypatch):
    at = upload_both(open_page("recommendations.py", "Data"))
    assert_no_exception(at)
    assert widget(at.selectbox, "User column").value == "customer"
    assert widget(at.selectbox, "Item column").value == "sku"
    assert widget(at.selectbox, "Title column").value == "name"
    assert widget(at.selectbox, "Category column").value == "department"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Usable interactions"] == "50" and metrics["Items without interactions"] == "1"
    assert any("1 row names an item that is not in the catalogue (line 52: item 'ghost')" in t for t in texts(at.warning))
    at = button(at, "Save as dataset version").click().run()
    assert_no_exception(at)
    assert any(p.text.startswith("Saving the dataset version: ") for p in at.get("progress"))  # the page run did not wait
    at = finish(at, jobs.latest_job("save").id)
    assert any("Saved as dataset version v1" in t for t in texts(at.success))
    assert [f for f in at.dataframe if "catalogue items" in f.value.columns]  # listed under the save, files still there
    assert [d.id for d in store.list_datasets()] == [1]
    assert store.list_datasets()[0].name == "clicks"
    at = button(at, "Save as dataset version").click().run()  # the same files saved again (a second click, tomorrow)
    at = finish(at, jobs.latest_job("save").id)
    [again] = [t for t in texts(at.success) if "same data" in t]
    assert again.startswith("These files hold the same data as dataset version v1 · clicks") and "nothing new was saved" in again
    assert [d.id for d in store.list_datasets()] == [1]
    saved = open_page("recommendations.py", "Data")  # coming back later: the saved version is listed
    assert_no_exception(saved)
    [versions] = [f for f in saved.dataframe if "catalogue items" in f.value.columns]
    listed = versions.value
    assert listed["version"].tolist() == ["v1"] and listed["interactions"].tolist() == [50]
    counts = json.loads(versions.proto.columns)
    assert {counts[c]["type_config"]["format"] for c in ("interactions", "users", "catalogue items")} == {"localized"}  # 100,836
    log = (jobs.jobs_dir() / "job-1.log").read_text()
    assert [stage for stage in jobs.SAVE_STEPS if f"recommendation job 1: {stage}" in log] == list(jobs.SAVE_STEPS), log

    at = switch_tab(at, "Evaluate")
    widget(at.radio, "Evaluation protocol").set_value("last")
    at = button(at, "Evaluate").click().run()
    assert_no_exception(at)
    assert any(p.text.startswith("Evaluating the recommenders: ") for p in at.get("progress"))
    assert button(at, "Evaluate").disabled  # one evaluation of a version at a time
    assert "The results appear here when this evaluation finishes." in texts(at.info)  # not "press Evaluate"
    assert not any(t.startswith("Not evaluated yet") for t in texts(at.info))
    at = finish(at, jobs.latest_job("evaluate", 1).id)
    assert_no_exception(at)
    table = [f for f in at.dataframe if "NDCG@10" in f.value.columns][0]
    results = table.value
    assert results["Model"].tolist() == ["Popularity", "Item-kNN (collaborative)", "EASE (collaborative)", "Item text (MiniLM)",
                                         "Item text tuned on behaviour",
                                         "Hybrid (EASE + text)"]
    wanted = {"Recall@10", "Recall@20", "Hit rate@10", "Coverage@10", "× popularity", "Fit (s)"}
    assert wanted <= set(results.columns)
    # 12 items with interactions leave 1 to hold out: any ranking of it is a hit, so cold start is said, not scored
    assert "Cold-start Recall@20" not in results.columns
    config = json.loads(table.proto.columns)
    assert config["Model"]["pinned"] is True  # the model stays in view when the table scrolls sideways
    formats = {name: column["type_config"].get("format") for name, column in config.items() if "type_config" in column}
    assert formats["NDCG@10"] == formats["× popularity"] == "%.3f" and formats["Fit (s)"] == "%.2f"  # 0.210, not 0.21
    assert "Popularity baseline" in config["× popularity"]["help"] and "catalogue" in config["Coverage@10"]["help"]
    assert results.loc[results["Model"] == "Popularity", "× popularity"].item() == 1.0
    assert {"Metric", "Value", "Model"} <= set(chart_titles(at)) and not lower_case_titles(at)
    assert "%.2f" in json.dumps(config["Fit (s)"]) and "%.2f" in json.dumps(config["Rank (s)"])  # 0.04 s, not "0"
    captions = " ".join(c.value for c in at.caption)
    assert "leave-last-out by time" in captions and "split seed 42" in captions and "Dataset v1" in captions
    assert "Cold start: not measured on this dataset. Only 1 item could be held out" in captions
    stored = store.list_evaluations(1)[0]
    assert (stored.protocol, stored.seed, stored.dataset_id) == ("last", 42, 1)

    exports = []  # the all-users export ranks every user: built when its button is clicked, not on each rerun
    monkeypatch.setattr(service, "export_csv", lambda *args: exports.append(args) or b"")
    at = switch_tab(at, "Explore")
    assert_no_exception(at)
    widget(at.selectbox, "User").set_value("c0")
    at = at.run()
    shown = [f for f in at.dataframe if "reason" in f.value.columns][0]
    top = shown.value
    assert list(shown.proto.column_order)[:3] == ["rank", "title", "reason"]  # why it is recommended, in view
    assert "neither a probability nor a percentage" in json.loads(shown.proto.columns)["score"]["help"]  # 0.94 is no 94 %
    similar = json.loads(next(f for f in at.dataframe if "text similarity" in f.value.columns).proto.columns)
    assert json.loads(shown.proto.columns)["score"]["type_config"]["format"] == "%.3f"  # 0.470 beside 0.540, not 0.47 and 0.5398
    assert similar["score"]["type_config"]["format"] == similar["text similarity"]["type_config"]["format"] == "%.3f"
    history = [f.value for f in at.dataframe if "when" in f.value.columns][0]
    assert set(top["item"]).isdisjoint(set(history["item"]))  # nothing the user already has
    assert top["item"].iloc[0].startswith("s")  # a shoe person gets shoes first
    assert any(r.startswith("because you liked Trail running shoe") for r in top["reason"])
    assert any(r == "new item similar to " + t for r in top["reason"] for t in history["title"]) or "new1" not in set(top["item"])
    widget(at.text_input, "New item title").set_value("Alpine trail shoe")
    widget(at.text_area, "Description").set_value("grippy shoe for mountain running")
    at = button(at, "Find users for this item").click().run()
    assert_no_exception(at)
    users = [f.value for f in at.dataframe if "history size" in f.value.columns][0]
    assert set(users["user"].head(3)) <= {"c0", "c2", "c4", "c6", "c8"}  # the shoe buyers
    assert users["reason"].head(3).str.startswith("new item similar to Trail running shoe").all(), users["reason"].tolist()
    widget(at.text_input, "New item title").set_value("Ceramic coffee mug")
    widget(at.text_area, "Description").set_value("dishwasher-safe stoneware mug, 350 ml")
    at = button(at, "Find users for this item").click().run()
    users = [f.value for f in at.dataframe if "history size" in f.value.columns][0]
    assert (users["reason"] == "has items that go with it").all(), users["reason"].tolist()  # no hat or shoe is like a mug
    at = switch_tab(switch_tab(at, "Evaluate"), "Explore")  # the new item typed in is still there after a look elsewhere
    assert widget(at.text_input, "New item title").value == "Ceramic coffee mug"
    assert widget(at.text_area, "Description").value == "dishwasher-safe stoneware mug, 350 ml"
    assert exports == [] and at.get("download_button")  # three reruns of the tab, no export built


def test_a_broken_file_is_reported_not_raised(db):
    at = open_page("recommendations.py", "Data")
    at.file_uploader(key="rec_interactions").set_value(("clicks.csv", b"   ", "text/csv"))
    at.file_uploader(key="rec_items").set_value(("catalogue.csv", ITEMS.encode(), "text/csv"))
    at = at.run()
    assert_no_exception(at)
    assert any("clicks.csv: the file is empty" in t for t in texts(at.error))


def saved_dataset(name: str = "clicks", embed: bool = True) -> store.DatasetInfo:
    """A dataset version of its own (the same data is saved once): its customers include one named ``name``; its item
    texts embedded, as a save job does (``embed=False``: as a save cancelled before that)."""
    from core.recommend.data import check_files, dataset_from_check, read_table
    from core.recommend.embeddings import item_embeddings

    own = f"{name},s1,4,1700009999\n"
    check = check_files(read_table((interactions() + own).encode(), "clicks.csv"), read_table(ITEMS.encode(), "catalogue.csv"),
                                 {"user": "customer", "item": "sku", "rating": "stars", "timestamp": "ts"},
                                 {"item": "sku", "title": "name", "category": "department", "description": "notes"},
                                 "clicks.csv", "catalogue.csv")  # fmt: skip
    if embed:
        item_embeddings(dataset_from_check(check).texts())
    return store.save_dataset(check, name, "clicks.csv", "catalogue.csv", {})


def test_explore_says_how_texts_a_cancelled_save_left_unembedded_get_embedded(db):
    """Explore does not embed a whole catalogue in the page with no progress: it points to an evaluation, which does
    (with its bar), and opens once the texts are embedded."""
    from core.recommend.evaluate import EvalConfig

    info = saved_dataset(embed=False)
    for role, who in (("analyst", "Evaluate it on the Evaluate tab"), ("viewer", "Once an analyst evaluates it")):
        at = open_page("recommendations.py", "Explore", role=role)
        assert_no_exception(at)
        [said] = [t for t in texts(at.info) if "are not embedded yet" in t]
        assert said.startswith(f"The item texts of dataset version v{info.id} are not embedded yet") and who in said
        assert not [s for s in at.selectbox if s.label == "User"]
    job = jobs.execute_job(jobs.queue_evaluate(info.id, EvalConfig(protocol="last"), launch=False))
    assert job.status == "succeeded", job.error
    at = open_page("recommendations.py", "Explore")
    assert_no_exception(at)
    assert not [t for t in texts(at.info) if "are not embedded yet" in t] and [s for s in at.selectbox if s.label == "User"]


def test_an_admin_deletes_a_dataset_version_with_its_files(db):
    from core.auth import list_events
    from core.settings import get_settings

    first, second = saved_dataset("first"), saved_dataset("second")
    export = store.export_path(first.id, 20)
    export.parent.mkdir(parents=True, exist_ok=True)
    export.write_text("user,item\n")
    assert not [s for s in open_page("recommendations.py", "Data", role="analyst").selectbox if s.key == "rec_delete_pick"]

    at = open_page("recommendations.py", "Explore")  # the Explore tab had the first version picked ...
    at.selectbox(key="rec_explore_version").set_value(first.id).run()
    at = switch_tab(at, "Data")
    at = at.selectbox(key="rec_delete_pick").set_value(first.id).run()
    [question] = [w for w in texts(at.warning) if w.startswith(f"Delete v{first.id} · first")]
    assert "uploaded data, evaluations and nightly export" in question
    at = button(at, "Yes, delete").click().run()
    assert_no_exception(at)
    assert f"Deleted {first.label}." in texts(at.success)
    assert [v.id for v in store.list_datasets()] == [second.id]
    assert not (get_settings().data_dir / first.folder).exists() and (get_settings().data_dir / second.folder).exists()
    assert not export.exists()
    [event] = list_events(action="recommendation data deleted")
    assert event["target"] == "first" and event["detail"]["dataset"] == first.id
    at = switch_tab(at, "Explore")  # ... and opens on a version that exists
    assert_no_exception(at)
    assert at.selectbox(key="rec_explore_version").value == second.id


def test_evaluate_and_explore_wait_for_a_version_still_being_saved(db):
    """A version is listed once written, but its save job still embeds the item texts: Evaluate and Explore follow that
    job instead of offering to start the same embedding again."""
    from core import runs as lifecycle

    info = saved_dataset()
    job_id = jobs._insert("save", {}, info.id, "test-analyst")
    assert lifecycle.claim(jobs.RECOMMENDATION_JOB, job_id)
    lifecycle.update(jobs.RECOMMENDATION_JOB, job_id, stage="embedding the item texts (1,024 of 9,742)", progress=0.8)
    for tab, action in (("Evaluate", "evaluate it"), ("Explore", "explore its recommendations")):
        at = open_page("recommendations.py", tab)
        assert_no_exception(at)
        [said] = [t for t in texts(at.info) if "still being saved" in t]
        assert said.startswith(f"Dataset version v{info.id} is still being saved") and f"You can {action} here" in said
        [bar] = [p.text for p in at.get("progress")]
        assert bar.startswith("Saving the dataset version: embedding the item texts (1,024 of 9,742) · ")
        assert not [b for b in at.button if b.label in ("Evaluate", "Find users for this item")]
    lifecycle.finish(jobs.RECOMMENDATION_JOB, job_id, lifecycle.SUCCEEDED, stage="done", progress=1.0)
    at = open_page("recommendations.py", "Evaluate")
    assert button(at, "Evaluate") is not None and not [t for t in texts(at.info) if "still being saved" in t]


def test_a_running_evaluation_is_cancelled_from_its_bar(db):
    """The bar of a running job has a Cancel button (analysts); the job is asked to stop, the bar says so, and the
    page then says what was kept. Viewers see the bar without the button."""
    from core import runs as lifecycle
    from core.recommend.evaluate import EvalConfig

    info = saved_dataset()
    job_id = jobs.queue_evaluate(info.id, EvalConfig(), launch=False)
    assert lifecycle.claim(jobs.RECOMMENDATION_JOB, job_id)  # running, as its process would have it
    viewer = open_page("recommendations.py", "Evaluate", role="viewer")
    assert not [b for b in viewer.button if b.label == "Cancel"]
    at = open_page("recommendations.py", "Evaluate")
    at = button(at, "Cancel").click().run()
    assert_no_exception(at)
    assert jobs.get_job(job_id).cancelling
    [bar] = [p.text for p in at.get("progress")]
    assert bar.endswith("cancelling: it stops at its next step")
    assert button(at, "Cancel").disabled  # asked once
    lifecycle.finish(jobs.RECOMMENDATION_JOB, job_id, lifecycle.CANCELLED, error=jobs.CANCELLED)  # as the job process does
    at = open_page("recommendations.py", "Evaluate")
    assert "Evaluating the recommenders · cancelled: no results were stored." in texts(at.warning)  # there were none before
    assert not button(at, "Evaluate").disabled


def test_a_dataset_version_being_evaluated_is_not_deleted(db):
    from core.recommend.evaluate import EvalConfig

    info = saved_dataset()
    jobs.queue_evaluate(info.id, EvalConfig(), launch=False)
    with pytest.raises(ValueError, match="being evaluated right now"):
        store.delete_dataset(info.id)
    assert [v.id for v in store.list_datasets()] == [info.id]


def test_a_viewer_sees_the_versions_and_results_but_no_forms(db):
    at = open_page("recommendations.py", "Data", role="viewer")
    assert any(c.startswith("No dataset versions yet") for c in texts(at.caption))  # not an empty page under the notice
    saved_dataset()
    at = open_page("recommendations.py", "Data", role="viewer")
    assert not any(c.startswith("No dataset versions yet") for c in texts(at.caption))
    assert_no_exception(at)
    assert not at.get("file_uploader")
    assert any("You are signed in as a viewer" in t for t in texts(at.info))
    versions = next(f for f in at.dataframe if "interactions" in f.value.columns)
    assert versions.value["version"].tolist() == ["v1"]
    at = switch_tab(at, "Evaluate")
    assert_no_exception(at)
    assert not [b for b in at.button if b.label == "Evaluate"]
    assert any("needs the analyst role" in c.value for c in at.caption)
    assert "Not evaluated yet: an analyst or admin can run an evaluation here." in texts(at.info)
    at = switch_tab(at, "Explore")
    assert_no_exception(at)
    assert not at.checkbox and any("Nightly refit and export: off" in c.value for c in at.caption)


def test_the_interactions_sheet_of_a_workbook_is_picked(db):
    from tests.app.test_scoring_uploads_other_pages import XLSX
    from tests.unit.test_scoring_reading import workbook

    rows = [line.split(",") for line in interactions().splitlines()]
    book = workbook(("Notes", [["Exported by", "the web team"]]), ("Clicks", rows))
    at = open_page("recommendations.py", "Data")
    at.file_uploader(key="rec_interactions").set_value(("clicks.xlsx", book, XLSX))
    at.file_uploader(key="rec_items").set_value(("catalogue.csv", ITEMS.encode(), "text/csv"))
    at = at.run()
    assert_no_exception(at)
    assert at.selectbox(key="rec_interactions_sheet").value == "Clicks"  # the largest sheet
    assert {m.label: m.value for m in at.metric}["Usable interactions"] == "50"  # as from the CSV
    at = at.selectbox(key="rec_interactions_sheet").set_value("Notes").run()
    assert_no_exception(at)
    assert "Usable interactions" not in {m.label for m in at.metric}  # the notes are no interactions
