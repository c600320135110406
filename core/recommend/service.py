"""The fitted recommender behind the page, the CLI and the nightly export: top-N per user with a reason per
item, similar items, and which users a new (text-only) item would suit; and the steps on a stored dataset
version (evaluate it, fit it, the nightly refit and export)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from core.downloads import safe_csv
from core.recommend import store
from core.recommend.behaviour import tune_on_dataset
from core.recommend.data import Dataset, item_text
from core.recommend.embeddings import EMBEDDING_STAGE, embed_texts, embedded, item_embeddings
from core.recommend.evaluate import EvalConfig, Progress, evaluate
from core.recommend.models import DEFAULT_TEXT_WEIGHT, EASE, Hybrid, Popularity, TextKNN, mask_seen, serving_text_weight, top_k

log = logging.getLogger("beacon.recommend")


# "similar to X" is said only where the two item texts are this close (cosine of their embeddings): unrelated
# product texts sit around 0.2-0.35 on MiniLM ("Trail shoe 3" and "Wool hat 3": 0.33), related ones above 0.5
# ("Beanie, warm winter hat" and "Wool hat": 0.68). Below it the item is explained as what others took instead.
SIMILAR_TEXT = 0.5


def _first_category(value: str) -> str:
    return str(value or "").replace(",", "|").split("|")[0].strip()


class Recommender:
    """The hybrid (EASE + item text; the text model tuned on behaviour for items nobody has interacted with)
    fitted on all interactions of a dataset version."""

    def __init__(self, ds: Dataset, embeddings: np.ndarray, text_weight: float = DEFAULT_TEXT_WEIGHT, l2: float = 300.0) -> None:
        self.ds = ds
        self.matrix = ds.matrix()
        self.embeddings = embeddings
        self.popularity = Popularity().fit(self.matrix)
        self.ease = EASE(l2=l2).fit(self.matrix)
        self.text = TextKNN(embeddings).fit()
        self.projection = tune_on_dataset(ds, embeddings)
        self.tuned_embeddings = self.projection.apply(embeddings)
        self.tuned = TextKNN(self.tuned_embeddings, name="text_tuned").fit()
        self.hybrid = Hybrid(self.ease, self.text, text_weight, cold_text=self.tuned).fit(self.matrix)
        self.titles = ds.items["title"].astype(str).where(ds.items["title"].astype(str) != "", ds.items["item"].astype(str)).to_numpy()
        self.user_pos = pd.Series(np.arange(ds.n_users), index=ds.users)
        self.item_pos = pd.Series(np.arange(ds.n_items), index=ds.items["item"].astype(str).to_numpy())
        self._ease_full = None

    @classmethod
    def for_dataset(cls, ds: Dataset, text_weight: float = DEFAULT_TEXT_WEIGHT) -> Recommender:
        return cls(ds, item_embeddings(ds.texts()), text_weight)

    # -- look-ups -------------------------------------------------------------------------------------------
    def user_index(self, user: str) -> int:
        if str(user) not in self.user_pos.index:
            raise ValueError(f"there is no user {user!r} in this dataset version")
        return int(self.user_pos[str(user)])

    def item_index(self, item: str) -> int:
        if str(item) not in self.item_pos.index:
            raise ValueError(f"there is no item {item!r} in the catalogue")
        return int(self.item_pos[str(item)])

    def history(self, user: str) -> pd.DataFrame:
        u = self.user_index(user)
        mask = self.ds.user_idx == u
        items = self.ds.item_idx[mask]
        ts = self.ds.timestamps[mask]
        frame = pd.DataFrame({
            "item": self.ds.items["item"].to_numpy()[items], "title": self.titles[items],
            "category": self.ds.items["category"].to_numpy()[items],
            "when": pd.to_datetime(ts, unit="s", errors="coerce"),
        })
        return frame.sort_values("when", ascending=False, na_position="last", kind="stable").reset_index(drop=True)

    # -- recommendations with reasons ------------------------------------------------------------------------
    def _cf_weights(self, items: np.ndarray) -> np.ndarray:
        """EASE weights from every catalogue item to ``items`` (n_items, len(items)); zero outside EASE's items."""
        out = np.zeros((self.ds.n_items, len(items)), dtype=np.float32)
        active = self.ease.active
        col = np.full(self.ds.n_items, -1)
        col[active] = np.arange(len(active))
        present = col[items] >= 0
        if present.any():
            out[np.ix_(active, np.flatnonzero(present))] = self.ease.weights[:, col[items[present]]]
        return out

    def _reasons(self, history: sparse.csr_matrix, top: np.ndarray) -> list[list[str]]:
        """One reason per recommended item, vectorised over the batch (rows of ``history``/``top``)."""
        counts = self.popularity.counts
        seen = history.toarray() > 0
        reasons = np.empty(top.shape, dtype=object)
        for r in range(top.shape[1]):  # positions in the list (N), not users × items
            items = top[:, r]
            cf = self._cf_weights(items).T * seen  # (batch, n_items): contribution of each history item
            is_new = counts[items] == 0
            text_weights = np.where(is_new[:, None], self.tuned.weights[:, items].T.toarray(), self.text.weights[:, items].T.toarray())
            txt = text_weights * seen  # a new item is ranked by the tuned text model, so it explains it
            best_cf, best_txt = cf.argmax(axis=1), txt.argmax(axis=1)
            has_cf = cf[np.arange(len(items)), best_cf] > 0
            texts_alike = np.einsum("ij,ij->i", self.embeddings[items], self.embeddings[best_txt]) >= SIMILAR_TEXT
            has_txt = (txt[np.arange(len(items)), best_txt] > 0) & texts_alike
            categories = [_first_category(c) for c in self.ds.items["category"].to_numpy()[items]]
            for b in range(len(items)):
                if is_new[b]:
                    reasons[b, r] = f"new item similar to {self.titles[best_txt[b]]}" if has_txt[b] else "new item"
                elif has_cf[b]:
                    reasons[b, r] = f"because you liked {self.titles[best_cf[b]]}"
                elif has_txt[b]:
                    reasons[b, r] = f"similar to {self.titles[best_txt[b]]}"
                else:
                    reasons[b, r] = f"popular in {categories[b]}" if categories[b] else "popular overall"
        return reasons.tolist()

    def _batches(self, users: np.ndarray, n: int, batch: int = 256) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, list]]:
        for start in range(0, len(users), batch):
            rows = users[start : start + batch]
            history = self.matrix[rows]
            scores = mask_seen(self.hybrid.score(history), history)
            top = top_k(scores, n)
            yield rows, top, np.take_along_axis(scores, top, axis=1), self._reasons(history, top)

    def recommend(self, user: str, n: int = 10) -> pd.DataFrame:
        rows = np.array([self.user_index(user)])
        _, top, scores, reasons = next(self._batches(rows, n))
        keep = np.isfinite(scores[0])  # fewer unseen items than n: never list what the user already has
        items = top[0][keep]
        return pd.DataFrame({
            "rank": np.arange(1, len(items) + 1), "item": self.ds.items["item"].to_numpy()[items], "title": self.titles[items],
            "category": self.ds.items["category"].to_numpy()[items], "score": np.round(scores[0][keep], 4),
            "reason": [r for r, k in zip(reasons[0], keep) if k],
        })

    def export_all(self, n: int = 20) -> pd.DataFrame:
        """Top-n for every user: user, rank, item, title, score, reason."""
        parts = []
        item_ids = self.ds.items["item"].to_numpy()
        for rows, top, scores, reasons in self._batches(np.arange(self.ds.n_users), n):
            frame = pd.DataFrame({
                "user": np.repeat(self.ds.users[rows], top.shape[1]), "rank": np.tile(np.arange(1, top.shape[1] + 1), len(rows)),
                "item": item_ids[top.ravel()], "title": self.titles[top.ravel()], "score": np.round(scores.ravel(), 5),
                "reason": [reason for row in reasons for reason in row],
            })
            parts.append(frame[np.isfinite(frame["score"].to_numpy())])  # never an item the user already has
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["user", "rank", "item", "title", "score", "reason"])

    # -- items ----------------------------------------------------------------------------------------------
    def similar_items(self, item: str, n: int = 10) -> pd.DataFrame:
        """Items that go with ``item``: the hybrid's scores for a history made of that item alone."""
        i = self.item_index(item)
        one = sparse.csr_matrix((np.ones(1, dtype=np.float32), ([0], [i])), shape=(1, self.ds.n_items))
        scores = mask_seen(self.hybrid.score(one), one)
        top = top_k(scores, n)[0]
        text_sim = self.embeddings[top] @ self.embeddings[i]
        return pd.DataFrame({
            "item": self.ds.items["item"].to_numpy()[top], "title": self.titles[top], "category": self.ds.items["category"].to_numpy()[top],
            "score": np.round(scores[0, top], 4), "text similarity": np.round(text_sim, 3),
            "interactions": self.popularity.counts[top].astype(int),
        })

    def users_for_new_item(self, title: str, description: str = "", category: str = "", tags: str = "", n: int = 10) -> pd.DataFrame:
        """Users a new catalogue item (text only, no interactions yet) would be recommended to, best first."""
        if not (title or "").strip():
            raise ValueError("give the new item a title")
        text = item_text(pd.DataFrame({"title": [title.strip()], "description": [description], "category": [category], "tags": [tags]}))[0]
        embedded = embed_texts([text])[0]
        vector = self.projection.apply(embedded[None, :])[0]  # the text model tuned on behaviour
        raw = self.tuned.score_new_item(vector, self.matrix)
        sizes = np.diff(self.matrix.indptr).astype(np.float32)
        score = raw / np.sqrt(np.maximum(sizes, 1.0))
        order = np.argsort(-score, kind="stable")[:n]
        sims, alike = self.tuned_embeddings @ vector, self.embeddings @ embedded >= SIMILAR_TEXT
        closest = []
        for u in order:  # n users, for the explanation
            hist = self.matrix.indices[self.matrix.indptr[u] : self.matrix.indptr[u + 1]]
            best = hist[np.argmax(sims[hist])] if len(hist) else None
            closest.append(self.titles[best] if best is not None and alike[best] else "")
        return pd.DataFrame({
            "user": self.ds.users[order], "score": np.round(score[order], 4),
            "reason": [f"new item similar to {c}" if c else "has items that go with it" for c in closest],
            "history size": sizes[order].astype(int),
        })


