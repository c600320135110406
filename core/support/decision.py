"""The one answer-or-escalate decision. Every caller (ask box, CLI, ticket analytics, benchmark) uses
``decide``; thresholds come from one ``Policy`` (settings or the page's choice), never from scattered constants.
The confidence threshold is one of three measured operating points ("answer more", "balanced" — the default, a
wrong answer being worse than an escalation — "be more careful"; core/support/operating_points.py) or a custom one.

Scores going in:
- ``similarity``: cosine similarity (normalised mean-pooled MiniLM embeddings) between the question and
  the best FAQ question, after re-ranking; in [-1, 1], in practice 0.1–1.0.
- ``intent_confidence``: the active intent model's softmax probability of its top intent, relative to how sure
  the model is of the knowledge base's own questions (``relative_intent_confidence``: divided by the median top
  probability on those questions, at most 1). A team's own intent model with a few classes may give 0.5 to a
  question it places right; the raw figure would count that as doubt. None when no intent model is active: then
  intent cannot be a reason to escalate.
- ``negative``: the sentiment model's probability of "negative" (None when no sentiment model).

The answer confidence shown to the user is ``answer_confidence``: the similarity, lowered when the intent
model does not recognise the question (``min(similarity, (similarity + intent_confidence) / 2)``). The
benchmark (benchmarks/support.py) measured that this combination escalates more unknown-intent questions than
either score alone at the same share of known questions answered; the default thresholds were set there.
A question the FAQ holds word for word (``SAME_QUESTION``) is the exception: the entry is the team's answer to it,
so an intent model that does not know the question (the shipped one knows banking only) cannot hold it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

LOW_SIMILARITY = "low similarity"
UNKNOWN_INTENT = "unknown intent"
VERY_NEGATIVE = "very negative sentiment"
EMPTY_KB = "empty knowledge base"


# The three operating points offered on the page: the most wrong answers (share of in-scope questions) each may
# give. benchmarks/support.py picks each one's threshold on a validation split carved from Banking77 train and
# writes them, with their measured effect, to core/support/operating_points.json (see operating_points.py).
PRESET_MAX_WRONG = {"answer more": 0.08, "balanced": 0.05, "be more careful": 0.02}


@dataclass(frozen=True)
class Policy:
    confidence_threshold: float = 0.6  # answer only when answer_confidence >= this
    intent_threshold: float = 0.3  # top intent probability below this: the intent is unknown
    negative_threshold: float = 0.9  # P(negative) at or above this: hand the customer to a person
    # the measured point the confidence threshold comes from, "custom" (set by hand) or "team" (the knowledge base's)
    operating_point: str = "custom"

    @classmethod
    def from_settings(cls) -> Policy:
        """The policy of the settings: the operating point ``BEACON_SUPPORT_OPERATING_POINT`` (default "balanced"), or
        "custom" with ``BEACON_SUPPORT_CONFIDENCE_THRESHOLD`` (what a deployment that sets only the threshold gets)."""
        from core.settings import get_settings

        return cls.for_operating_point(get_settings().support_operating_point)

    @classmethod
    def for_operating_point(cls, name: str, threshold: float | None = None) -> Policy:
        """The policy at operating point ``name`` ("answer more", "balanced", "be more careful": its measured
        threshold), or "custom" with ``threshold`` (default: the settings' confidence threshold). The intent and
        sentiment thresholds come from the settings. A bad name is a ValueError naming the choices."""
        from core.settings import get_settings
        from core.support.operating_points import CUSTOM, operating_point, point_name

        s = get_settings()
        name = point_name(name)
        if name == CUSTOM:
            chosen = s.support_confidence_threshold if threshold is None else float(threshold)
        else:
            chosen = operating_point(name).threshold
        return cls(chosen, s.support_intent_threshold, s.support_negative_threshold, name)

    @classmethod
    def for_team(cls, threshold: float) -> Policy:
        """The policy at a knowledge base's team threshold (``core.support.kb.team_threshold``): a custom threshold that
        says whose it is."""
        return replace(cls.for_operating_point("custom", threshold), operating_point="team")

    def describe(self) -> str:
        """The policy in words: "balanced (threshold 0.74)", "custom threshold 0.60" or "team threshold 0.48"."""
        if self.operating_point in ("custom", "team"):
            return f"{self.operating_point} threshold {self.confidence_threshold:.2f}"
        return f"{self.operating_point} (threshold {self.confidence_threshold:.2f})"


@dataclass(frozen=True)
class Decision:
    action: str  # "answer" | "escalate"
    confidence: float
    reasons: list[str] = field(default_factory=list)  # why it escalates; empty when it answers

    @property
    def escalate(self) -> bool:
        return self.action == "escalate"

    def explanation(self) -> str:
        if not self.escalate:
            return f"answered with confidence {self.confidence:.2f}"
        return "escalate to an agent: " + ", ".join(self.reasons)


def relative_intent_confidence(top_probability: float | None, reference: float | None) -> float | None:
    """The intent model's top probability for a question relative to ``reference``, the median it gives the
    knowledge base's own questions (``core.support.assistant.intent_reference``); at most 1. Without a reference
    the probability itself. With the shipped intent model on a bank FAQ the reference is near 1, so the measured
    operating points and escalation figures (benchmarks/support.py) hold."""
    if top_probability is None:
        return None
    if not reference:
        return float(top_probability)
    return min(1.0, float(top_probability) / reference)


# Cosine similarity at which the question asked is the FAQ's question itself, up to case and punctuation (MiniLM
# gives identical texts 1.0; benchmarks/same_question.py measures which pairs of Banking77 training questions reach it).
SAME_QUESTION = 0.99


def answer_confidence(similarity: float | None, intent_confidence: float | None) -> float:
    """The calibrated answer confidence in [0, 1] (see the module docstring)."""
    if similarity is None:
        return 0.0
    sim = min(1.0, max(0.0, float(similarity)))
    if intent_confidence is None or sim >= SAME_QUESTION:
        return sim
    return min(sim, (sim + float(intent_confidence)) / 2)


def decide(
    similarity: float | None,
    intent_confidence: float | None = None,
    negative: float | None = None,
    policy: Policy | None = None,
) -> Decision:
    """Answer, or escalate to an agent with every reason that applies:
    - ``low similarity``: the best FAQ match's similarity is below ``policy.confidence_threshold``;
    - ``unknown intent``: the top intent probability is below ``policy.intent_threshold``, or a weak intent
      probability pulled the answer confidence below ``policy.confidence_threshold`` (never for a question the FAQ
      holds as written, ``SAME_QUESTION``);
    - ``empty knowledge base``: nothing to match;
    - ``very negative sentiment``: P(negative) is at least ``policy.negative_threshold``.
    """
    policy = policy or Policy.from_settings()
    confidence = answer_confidence(similarity, intent_confidence)
    reasons: list[str] = []
    if similarity is None:
        reasons.append(EMPTY_KB)
    elif confidence < policy.confidence_threshold:
        # the similarity itself is too low, or a weakly recognised intent pulled the confidence down
        reasons.append(LOW_SIMILARITY if similarity < policy.confidence_threshold else UNKNOWN_INTENT)
    asked_as_written = similarity is not None and similarity >= SAME_QUESTION  # the FAQ's own question: its answer
    intent_doubted = intent_confidence is not None and intent_confidence < policy.intent_threshold and not asked_as_written
    if intent_doubted and UNKNOWN_INTENT not in reasons:
        reasons.append(UNKNOWN_INTENT)
    if negative is not None and negative >= policy.negative_threshold:
        reasons.append(VERY_NEGATIVE)
    return Decision("escalate" if reasons else "answer", round(confidence, 4), reasons)
