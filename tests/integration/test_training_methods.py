"""LoRA and full fine-tuning run end to end (on this machine's device and mixed precision) and give a model that
saves, loads and scores like the head-only one."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import TINY_SENTIMENT


@pytest.mark.parametrize("method", ["lora", "full"])
def test_fine_tuning_trains_saves_and_loads(method, tmp_path):
    from core.nlp.classifier import TextClassifier
    from core.nlp.store import load_model, save_model
    from core.nlp.training import TrainingParams, train_classifier

    texts, labels = [t for t, _ in TINY_SENTIMENT], [lab for _, lab in TINY_SENTIMENT]
    result = train_classifier(texts, labels, TrainingParams(method=method, epochs=1, batch_size=8, max_length=32, seed=1))
    assert len(result.history) == 1 and result.metrics["n"] == len(result.val_texts) > 0
    save_model(result.saveable, tmp_path / "v1", "sentiment", method, result.labels, 32)
    model, files = load_model(tmp_path / "v1")
    probs = TextClassifier(model, files.labels, max_length=32, precision="fp32").predict_proba(result.val_texts)
    assert np.allclose(probs.max(axis=1), result.val_confidences, atol=1e-3)  # the saved model scores as trained
