"""Offline evaluation: fit every model on the training part, rank ALL items a user has not seen in training
(never sampled negatives), and score the held-out interactions; plus a cold-start test on items held out of
training entirely."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from core.recommend import metrics
from core.recommend.behaviour import tune_on_dataset
from core.recommend.data import Dataset
from core.recommend.models import (
    DEFAULT_TEXT_WEIGHT,
    EASE,
    MODEL_LABELS,
    Hybrid,
    ItemKNN,
    Popularity,
    Ranker,
    TextKNN,
    mask_seen,
    top_k,
    top_k_random_ties,
)
from core.recommend.split import PROTOCOLS, Split, cold_items, make_split, split_random

ALL_MODELS = ("popularity", "itemknn", "ease", "text", "text_tuned", "hybrid")
TEXT_MODELS = ("text", "text_tuned", "hybrid")  # the models that need item-text embeddings
TEXT_WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)
COLD_K = 20
Progress = Callable[[str], None]


@dataclass
class EvalConfig:
    protocol: str = "random"
    test_ratio: float = 0.25
    seed: int = 42
    k: int = 10
    models: tuple[str, ...] = ALL_MODELS
    cold_share: float = 0.1  # of the items with interactions, held out for the cold-start test
    ease_l2: float = 300.0
    text_weight: float | None = None  # None = chosen on a validation part of the training data


@dataclass
class EvalResult:
    rows: list[dict]  # one per model: metrics and timings
    meta: dict = field(default_factory=dict)  # protocol, seed, dataset version, sizes, cold-start set-up

    def table(self):  # noqa: ANN201 - pandas DataFrame
        import pandas as pd

        return pd.DataFrame(self.rows)


def build_models(names: tuple[str, ...], embeddings: np.ndarray | None, cfg: EvalConfig, text: TextKNN | None = None,
                 tuned: TextKNN | None = None) -> dict[str, Ranker]:
    """Unfitted rankers by name; ``text`` and ``tuned`` (the text model and the one tuned on behaviour, already
    fitted) are shared when given."""
    models: dict[str, Ranker] = {}
    for name in names:
        if name == "popularity":
            models[name] = Popularity()
        elif name == "ease":
            models[name] = EASE(l2=cfg.ease_l2)
        elif name == "itemknn":
            models[name] = ItemKNN()
        elif name in TEXT_MODELS:
            if embeddings is None:
                raise ValueError(f"the {MODEL_LABELS[name]} model needs item-text embeddings")
        else:
            raise ValueError(f"unknown model {name!r}; choose from {', '.join(ALL_MODELS)}")
    if any(name in names for name in TEXT_MODELS):
        models["text"] = text or TextKNN(embeddings)
    if "text_tuned" in names:
        if tuned is None:
            raise ValueError("the text model tuned on behaviour must be fitted first (tuned_text_model)")
        models["text_tuned"] = tuned
    if "hybrid" in names:
        models.setdefault("ease", EASE(l2=cfg.ease_l2))
        weight = DEFAULT_TEXT_WEIGHT if cfg.text_weight is None else cfg.text_weight
        models["hybrid"] = Hybrid(models["ease"], models["text"], weight, cold_text=tuned)
    return models


def tuned_text_model(ds: Dataset, train_mask: np.ndarray, embeddings: np.ndarray, seed: int) -> TextKNN:
    """The item-text model tuned on the training interactions ``train_mask`` (core.recommend.behaviour)."""
    projection = tune_on_dataset(ds, embeddings, train_mask, seed)
    return TextKNN(projection.apply(embeddings), name="text_tuned").fit()


def rank_users(model: Ranker, train: sparse.csr_matrix, users: np.ndarray, k: int, batch: int = 1024,
               candidates: np.ndarray | None = None, tie_seed: int | None = None) -> np.ndarray:
    """Top-k item indices for ``users``, excluding their training items; over all items or only ``candidates``.
    Equal scores among ``candidates`` are ranked in a random order drawn from ``tie_seed`` when given (the same
    order for every model), by item position otherwise."""
    out = np.zeros((len(users), min(k, train.shape[1] if candidates is None else len(candidates))), dtype=np.int64)
    rng = np.random.default_rng(tie_seed) if tie_seed is not None else None
    for start in range(0, len(users), batch):
        history = train[users[start : start + batch]]
        scores = mask_seen(model.score(history), history)
        if candidates is not None:
            among = scores[:, candidates]
            out[start : start + batch] = candidates[top_k(among, k) if rng is None else top_k_random_ties(among, k, rng)]
        else:
            out[start : start + batch] = top_k(scores, k)
    return out


def _ranking_metrics(topk: np.ndarray, test: sparse.csr_matrix, k: int, n_items: int) -> dict[str, float]:
    rel = metrics.relevance(topk, test)
    n_rel = np.diff(test.indptr)
    return {
        f"ndcg@{k}": float(metrics.ndcg_at_k(rel, n_rel, k).mean()),
        f"precision@{k}": float(metrics.precision_at_k(rel, k).mean()),
        f"recall@{k}": float(metrics.recall_at_k(rel, n_rel, k).mean()),
        "recall@20": float(metrics.recall_at_k(rel, n_rel, 20).mean()),
        f"hit_rate@{k}": float(metrics.hit_rate_at_k(rel, k).mean()),
        f"coverage@{k}": metrics.catalogue_coverage(topk, n_items, k),
    }


def choose_text_weight(ds: Dataset, train_mask: np.ndarray, text: TextKNN, cfg: EvalConfig) -> float:
    """Pick the hybrid's text weight by NDCG on a validation part carved out of the training interactions only."""
    sub = Dataset(ds.users, ds.items, ds.user_idx[train_mask], ds.item_idx[train_mask], ds.timestamps[train_mask])
    split = split_random(sub, 0.2, cfg.seed + 7)
    cf = EASE(l2=cfg.ease_l2).fit(split.train)
    users = np.flatnonzero(np.diff(split.test.indptr) > 0)
    if len(users) > 2000:
        users = np.sort(np.random.default_rng(cfg.seed).choice(users, 2000, replace=False))
    history = split.train[users]
    cf_scores, text_scores = cf.score(history), text.score(history)
    hybrid = Hybrid(cf, text)
    best, best_score = 0.0, -1.0
    for weight in TEXT_WEIGHTS:
        topk = top_k(mask_seen(hybrid.blend(cf_scores, text_scores, weight), history), cfg.k)
        rel = metrics.relevance(topk, split.test[users])
        score = float(metrics.ndcg_at_k(rel, np.diff(split.test[users].indptr), cfg.k).mean())
        if score > best_score + 1e-9:
            best, best_score = weight, score
    return best


