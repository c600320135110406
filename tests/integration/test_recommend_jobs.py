"""Recommendation jobs (save a dataset version, evaluate one): run outside the page, stage and progress recorded,
acting as the user who started them; problems become the job's status and error."""

from __future__ import annotations

from datetime import timedelta

from core import runs as lifecycle
from core.auth import Actor, acting_as, create_user
from core.recommend import jobs, store
from core.recommend.evaluate import EvalConfig, evaluate, evaluation_steps
from core.storage.tables import utcnow
from tests.app.test_recommendations_page import ITEMS, interactions

MAPPING = {"interactions": {"user": "customer", "item": "sku", "rating": "stars", "timestamp": "ts"},
           "items": {"item": "sku", "title": "name", "category": "department", "description": "notes"}}


def queue_save(mapping: dict = MAPPING) -> int:
    return jobs.queue_save("clicks", ("clicks.csv", interactions().encode()), ("catalogue.csv", ITEMS.encode()), mapping, launch=False)


def test_a_save_job_saves_as_the_user_who_started_it_and_an_evaluation_follows(db):
    create_user("rita", "a long password here", "analyst")
    with acting_as(Actor("rita", "analyst")):
        job_id = queue_save()
    assert jobs.get_job(job_id).status == "queued" and store.list_datasets() == []
    job = jobs.execute_job(job_id)
    assert (job.status, job.stage, job.progress, job.error) == ("succeeded", "done", 1.0, None)
    assert not (jobs.get_settings().data_dir / jobs._folder(job_id)).exists()  # the version holds the data now
    [dataset] = store.list_datasets()
    assert job.dataset_id == dataset.id and dataset.name == "clicks"
    from core.auth import list_events

    assert [e["user"] for e in list_events(action="recommendation data uploaded")] == ["rita"]

    evaluation = jobs.execute_job(jobs.queue_evaluate(dataset.id, EvalConfig(protocol="last"), launch=False))
    assert evaluation.status == "succeeded", evaluation.error
    assert store.list_evaluations(dataset.id)[0].id == evaluation.result["evaluation_id"]


def test_a_job_that_cannot_finish_says_why_and_saves_nothing(db):
    broken = {"interactions": {**MAPPING["interactions"], "user": "no_such_column"}, "items": MAPPING["items"]}
    job = jobs.execute_job(queue_save(broken))
    assert job.status == "failed" and "the data check found errors" in job.error and "no_such_column" in job.error
    assert store.list_datasets() == []
    assert not (jobs.get_settings().data_dir / jobs._folder(job.id)).exists()  # customers' data does not stay behind


def test_a_silent_job_is_shown_as_interrupted(db):
    job_id = queue_save()
    assert lifecycle.claim(jobs.RECOMMENDATION_JOB, job_id) and not lifecycle.claim(jobs.RECOMMENDATION_JOB, job_id)  # claimed once
    lifecycle.update(jobs.RECOMMENDATION_JOB, job_id, heartbeat_at=utcnow() - timedelta(minutes=5))
    job = jobs.get_job(job_id)
    assert job.status == "interrupted" and "start it again" in job.error


def test_the_progress_steps_match_the_evaluation_messages(db):
    job = jobs.execute_job(queue_save())
    ds = store.load_dataset(job.dataset_id)
    from core.recommend.embeddings import item_embeddings

    messages: list[str] = []
    cfg = EvalConfig(protocol="last")
    evaluate(ds, item_embeddings(ds.texts()), cfg, messages.append)
    assert len(messages) == evaluation_steps(cfg, ds), messages
    assert evaluation_steps(cfg) >= len(messages)  # the job's bar, set before the dataset is loaded, never overflows


def test_the_worker_runs_a_job_whose_process_never_started(db):
    from jobs.scheduler import training_job

    job_id = queue_save()
    lifecycle.update(jobs.RECOMMENDATION_JOB, job_id, created_at=utcnow() - timedelta(minutes=2))
    training_job()
    assert jobs.get_job(job_id).status == "succeeded"


def test_a_version_still_embedding_its_item_texts_is_followed_not_embedded_again(db, monkeypatch):
    """The save job names its version as soon as it is written, so Evaluate and Explore wait for the embedding (and a
    delete is refused) instead of embedding the same texts again at the same time; the stage counts the texts."""
    from core.recommend import embeddings

    monkeypatch.setattr(embeddings, "PROGRESS_CHUNK", 5)  # 13 catalogue items: three reports
    seen: list[tuple] = []
    report = jobs._Stages.embedding

    def watch(self, done: int, total: int) -> None:
        report(self, done, total)
        job = jobs.get_job(self.job_id)
        saving = jobs.saving_job(job.dataset_id) if job.dataset_id else None
        try:
            with acting_as(Actor("ada", "admin")):
                store.delete_dataset(job.dataset_id)
            refused = ""
        except ValueError as exc:
            refused = str(exc)
        seen.append((job.stage, round(job.progress, 3), saving.id if saving else None, refused))

    monkeypatch.setattr(jobs._Stages, "embedding", watch)
    job_id = queue_save()
    job = jobs.execute_job(job_id)
    assert job.status == "succeeded", job.error
    assert [s[0] for s in seen] == [f"embedding the item texts ({n} of 13)" for n in (0, 5, 10)]
    # the embedding takes 17 of the bar's 20 parts (reading, checking and writing take seconds)
    assert [s[1] for s in seen] == [round((3 + 17 * n / 13) / 20, 3) for n in (0, 5, 10)]
    assert {s[2] for s in seen} == {job_id}
    assert {s[3] for s in seen} == {f"dataset version {job.dataset_id} is still being saved; delete it once that has finished"}
    assert jobs.saving_job(job.dataset_id) is None  # finished: Evaluate and Explore open


