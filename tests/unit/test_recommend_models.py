"""Rankers: vectorised scoring, seen items excluded, and cold-start items reached through text alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from core.recommend.data import Dataset
from core.recommend.evaluate import EvalConfig, evaluate
from core.recommend.models import EASE, Hybrid, ItemKNN, Popularity, TextKNN, mask_seen, top_k


def clustered(n_users: int = 60, n_items: int = 40, seed: int = 0):
    """Two tastes: users of group g interact with items of group g. Embeddings encode the group too."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        group = u % 2
        pool = np.arange(group, n_items, 2)
        for item in rng.choice(pool, size=8, replace=False):
            rows.append((f"u{u}", f"i{item}", float(rng.integers(0, 10**6))))
    inter = pd.DataFrame(rows, columns=["user", "item", "timestamp"])
    items = pd.DataFrame({"item": [f"i{i}" for i in range(n_items)], "title": [f"Item {i}" for i in range(n_items)],
                          "category": ["even" if i % 2 == 0 else "odd" for i in range(n_items)]})
    emb = rng.normal(scale=0.3, size=(n_items, 8)).astype(np.float32)
    emb[:, 0] += np.where(np.arange(n_items) % 2 == 0, 2.0, -2.0)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    return Dataset.from_frames(inter, items), emb


def test_popularity_and_top_k_exclude_seen_items():
    train = sparse.csr_matrix(np.array([[1, 1, 0, 0], [1, 0, 1, 0], [1, 0, 0, 1]], dtype=np.float32))
    scores = mask_seen(Popularity().fit(train).score(train[[0]]), train[[0]])
    assert top_k(scores, 2).tolist() == [[2, 3]]  # items 0 and 1 already seen; ties broken by position


def test_ease_and_itemknn_recommend_the_users_own_taste():
    ds, _ = clustered()
    train = ds.matrix()
    for model in (EASE(l2=10.0, min_count=1), ItemKNN(neighbours=10)):
        model.fit(train)
        history = train[:10]
        top = top_k(mask_seen(model.score(history), history), 5)
        groups = np.array([int(u[1:]) % 2 for u in ds.users[:10]])
        assert ((top % 2) == groups[:, None]).mean() > 0.9, type(model).__name__


def test_a_cold_item_gets_recommended_from_text_alone():
    ds, emb = clustered()
    cold = 4  # an "even" item: remove every interaction with it
    keep = ds.item_idx != cold
    train = ds.matrix(keep)
    assert train[:, cold].nnz == 0
    text = TextKNN(emb, neighbours=20).fit()
    even_users = np.flatnonzero([int(u[1:]) % 2 == 0 for u in ds.users])
    history = train[even_users]  # users with the even taste
    scores = text.score(history)
    assert (scores[:, cold] > 0).all()
    cf = EASE(l2=10.0, min_count=1).fit(train)
    assert (cf.score(history)[:, cold] == 0).all()  # the collaborative model cannot see it
    hybrid = Hybrid(cf, text, 0.3).score(history)
    assert (hybrid[:, cold] > 0).all()
    # ranked among the cold candidates, the text model puts it ahead of the wrong-taste items for every user
    odd_items = np.arange(1, ds.n_items, 2)
    assert (scores[:, [cold]] > scores[:, odd_items]).all()


def test_evaluate_compares_all_models_with_protocol_and_cold_start():
    ds, emb = clustered(n_items=200)
    result = evaluate(ds, emb, EvalConfig(protocol="random", test_ratio=0.25, seed=5, k=5, cold_share=0.2, ease_l2=10.0))
    table = result.table().set_index("model")
    assert list(table.index) == ["popularity", "itemknn", "ease", "text", "text_tuned", "hybrid"]
    assert table.loc["ease", "ndcg@5"] > 1.5 * table.loc["popularity", "ndcg@5"]
    assert table.loc["text", "cold_recall@20"] > result.meta["cold_random_recall@20"]
    assert table.loc["text_tuned", "cold_recall@20"] > result.meta["cold_random_recall@20"]
    assert table.loc["hybrid", "cold_recall@20"] == table.loc["text_tuned", "cold_recall@20"]  # cold items: tuned text
    assert result.meta["protocol"] == "random" and result.meta["seed"] == 5 and result.meta["test_ratio"] == 0.25
    again = evaluate(ds, emb, EvalConfig(protocol="random", test_ratio=0.25, seed=5, k=5, cold_share=0.2, ease_l2=10.0))
    assert again.table()["ndcg@5"].tolist() == result.table()["ndcg@5"].tolist()  # seeded: reproducible
    last = evaluate(ds, emb, EvalConfig(protocol="last", seed=5, k=5, ease_l2=10.0))
    assert last.meta["protocol"] == "last" and last.meta["test_interactions"] == ds.n_users


def test_an_item_is_only_called_similar_to_one_whose_text_is_alike():
    """A shop of hats and shoes: a customer who took only hats is shown shoes too (nothing else is left); they are
    not "similar to Wool hat 3" (texts at cosine 0.33) but what others took."""
    from core.recommend.service import SIMILAR_TEXT, Recommender

    hats, shoes = [f"h{i}" for i in range(4)], [f"s{i}" for i in range(4)]
    rows = [("c0", h) for h in hats[:2]] + [(f"c{u}", i) for u in range(1, 6) for i in (hats if u < 3 else shoes)]
    items = pd.DataFrame({"item": hats + shoes, "title": [f"Wool hat {i}" for i in range(4)] + [f"Trail shoe {i}" for i in range(4)],
                          "category": ["hats"] * 4 + ["shoes"] * 4})  # fmt: skip
    hat, shoe = np.array([1.0, 0.0, 0.0]), np.array([0.33, np.sqrt(1 - 0.33**2), 0.0])  # a hat and a shoe: cosine 0.33
    wobble = np.array([0.0, 0.0, 0.2])
    embeddings = np.array([hat + wobble * i for i in range(4)] + [shoe + wobble * i for i in range(4)], dtype=np.float32)
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    top = Recommender(Dataset.from_frames(pd.DataFrame(rows, columns=["user", "item"]), items), embeddings).recommend("c0", n=6)
    reasons = dict(zip(top["title"], top["reason"], strict=True))
    assert reasons["Wool hat 2"] in ("because you liked Wool hat 0", "because you liked Wool hat 1", "similar to Wool hat 1",
                                     "similar to Wool hat 0")  # fmt: skip
    shoes_shown = [r for t, r in reasons.items() if t.startswith("Trail shoe")]
    assert shoes_shown and all(r == "popular in shoes" for r in shoes_shown), reasons
    assert float(embeddings[4] @ embeddings[0]) < SIMILAR_TEXT