def _fit_all(models: dict[str, Ranker], train: sparse.csr_matrix, fit_seconds: dict, say: Progress) -> None:
    """Fit the rankers that learn from interactions (the text models are fitted already) and time them."""
    for name, model in models.items():
        if name in TEXT_MODELS:
            continue
        say(f"fitting {MODEL_LABELS[name]}")
        started = time.perf_counter()
        model.fit(train)
        fit_seconds[name] = time.perf_counter() - started
    if "hybrid" in models:
        models["hybrid"].fit(train)
        parts = ("ease", "text", "text_tuned") if models["hybrid"].cold_text is not None else ("ease", "text")
        fit_seconds["hybrid"] = sum(fit_seconds.get(part, 0.0) for part in parts)


def evaluation_steps(cfg: EvalConfig, ds: Dataset | None = None) -> int:
    """How many progress messages ``evaluate`` sends, for a progress bar: with the cold-start part unless ``ds`` is
    given and holds too few items for it (without ``ds``, the most it can send)."""
    text = int(any(name in cfg.models for name in TEXT_MODELS))
    tuned = int("text_tuned" in cfg.models or "hybrid" in cfg.models)
    weight = int("hybrid" in cfg.models and cfg.text_weight is None)
    fits = sum(name not in TEXT_MODELS for name in cfg.models)
    cold = tuned + fits if ds is None or len(cold_items(ds, cfg.cold_share, cfg.seed)) > COLD_K else 0
    return text + tuned + weight + fits + cold + len(cfg.models)


@dataclass
class ColdStart:
    """Cold start: items held out of training entirely; each user's held-out cold items ranked among all cold items,
    equal scores in a seeded random order (a model that knows nothing about cold items scores at the random level).
    With COLD_K or fewer cold items any ranking puts all of them in the top COLD_K: every model would score 1.0, so
    the test is not run (its column stays empty and the page says why)."""

    items: np.ndarray
    train: sparse.csr_matrix
    test: sparse.csr_matrix
    users: np.ndarray
    models: dict[str, Ranker] = field(default_factory=dict)

    @property
    def measured(self) -> bool:
        return len(self.items) > COLD_K

    @property
    def random_recall(self) -> float:
        return min(COLD_K, len(self.items)) / len(self.items) if len(self.items) else 0.0


def _fit_text_models(ds: Dataset, train_mask: np.ndarray, embeddings: np.ndarray | None, cfg: EvalConfig, fit_seconds: dict,
                     say: Progress) -> tuple[TextKNN | None, TextKNN | None, float | None]:
    """The item-text model, the one tuned on behaviour and the hybrid's text weight, as far as ``cfg.models`` needs them."""
    text, tuned, text_weight = None, None, cfg.text_weight
    if any(name in cfg.models for name in TEXT_MODELS):
        if embeddings is None:
            raise ValueError("the item-text and hybrid models need item-text embeddings")
        say(f"fitting {MODEL_LABELS['text']}")
        started = time.perf_counter()
        text = TextKNN(embeddings).fit()
        fit_seconds["text"] = time.perf_counter() - started
    if "text_tuned" in cfg.models or "hybrid" in cfg.models:
        say(f"fitting {MODEL_LABELS['text_tuned']}")
        started = time.perf_counter()
        tuned = tuned_text_model(ds, train_mask, embeddings, cfg.seed)
        fit_seconds["text_tuned"] = time.perf_counter() - started
    if "hybrid" in cfg.models and text_weight is None:
        say("choosing the hybrid's text weight on a validation part of the training data")
        text_weight = choose_text_weight(ds, train_mask, text, cfg)
    return text, tuned, text_weight