def test_texts_embedded_in_parts_for_progress_match_one_pass(db, monkeypatch):
    import numpy as np

    from core.recommend import embeddings

    texts = [f"item {i}: a {'long ' * (i % 7)}description of a product" for i in range(11)]
    whole = embeddings.embed_texts(texts)
    monkeypatch.setattr(embeddings, "PROGRESS_CHUNK", 4)
    reports: list[tuple[int, int]] = []
    parts = embeddings.item_embeddings(texts, lambda done, total: reports.append((done, total)))
    assert reports == [(0, 11), (4, 11), (8, 11)]
    assert np.allclose(parts, whole, atol=2e-2)
    assert embeddings.item_embeddings(texts, lambda *_: reports.append(None)) is not None and len(reports) == 3  # cached


def test_a_queued_job_cancelled_never_runs_and_its_uploads_go(db):
    job_id = queue_save()
    folder = jobs.get_settings().data_dir / jobs._folder(job_id)
    assert (folder / "items.upload").exists()
    with acting_as(Actor("rita", "analyst")):
        job = jobs.cancel_job(job_id)
    assert (job.status, job.error) == ("cancelled", jobs.CANCELLED) and not folder.exists()
    assert jobs.execute_job(job_id).status == "cancelled"  # a process starting late finds nothing to do
    assert store.list_datasets() == []
    from core.views.recommendations import ended_text

    assert ended_text(job) == ("warning", "Saving the dataset version · cancelled: nothing was saved.")


def test_a_save_cancelled_while_embedding_keeps_its_version_for_an_evaluation_to_embed(db, monkeypatch):
    from core.recommend import embeddings
    from core.views.recommendations import ended_text

    monkeypatch.setattr(embeddings, "PROGRESS_CHUNK", 5)  # 13 catalogue items: reports at 0, 5 and 10
    report = jobs._Stages.embedding
    reports: list[int] = []

    def cancel_at_five(self, done: int, total: int) -> None:
        reports.append(done)
        if done == 5:
            with acting_as(Actor("rita", "analyst")):
                assert jobs.cancel_job(self.job_id).cancelling  # asked and still running
        report(self, done, total)  # stops here, before embedding the next part

    monkeypatch.setattr(jobs._Stages, "embedding", cancel_at_five)
    job = jobs.execute_job(queue_save())
    assert (job.status, job.error, reports) == ("cancelled", jobs.CANCELLED, [0, 5])
    assert not (jobs.get_settings().data_dir / jobs._folder(job.id)).exists()
    [dataset] = store.list_datasets()  # written before the embedding started: complete, and kept
    assert job.dataset_id == dataset.id and jobs.saving_job(dataset.id) is None
    level, text = ended_text(job)
    assert level == "warning" and f"Dataset version v{dataset.id} was saved before it stopped" in text

    monkeypatch.setattr(jobs._Stages, "embedding", report)
    seen: list[str] = []
    monkeypatch.setattr(embeddings, "embed_texts", lambda texts, *a, real=embeddings.embed_texts: seen.append(len(texts)) or real(texts))
    evaluation = jobs.execute_job(jobs.queue_evaluate(dataset.id, EvalConfig(protocol="last"), launch=False))
    assert evaluation.status == "succeeded", evaluation.error
    assert sum(seen) == 13  # nothing was cached by the cancelled save: the evaluation embedded every item text


def test_an_evaluation_cancelled_between_steps_stores_nothing(db, monkeypatch):
    from core.views.recommendations import ended_text

    dataset_id = jobs.execute_job(queue_save()).dataset_id
    [earlier] = [jobs.execute_job(jobs.queue_evaluate(dataset_id, EvalConfig(protocol="last"), launch=False))]
    job_id = jobs.queue_evaluate(dataset_id, EvalConfig(protocol="last"), launch=False)
    step = jobs._Stages.__call__
    stages: list[str] = []

    def cancel_at_third_step(self, stage: str) -> None:
        stages.append(stage)
        if len(stages) == 3:
            lifecycle.request_cancel(jobs.RECOMMENDATION_JOB, self.job_id)
        step(self, stage)

    monkeypatch.setattr(jobs._Stages, "__call__", cancel_at_third_step)
    job = jobs.execute_job(job_id)
    assert job.status == "cancelled" and len(stages) == 3
    assert [e.id for e in store.list_evaluations(dataset_id)] == [earlier.result["evaluation_id"]]  # nothing added
    assert ended_text(job) == ("warning", "Evaluating the recommenders · cancelled: no results were stored; the earlier results "
                                          "stay as they were.")  # fmt: skip


def test_a_viewer_cannot_cancel_a_job(db):
    import pytest

    job_id = queue_save()
    with acting_as(Actor("vic", "viewer")), pytest.raises(PermissionError):
        jobs.cancel_job(job_id)
    assert jobs.get_job(job_id).status == "queued"
