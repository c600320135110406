"""The shipped default models (shipped_models/), loaded once per session exactly as `python -m core setup` installs
them (verified against their manifests), scored on the CPU in the product's default precision."""

from __future__ import annotations

import pytest

from core.nlp.classifier import TextClassifier
from core.nlp.defaults import SHIPPED_DIR
from core.nlp.store import load_model
from tests.support.accurate_encoder import assembled_fixture, shared_accurate_encoder_fixture  # noqa: F401 - fixtures


def shipped(task: str) -> TextClassifier:
    model, files = load_model(SHIPPED_DIR / task)
    return TextClassifier(model, files.labels, max_length=files.max_length, device="cpu", task=task)


@pytest.fixture(scope="module")
def sentiment(shared_accurate_encoder: object) -> TextClassifier:  # on the accurate encoder (skips without its packages)
    return shipped("sentiment")


@pytest.fixture(scope="session")
def topic() -> TextClassifier:
    return shipped("topic")


@pytest.fixture(scope="session")
def intent() -> TextClassifier:
    return shipped("intent")


@pytest.fixture(scope="session")
def customer_sentiment() -> TextClassifier:
    return shipped("customer_sentiment")
