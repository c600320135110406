"""Where the intents of "what customers ask about most" come from: said under the charts, with the model's sources."""

from __future__ import annotations

from core.nlp import registry
from core.views.customer_service import SOURCE_CHARS, intents_caption


def test_the_caption_names_the_active_intent_model_and_what_it_learned_from(db):
    from core.nlp.defaults import install_default_models

    assert intents_caption() == ""  # no intent model: nothing to say
    install_default_models()
    info = registry.active_version("intent")
    said = intents_caption()
    assert said.startswith(f"Intents are the {len(info.labels)} that the active intent model (v{info.version}: banking77 train")
    assert said.endswith("train an intent model on your own labelled questions in Model Studio (task intent).")
    assert len(info.notes) <= SOURCE_CHARS or "…" in said
