"""Reproducible shipped models (issue 13.6): each manifest records its base encoder and the fingerprint of the exact
rows it was trained on, every number in metrics.json comes from committed code, the adapter's generated README is
not in the folder or the checksum, and a rebuild without its data stops with a clear error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from core.nlp.defaults import DEFAULT_MODELS, SHARED_DATA, SHIPPED_DIR, DefaultModelDataMissing, build_default_model
from core.nlp.store import verify_model_files
from tests.conftest import shared_data


@pytest.mark.parametrize("task", list(DEFAULT_MODELS))
def test_manifest_records_base_and_the_training_data_fingerprint(task: str) -> None:
    from core.nlp.defaults import training_fingerprint

    files = verify_model_files(SHIPPED_DIR / task)
    assert files.base == DEFAULT_MODELS[task].params.base  # sentiment: accurate; topic, intent: fast
    shared_data()  # skips when ../shared is absent
    assert files.data_fingerprint == training_fingerprint(task)


@pytest.mark.parametrize("task", [*DEFAULT_MODELS, "sentiment-fast"])
def test_no_unhashed_file_in_a_shipped_folder(task: str) -> None:
    folder = SHIPPED_DIR / task
    manifest = json.loads((folder / "manifest.json").read_text())
    on_disk = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()} - {"manifest.json", "metrics.json"}
    assert on_disk == set(manifest["files"]) and not any(name.endswith("README.md") for name in on_disk)


# The model scores in bf16 on CPUs that have it, and bf16 kernels differ between CPU generations (AMX on one host,
# AVX-512 on another): a near-tie may flip. Measured on the build host, every number matched to the last digit; on
# another host 2 of the 3,080 Banking77 test predictions flipped (CI, 2026-12-01). A few flips are arithmetic; a wrong
# recorded number, another model or other rows differ by far more.
FLIPS = 3


def test_the_intent_metrics_are_reproduced_by_committed_code() -> None:
    from core.nlp.defaults import PRECISION_NAMES, measure_default_model

    shared_data("banking77", "test.csv")
    recorded = json.loads((SHIPPED_DIR / "intent" / "metrics.json").read_text())
    # in the recorded number format: a host without native bf16 would otherwise measure in fp32
    measured = measure_default_model("intent", SHIPPED_DIR / "intent", precision=PRECISION_NAMES[recorded["precision"]])
    assert measured["precision"] == recorded["precision"]
    splits = {"validation": (measured["validation"], recorded["validation"])}
    splits |= {name: (measured["evaluation"][name], report) for name, report in recorded["evaluation"].items()}
    for split, (got, report) in splits.items():
        assert got["n"] == report["n"], split
        assert abs(got["accuracy"] - report["accuracy"]) * report["n"] <= FLIPS, (split, got, report)
        # a flip moves two classes' F1 by at most about 1/class size each: the macro average by at most about 2/n
        assert abs(got["macro_f1"] - report["macro_f1"]) <= FLIPS * 2 / report["n"], (split, got, report)
    assert (measured["accuracy"], measured["macro_f1"]) == (measured["validation"]["accuracy"], measured["validation"]["macro_f1"])
    per_class = [abs(measured["validation_per_class"][c]["f1"] - v["f1"]) for c, v in recorded["validation_per_class"].items()]
    assert measured["validation_per_class"].keys() == recorded["validation_per_class"].keys()
    assert sum(d > 1e-6 for d in per_class) <= 2 * FLIPS  # a flipped prediction touches two classes



def test_a_lora_version_is_saved_without_peft_s_generated_readme(tmp_path: Path) -> None:
    from core.nlp.store import save_model
    from core.nlp.training import TrainingParams, train_classifier
    from tests.conftest import TINY_SENTIMENT

    texts, labels = [t for t, _ in TINY_SENTIMENT], [lab for _, lab in TINY_SENTIMENT]
    result = train_classifier(texts, labels, TrainingParams(method="lora", epochs=1, batch_size=8, max_length=16, seed=1))
    save_model(result.saveable, tmp_path / "v1", "sentiment", "lora", result.labels, 16, "f" * 64)
    assert not (tmp_path / "v1" / "adapter" / "README.md").exists()
    assert verify_model_files(tmp_path / "v1").data_fingerprint == "f" * 64


@pytest.mark.parametrize(
    ("task", "missing"),
    [
        ("sentiment", "twitter_fin_sentiment/train.csv"),
        ("topic", "twitter_fin_topic/train.csv"),
        ("customer_sentiment", "banking77/test.csv"),  # trained from the repository, measured on the labelled sample
    ],
)
def test_a_rebuild_without_its_data_stops_with_a_clear_error(task: str, missing: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    if SHARED_DATA.exists():  # every source except the one removed
        shutil.copytree(SHARED_DATA, data, ignore=shutil.ignore_patterns("movielens_small", "feeds", "customer_faq"))
        (data / missing).unlink()
    out = tmp_path / "shipped"
    out.mkdir()
    with pytest.raises(DefaultModelDataMissing, match=rf"{data / missing} is missing: the default models are built"):
        build_default_model(task, data, out)
    assert list(out.iterdir()) == []


def test_cli_rebuild_without_data_is_one_line_and_builds_nothing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from core.__main__ import main

    before = {p: p.stat().st_mtime_ns for p in SHIPPED_DIR.rglob("*") if p.is_file()}
    assert main(["models", "build-defaults", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path / 'twitter_fin_sentiment' / 'train.csv'} is missing") and err.count("\n") == 1
    assert before == {p: p.stat().st_mtime_ns for p in SHIPPED_DIR.rglob("*") if p.is_file()}


def test_setup_installs_the_accurate_sentiment_default_active_and_the_fast_one_beside_it(db) -> None:
    from core.nlp.defaults import install_default_models
    from core.nlp.registry import active_version, list_versions

    assert install_default_models() == ["sentiment", "customer_sentiment", "intent", "topic"]
    sentiment = {v.version: v for v in list_versions("sentiment")}
    assert (sentiment[1].base, sentiment[1].is_active) == ("fast", False)  # the earlier default, one click to promote
    assert (sentiment[2].base, sentiment[2].is_active) == ("accurate", True)
    assert active_version("sentiment").version == 2 and "earlier default" in sentiment[1].notes
    assert sentiment[2].duration_s > 600 and sentiment[1].duration_s > 600  # the builds' training time, not 0
    assert [v.base for v in list_versions("intent")] == ["fast"] and active_version("topic").base == "fast"
    customer = list_versions("customer_sentiment")
    assert [(v.method, v.base, v.is_active) for v in customer] == [("lora", "fast", True)]
    assert install_default_models() == []  # a task with versions is left alone
    assert len(list_versions("sentiment")) == 2


def test_the_customer_service_page_reads_the_customers_tone_with_the_shipped_customer_sentiment_model(db) -> None:
    """Installed by setup, the customer_sentiment model replaces the financial-news one on the ask path: an upset
    customer is negative (and handed to a person), a plain question neutral."""
    from core.nlp.defaults import install_default_models
    from core.support.assistant import ask, sentiment_task
    from core.support.kb import import_faq

    install_default_models()
    assert sentiment_task() == "customer_sentiment"
    faq = pd.DataFrame({"question": ["How do I reset my PIN?", "Where is my refund?"],
                        "answer": ["Open the app and choose Card, then PIN.", "Refunds take 5 working days."]})  # fmt: skip
    import_faq("Cards", faq, "question", "answer")
    upset = ask("Cards", "Where is my refund?? I have been waiting for weeks and nobody answers, this is a joke")
    plain = ask("Cards", "How can I reset my PIN?")
    assert (upset.sentiment_task, upset.sentiment) == ("customer_sentiment", "negative")
    assert (plain.sentiment_task, plain.sentiment) == ("customer_sentiment", "neutral")
    assert upset.sentiment_negative > 0.9 > 0.5 > plain.sentiment_negative
    assert "very negative sentiment" in upset.decision.reasons and plain.decision.action == "answer"
    # "??" alone is no upset customer (the model reads it as one: P(negative) 0.99 against 0.00 for "?")
    impatient = ask("Cards", "Where is my refund??")
    assert (impatient.sentiment, impatient.decision.action) == ("neutral", "answer"), impatient.decision.reasons
