"""Distillation (issue 13.2): a tiny head-only teacher (fast encoder, trained here on 60 rows) distilled into a
fast student over unlabelled in-domain texts; registration, soft labels, int8 kept or refused, the CLI's errors."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from core.__main__ import main
from core.nlp import registry
from core.nlp.classifier import TextClassifier
from core.nlp.datacheck import check_labelled_data
from core.nlp.distil import DistilDataError, distil, model_size_mb, unlabelled_pool
from core.nlp.runs import execute_run, queue_run
from core.nlp.store import load_model
from core.nlp.training import TrainingCancelled, TrainingParams, train_classifier
from core.settings import get_settings

COMPANIES = ["Nokia", "Kone", "Fortum", "Wartsila", "Elisa", "Orion", "Sampo", "UPM", "Neste", "Outokumpu"]
TEMPLATES = {
    "positive": ["{c} reported record operating profit", "{c} shares jumped after strong quarterly sales",
                 "{c} raised its outlook and its dividend", "{c} won a large order and expects growth",
                 "Net sales of {c} rose sharply"],
    "negative": ["{c} swung to a heavy loss and cut jobs", "{c} shares plunged after a profit warning",
                 "{c} cancelled its dividend as sales fell", "{c} lowered its outlook after weak demand",
                 "Operating profit of {c} collapsed"],
    "neutral": ["{c} will publish its interim report in April", "The annual general meeting of {c} is in Helsinki",
                "{c} is headquartered in Espoo", "{c} appointed a new head of investor relations",
                "{c} has offices in several countries"],
}  # fmt: skip
TRAINING_ROWS = [(t.format(c=c), label) for label, ts in TEMPLATES.items() for t in ts[:2] for c in COMPANIES]  # 60
UNLABELLED = [t.format(c=c) for ts in TEMPLATES.values() for t in ts[2:] for c in COMPANIES]  # 90, none of the above
OTHER_COMPANIES = ["Valmet", "Metso", "Kesko", "Telia", "Tieto", "Finnair", "Stockmann", "Alma", "Aspo", "Caverion",
                   "Ponsse", "Raisio", "Vaisala", "Uponor", "YIT", "Lassila"]  # fmt: skip
FAMILIAR = [t.format(c=c) for ts in TEMPLATES.values() for t in ts[:2] for c in OTHER_COMPANIES]  # the training phrasings


@pytest.fixture
def teacher(db) -> int:
    """Version 1 of sentiment: a head-only fast model trained through a training run (so its rows are stored)."""
    frame = pd.DataFrame(TRAINING_ROWS, columns=["text", "label"])
    params = TrainingParams(method="head", epochs=40, learning_rate=0.1, seed=1)  # confident: clear margins
    run_id = queue_run(check_labelled_data(frame, "text", "label"), "sentiment", params)
    run = execute_run(run_id)
    assert run.status == "succeeded", run.error
    return run.model_version


def _labels(classifier, texts: list[str]) -> list[str]:
    return [classifier.labels[i] for i in classifier.predict_proba(texts).argmax(axis=1)]


def test_the_student_is_registered_not_active_with_its_teacher_and_the_side_by_side(teacher):
    labelled: list[tuple[int, int]] = []
    result = distil("sentiment", teacher, UNLABELLED, int8=False, labelling=lambda done, total: labelled.append((done, total)))
    assert labelled and labelled[-1] == (result.texts, result.texts)  # the teacher's labelling stage, reported to the end

    assert registry.active_version("sentiment").version == teacher  # the teacher stays active
    info = registry.get_version("sentiment", result.version.version)
    assert info.version == 2 and not info.is_active and info.base == "fast"
    assert info.metrics["distilled_from"] == {"task": "sentiment", "version": 1} == info.params["distilled_from"]
    side = info.metrics["comparison"]
    assert side["teacher"]["version"] == 1 and side["student"]["version"] is None  # filled in on the result
    assert result.student.version == 2 and result.teacher.base == "fast"
    for who in ("teacher", "student"):
        assert 0 <= side[who]["accuracy"] <= 1 and 0 <= side[who]["macro_f1"] <= 1
        assert side[who]["texts_per_s"] > 0 and side[who]["size_mb"] > 10  # the whole encoder, not only the head
    held_out = registry.validation_rows(registry.get_version("sentiment", teacher))
    assert registry.validation_rows(info) == held_out and side["validation_rows"] == len(held_out[0])
    assert info.metrics["accuracy"] == side["student"]["accuracy"]
    # the given texts plus the teacher's training texts, never its held-out rows
    training_texts = {t for t, _ in TRAINING_ROWS} - set(held_out[0])
    assert result.sources == {"given texts": len(UNLABELLED), "the teacher's training texts": len(training_texts)}
    assert result.texts == len(UNLABELLED) + len(training_texts)
    with pytest.raises(DistilDataError, match="v2 is itself a compressed student of v1, .*; compress v1 instead, or give a file"):
        unlabelled_pool("sentiment", info)  # compressing the student again: said why there are no texts, and what to do


def test_the_student_gives_the_teachers_labels_on_in_domain_texts(teacher):
    result = distil("sentiment", teacher, UNLABELLED, int8=False)
    loaded_teacher = registry.load_version(registry.get_version("sentiment", teacher))
    student = registry.load_version(result.version)
    same = np.mean([a == b for a, b in zip(_labels(loaded_teacher, UNLABELLED), _labels(student, UNLABELLED))])
    assert same >= 0.9  # chance is about a third
    assert result.agreement >= 0.8


def test_soft_targets_train_towards_the_teachers_probabilities(db):
    texts, labels = [t for t, _ in TRAINING_ROWS], [label for _, label in TRAINING_ROWS]
    order = ["negative", "neutral", "positive"]
    soft = np.array([[0.45 if name == label else 0.275 for name in order] for label in labels], dtype=np.float32)
    result = train_classifier(texts, labels, TrainingParams(method="head", seed=1), label_order=order, soft_targets=soft)
    probs = TextClassifier(result.model, order, precision="fp32").predict_proba(texts)
    assert abs(float(probs.max(axis=1).mean()) - 0.45) < 0.05  # on hard labels the top class gets about 0.69
    assert np.mean([order[i] == label for i, label in zip(probs.argmax(axis=1), labels)]) >= 0.9
    assert "val_soft_loss" in result.history[-1]
    with pytest.raises(ValueError, match="one column per label"):
        train_classifier(texts, labels, TrainingParams(method="head"), label_order=order, soft_targets=soft[:, :2])


def test_int8_is_kept_when_labels_agree_and_applied_at_load(teacher):
    result = distil("sentiment", teacher, FAMILIAR)  # texts phrased as the teacher learned: no borderline labels
    assert result.int8["applied"] and result.int8["agreement"] >= 0.99, result.int8
    manifest = json.loads((get_settings().model_dir / result.version.path / "manifest.json").read_text())
    assert manifest["quantisation"] == "int8+embeddings" and manifest["int8_agreement"] == result.int8["agreement"]
    model, files = load_model(get_settings().model_dir / result.version.path)
    assert files.quantisation == "int8+embeddings"
    assert any(isinstance(m, torch.ao.nn.quantized.dynamic.Linear) for m in model.modules())
    assert any(isinstance(m, torch.ao.nn.quantized.Embedding) for m in model.modules())
    classifier = registry.load_version(result.version)
    assert classifier.device.type == "cpu" and result.student.precision == "int8"
    assert result.version.params["quantisation"] == "int8"
    fp32, _ = load_model(get_settings().model_dir / result.version.path, quantised=False)
    assert result.student.size_mb < 0.35 * model_size_mb(fp32)  # int8 linear layers and embedding tables

    (get_settings().model_dir / result.version.path / "manifest.json").write_text(json.dumps(manifest | {"quantisation": "int8"}))
    model, files = load_model(get_settings().model_dir / result.version.path)  # as an earlier Beacon saved an int8 student
    assert files.quantisation == "int8" and any(isinstance(m, torch.ao.nn.quantized.dynamic.Linear) for m in model.modules())
    assert not any(isinstance(m, torch.ao.nn.quantized.Embedding) for m in model.modules())  # loaded as it was checked


def test_int8_is_refused_when_the_agreement_check_fails(teacher):
    result = distil("sentiment", teacher, UNLABELLED, min_agreement=1.01)  # a check no model can pass
    assert not result.int8["applied"] and result.int8["reason"].startswith("kept in fp32: in int8 only")
    manifest = json.loads((get_settings().model_dir / result.version.path / "manifest.json").read_text())
    assert "quantisation" not in manifest
    model, files = load_model(get_settings().model_dir / result.version.path)
    assert files.quantisation == "" and not any(isinstance(m, torch.ao.nn.quantized.dynamic.Linear) for m in model.modules())
    assert result.student.precision != "int8" and result.version.params["quantisation"] == "fp32"


def test_stored_feed_items_are_the_default_texts_for_sentiment(teacher):
    from tests.unit.test_alert_detect import add_article, add_feed

    feed = add_feed()
    for text in UNLABELLED[:40]:
        add_article(feed, title=text)
    for text in UNLABELLED[40:50]:
        add_article(feed, title=text, scored=False)
    result = distil("sentiment", teacher, int8=False)
    assert result.sources["stored feed items"] == 50


def test_a_cancel_registers_nothing(teacher):
    with pytest.raises(TrainingCancelled):
        distil("sentiment", teacher, UNLABELLED, should_stop=lambda: True)
    assert [v.version for v in registry.list_versions("sentiment")] == [teacher]


def test_too_few_texts_say_how_many_and_from_where(teacher):
    info = replace(registry.get_version("sentiment", teacher), task="custom")  # no project texts, no training run
    with pytest.raises(DistilDataError, match="only 3 distinct texts to distil custom on \\(3 from given texts, 0 from the teacher's"):
        unlabelled_pool("custom", info, ["a", "b", " c ", "a", " ", None])


def test_a_lora_student_learns_the_teachers_labels_and_loads_merged(teacher):
    result = distil("sentiment", teacher, UNLABELLED, int8=False, method="lora")
    assert result.version.method == "lora" and (get_settings().model_dir / result.version.path / "adapter").is_dir()
    loaded_teacher = registry.load_version(registry.get_version("sentiment", teacher))
    student = registry.load_version(result.version)
    same = np.mean([a == b for a, b in zip(_labels(loaded_teacher, UNLABELLED), _labels(student, UNLABELLED))])
    assert same >= 0.8  # chance is about a third


def test_a_smaller_student_keeps_its_first_layers_and_loads_as_saved(teacher):
    result = distil("sentiment", teacher, UNLABELLED, int8=False, method="full", layers=2)
    folder = get_settings().model_dir / result.version.path
    assert json.loads((folder / "full" / "config.json").read_text())["num_hidden_layers"] == 2
    model, _ = load_model(folder)
    assert len(model.bert.encoder.layer) == 2
    assert result.student.method == "full, 2 layers" and result.version.params["layers"] == 2
    full_size = model_size_mb(load_model(get_settings().model_dir / registry.get_version("sentiment", teacher).path)[0])
    assert result.student.size_mb < 0.85 * full_size  # 2 of 6 transformer layers (the embeddings are most of the rest)
    loaded_teacher = registry.load_version(registry.get_version("sentiment", teacher))
    student = registry.load_version(result.version)
    same = np.mean([a == b for a, b in zip(_labels(loaded_teacher, UNLABELLED), _labels(student, UNLABELLED))])
    assert same >= 0.8  # chance is about a third


def test_fewer_layers_are_only_trained_in_full(teacher):
    with pytest.raises(ValueError, match="trained in full"):
        distil("sentiment", teacher, UNLABELLED, method="lora", layers=3)
    with pytest.raises(ValueError, match="keeps 1 to 6 layers, not 9"):
        distil("sentiment", teacher, UNLABELLED, method="full", layers=9)
    assert [v.version for v in registry.list_versions("sentiment")] == [teacher]


# ---------------------------------------------------------------- the command line


@pytest.fixture
def teacher_without_run(db) -> int:
    """Version 1 of sentiment registered directly (no stored training rows: only given texts are distilled on)."""
    return registry.register_trained(_tiny_teacher(), "sentiment", created_by="tests").version


_TEACHER = []


def _tiny_teacher():
    if not _TEACHER:
        texts, labels = zip(*TRAINING_ROWS)
        _TEACHER.append(train_classifier(list(texts), list(labels), TrainingParams(method="head", epochs=40, seed=1)))
    return _TEACHER[0]


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["models", "distil", "--task", "sentiment", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_distils_from_a_file_and_prints_the_side_by_side(teacher_without_run, tmp_path, capsys):
    path = tmp_path / "texts.csv"
    pd.DataFrame({"id": range(len(UNLABELLED)), "headline": UNLABELLED}).to_csv(path, index=False)
    code, out, err = _cli(capsys, "--from-version", "1", "--unlabelled", str(path), "--text-column", "headline", "--no-int8")
    assert code == 0, err
    for expected in ("teacher v1", "student v2", "accuracy", "macro-F1", "texts/s", "size (MB)", "(not active)"):
        assert expected in out
    assert f"distilled on {len(UNLABELLED)} texts ({len(UNLABELLED)} from texts.csv (column headline)" in out
    assert f"teacher labelled {len(UNLABELLED)} of {len(UNLABELLED)} texts" in out  # before the student's epochs
    assert out.index("teacher labelled") < out.index("student epoch 1/")
    info = registry.get_version("sentiment", 2)
    assert not info.is_active and info.params["quantisation"] == "fp32"
    assert (info.method, info.params["layers"]) == ("full", 3)  # the default student, as Model Studio's
    assert info.metrics["comparison"]["sources"]["texts.csv (column headline)"] == len(UNLABELLED)  # the version's own record


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda d: d / "missing.csv", "missing.csv: file not found"),
        (lambda d: _csv(d, {"headline": UNLABELLED}), "texts.csv: no column named 'text'; columns are: headline;"),
        (lambda d: _csv(d, {"text": UNLABELLED[:10]}), "only 10 distinct texts to distil sentiment"),
        (lambda d: _write(d / "texts.csv", b"\x89PNG\r\n\x1a\n\x00\x00binary"), "texts.csv"),
    ],
)
def test_cli_input_problems_print_one_line_exit_2_and_register_nothing(teacher_without_run, tmp_path, capsys, make, expected):
    code, out, err = _cli(capsys, "--from-version", "1", "--unlabelled", str(make(tmp_path)))
    assert code == 2 and expected in err and len(err.strip().splitlines()) == 1, err
    assert [v.version for v in registry.list_versions("sentiment")] == [1]


@pytest.mark.parametrize(
    "flags, expected",
    [(("--student-layers", "0"), "keeps 1 to 6 layers, not 0"), (("--student-method", "lora", "--student-layers", "3"), "trained in full")],
)
def test_cli_impossible_students_print_one_line_exit_2(teacher_without_run, capsys, flags, expected):
    code, _, err = _cli(capsys, "--from-version", "1", *flags)
    assert code == 2 and expected in err and len(err.strip().splitlines()) == 1, err
    assert [v.version for v in registry.list_versions("sentiment")] == [1]


def test_cli_unknown_version_exits_2(teacher_without_run, capsys):
    code, _, err = _cli(capsys, "--from-version", "7")
    assert code == 2 and "task 'sentiment' has no version 7" in err


def _csv(folder, columns: dict):  # noqa: ANN001, ANN202
    path = folder / "texts.csv"
    pd.DataFrame(columns).to_csv(path, index=False)
    return path


def _write(path, data: bytes):  # noqa: ANN001, ANN202
    path.write_bytes(data)
    return path