def evaluate_version(
    dataset_id: int, cfg: EvalConfig, progress: Progress | None = None, embedding: Callable[[int, int], None] | None = None
) -> int:
    """Evaluate every model on a dataset version and store the result (with protocol, seed and version); returns its id.
    ``embedding(done, total)`` follows the item texts' embedding when they are not cached yet."""
    say = progress or (lambda _stage: None)
    ds = store.load_dataset(dataset_id)
    say(EMBEDDING_STAGE)
    result = evaluate(ds, item_embeddings(ds.texts(), embedding), cfg, progress)
    say("storing the results")
    return store.save_evaluation(dataset_id, result)


def item_texts_embedded(dataset_id: int) -> bool:
    """Whether a version's item texts are embedded (with the configured base encoder): else fitting its recommender
    first embeds every text, minutes for a large catalogue, which an evaluation does with a progress bar."""
    return embedded(store.load_dataset(dataset_id).texts())


def fit_recommender(dataset_id: int, text_weight: float | None = None) -> Recommender:
    """The hybrid fitted on all interactions of a version; uses the text weight of its latest evaluation when there is one."""
    ds = store.load_dataset(dataset_id)
    if text_weight is None:
        evaluations = store.list_evaluations(dataset_id)
        text_weight = evaluations[0].meta.get("text_weight") if evaluations else None
    return Recommender(ds, item_embeddings(ds.texts()), serving_text_weight(text_weight))


def export_csv(recommender: Recommender, n: int = 20) -> bytes:
    return safe_csv(recommender.export_all(n))


def nightly_refit_export() -> list[Path]:
    """Worker job: refit every dataset version marked for it and write its top-N CSV under the data folder."""
    written = []
    for info in store.nightly_datasets():
        try:
            recommender = fit_recommender(info.id)
            path = store.export_path(info.id, info.export_k)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(export_csv(recommender, info.export_k))
            tmp.replace(path)  # a crash mid-write leaves the previous export intact
            store.mark_exported(info.id)
            written.append(path)
        except Exception:  # one broken version must not stop the others
            log.exception("nightly recommendation export of dataset v%s failed", info.id)
    return written
