"""The item-text model tuned on behaviour: item text in, the user's later interaction as the label.

The MiniLM body stays frozen (its item embeddings are cached per catalogue); on top of it a linear
projection (initialised to the identity, so an untrained projection is the plain text model) is trained
with an in-batch softmax: the projected text of an item a user interacted with must pick out, among the
batch, the projected text of an item the same user interacted with *later* (within ``window`` steps of
their history when the data has timestamps, anywhere in it otherwise). Because the projection reads only
text, it applies to items nobody has interacted with yet: that is what it is for (cold start).
Measured on MovieLens small: benchmarks/results/recommend.json.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from core.nlp.device import use_all_cpu_cores
from core.nlp.sentence_encoder import normalise
from core.recommend.data import Dataset


@dataclass(frozen=True)
class BehaviourTuning:
    pairs_per_epoch: int = 100_000  # at most; small data gets ``pairs_per_interaction`` per interaction
    pairs_per_interaction: int = 10
    epochs: int = 2
    batch_size: int = 1024
    temperature: float = 0.1
    learning_rate: float = 1e-3
    window: int = 10  # the positive is one of the next ``window`` interactions of the same user
    seed: int = 42


@dataclass(frozen=True)
class TextProjection:
    weight: np.ndarray  # (dim, dim); the identity is the untuned text model

    def apply(self, embeddings: np.ndarray) -> np.ndarray:
        """Project item-text embeddings and scale them back to unit length."""
        return normalise(np.asarray(embeddings, dtype=np.float32) @ self.weight.T)


def later_pairs(user_idx: np.ndarray, item_idx: np.ndarray, timestamps: np.ndarray | None, n: int, window: int,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sampled (item, a later item of the same user) pairs from training interactions, as item indices.
    Without timestamps a user's history has no order, so the "later" item is any other one of theirs."""
    ts = np.zeros(len(user_idx)) if timestamps is None else np.nan_to_num(np.asarray(timestamps, dtype=float), nan=-np.inf)
    ordered = timestamps is not None and np.isfinite(ts).any()
    order = np.lexsort((rng.random(len(user_idx)), ts, user_idx))  # by user, then time (ties in random order)
    users, items = user_idx[order], item_idx[order]
    starts = np.searchsorted(users, users, side="left")
    ends = np.searchsorted(users, users, side="right")
    position, count = np.arange(len(users)) - starts, ends - starts
    has_later = (position < count - 1) if ordered else (count >= 2)
    anchors = rng.choice(np.flatnonzero(has_later), size=n) if has_later.any() else np.zeros(0, dtype=np.int64)
    if ordered:
        reach = np.minimum(window, count[anchors] - 1 - position[anchors])
        positives = anchors + 1 + (rng.random(len(anchors)) * reach).astype(np.int64)
    else:
        other = (rng.random(len(anchors)) * (count[anchors] - 1)).astype(np.int64)
        other += other >= position[anchors]  # any other interaction of the same user
        positives = starts[anchors] + other
    keep = items[anchors] != items[positives]
    return items[anchors][keep], items[positives][keep]


def tune_text_projection(embeddings: np.ndarray, user_idx: np.ndarray, item_idx: np.ndarray,
                         timestamps: np.ndarray | None = None, cfg: BehaviourTuning | None = None) -> TextProjection:
    """Train the projection on (item, later item) pairs; the identity when there are no pairs to learn from."""
    cfg = cfg or BehaviourTuning()
    use_all_cpu_cores()
    dim = embeddings.shape[1]
    rng = np.random.default_rng(cfg.seed)
    generator = torch.Generator().manual_seed(cfg.seed)
    layer = torch.nn.Linear(dim, dim, bias=False)
    torch.nn.init.eye_(layer.weight)
    optimiser = torch.optim.Adam(layer.parameters(), lr=cfg.learning_rate)
    vectors = torch.from_numpy(np.ascontiguousarray(embeddings, dtype=np.float32))
    n_pairs = min(cfg.pairs_per_epoch, cfg.pairs_per_interaction * len(user_idx))
    batch_size = max(32, min(cfg.batch_size, n_pairs // 50))  # small data: smaller batches, still enough steps
    for _ in range(cfg.epochs):
        anchors, positives = later_pairs(user_idx, item_idx, timestamps, n_pairs, cfg.window, rng)
        if len(anchors) < 2:
            break
        shuffle = torch.randperm(len(anchors), generator=generator).numpy()
        anchors, positives = anchors[shuffle], positives[shuffle]
        for start in range(0, len(anchors), batch_size):
            a, p = anchors[start : start + batch_size], positives[start : start + batch_size]
            if len(a) < 2:
                continue
            query = F.normalize(layer(vectors[a]), dim=1)
            key = F.normalize(layer(vectors[p]), dim=1)
            logits = query @ key.T / cfg.temperature
            same_item = torch.from_numpy(p[:, None] == p[None, :]) & ~torch.eye(len(p), dtype=torch.bool)
            loss = F.cross_entropy(logits.masked_fill(same_item, -1e9), torch.arange(len(a)))  # a repeat is no negative
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return TextProjection(layer.weight.detach().numpy().astype(np.float32))


def tune_on_dataset(ds: Dataset, embeddings: np.ndarray, interactions: np.ndarray | None = None,
                    seed: int = BehaviourTuning.seed) -> TextProjection:
    """The projection tuned on a dataset's interactions (all of them, or the boolean mask ``interactions``),
    in time order when the dataset has timestamps."""
    keep = np.ones(len(ds.user_idx), dtype=bool) if interactions is None else interactions
    timestamps = ds.timestamps[keep] if ds.has_timestamps else None
    return tune_text_projection(embeddings, ds.user_idx[keep], ds.item_idx[keep], timestamps, BehaviourTuning(seed=seed))