def _cold_start(ds: Dataset, embeddings: np.ndarray | None, cfg: EvalConfig, text: TextKNN | None, tuned: TextKNN | None,
                say: Progress) -> ColdStart:
    """The cold-start test set up: its items, users and matrices, and the models fitted without those items."""
    items = cold_items(ds, cfg.cold_share, cfg.seed)
    is_cold = np.isin(ds.item_idx, items)
    train, test = ds.matrix(~is_cold), ds.matrix(is_cold)
    cold = ColdStart(items, train, test, np.array([], int))
    if cold.measured:
        cold.users = np.flatnonzero((np.diff(test.indptr) > 0) & (np.diff(train.indptr) > 0))
    if len(cold.users):
        cold_tuned = None
        if tuned is not None:
            say(f"fitting {MODEL_LABELS['text_tuned']} without the cold-start items")
            cold_tuned = tuned_text_model(ds, ~is_cold, embeddings, cfg.seed)
        cold.models = build_models(cfg.models, embeddings, cfg, text, cold_tuned)
        _fit_all(cold.models, train, {}, lambda msg: say(f"{msg} without the cold-start items"))
    return cold


def _model_row(name: str, model: Ranker, split: Split, test_users: np.ndarray, cold: ColdStart, k: int, n_items: int,
               seed: int, fit_s: float) -> dict:
    """One model's metrics (ranked over all items, and among the cold-start items), its fitting and its ranking time."""
    started = time.perf_counter()
    topk = rank_users(model, split.train, test_users, max(k, 20))
    row = {"model": name, "name": MODEL_LABELS[name], **_ranking_metrics(topk, split.test[test_users], k, n_items)}
    row["cold_recall@20"] = None
    if len(cold.users):
        cold_top = rank_users(cold.models[name], cold.train, cold.users, COLD_K, candidates=cold.items, tie_seed=seed)
        rel = metrics.relevance(cold_top, cold.test[cold.users])
        row["cold_recall@20"] = float(metrics.recall_at_k(rel, np.diff(cold.test[cold.users].indptr), COLD_K).mean())
    row["fit_s"] = round(fit_s, 3)
    row["eval_s"] = round(time.perf_counter() - started, 3)
    return row


def evaluate(ds: Dataset, embeddings: np.ndarray | None, cfg: EvalConfig, progress: Progress | None = None) -> EvalResult:
    """Compare the models under one protocol. Deterministic for a given dataset, config and seed."""
    say = progress or (lambda _msg: None)
    if cfg.protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {cfg.protocol!r}; choose one of {', '.join(PROTOCOLS)}")
    k = cfg.k
    split = make_split(ds, cfg.protocol, cfg.test_ratio, cfg.seed)
    test_users = np.flatnonzero(np.diff(split.test.indptr) > 0)
    if len(test_users) == 0:
        raise ValueError("no user has a held-out interaction: every user needs at least two interactions")
    fit_seconds: dict = {}
    text, tuned, text_weight = _fit_text_models(ds, ~split.test_mask, embeddings, cfg, fit_seconds, say)
    cfg_used = EvalConfig(**{**cfg.__dict__, "text_weight": text_weight})
    models = build_models(cfg.models, embeddings, cfg_used, text, tuned)
    _fit_all(models, split.train, fit_seconds, say)
    cold = _cold_start(ds, embeddings, cfg_used, text, tuned, say)
    rows = []
    for name in cfg.models:
        say(f"evaluating {MODEL_LABELS[name]}")
        rows.append(_model_row(name, models[name], split, test_users, cold, k, ds.n_items, cfg.seed, fit_seconds[name]))
    base = next((r[f"ndcg@{k}"] for r in rows if r["model"] == "popularity"), None)
    for row in rows:
        row[f"ndcg@{k}_vs_popularity"] = round(row[f"ndcg@{k}"] / base, 3) if base else None
    meta = {
        "protocol": cfg.protocol, "protocol_text": PROTOCOLS[cfg.protocol], "seed": cfg.seed,
        "test_ratio": cfg.test_ratio if cfg.protocol == "random" else None, "k": k, "dataset_version": ds.version,
        "users": ds.n_users, "items": ds.n_items, "interactions": len(ds.user_idx),
        "train_interactions": int(split.train.nnz), "test_interactions": int(split.test.nnz), "test_users": len(test_users),
        "ranking": "all items the user has not interacted with in training (no sampled negatives); binary relevance",
        "text_weight": text_weight, "cold_items": len(cold.items), "cold_users": len(cold.users),
        "cold_random_recall@20": cold.random_recall, "cold_measured": cold.measured, "cold_share": cfg.cold_share,
        "cold_protocol": f"{len(cold.items):,} items ({cfg.cold_share:.0%} of items with interactions, seed {cfg.seed}) removed "
                         "from training entirely; each user's interactions with them ranked among all of them (equal scores in a "
                         f"random order, seed {cfg.seed})",
    }
    return EvalResult(rows, meta)
