"""BM25 and the dense + lexical fusion of FAQ retrieval (pure numpy, no model)."""

from __future__ import annotations

import numpy as np

from core.support.retrieval import BM25, IndexEntry, KBIndex, bm25_tokens, fuse


def test_bm25_ranks_the_document_with_the_rare_query_word_first() -> None:
    bm25 = BM25(["how do I reset my card PIN", "card fees and card limits", "opening hours of the branch"])
    scores = bm25.scores("reset PIN")
    assert scores.argmax() == 0 and scores[2] == 0.0
    assert bm25.scores("card")[1] > bm25.scores("card")[0]  # twice in a document of similar length
    assert not bm25.scores("the of and").any()  # stop words only
    assert bm25_tokens("The Card's PIN!") == ["card", "s", "pin"]


def test_bm25_idf_weights_rare_words_above_common_ones() -> None:
    bm25 = BM25(["card limit", "card fee", "card pin", "mortgage rate"])
    assert bm25.scores("mortgage")[3] > bm25.scores("card")[0]


def test_fuse_adds_the_scaled_lexical_score() -> None:
    sims = np.array([0.8, 0.7, 0.1], np.float32)
    lexical = np.array([0.0, 4.0, 2.0], np.float32)
    assert np.allclose(fuse(sims, lexical, 0.2), [0.8, 0.9, 0.2])
    assert fuse(sims, lexical, 0.0) is sims
    assert np.allclose(fuse(sims, np.zeros(3, np.float32), 0.5), sims)


def test_lexical_weight_changes_the_top_match_and_copies_share_bm25() -> None:
    entries = [IndexEntry(1, "block a stolen card", "We block it.", ""), IndexEntry(2, "order a new card", "Order it in the app.", "")]
    matrix = np.array([[1.0, 0.0], [0.8, 0.6]], np.float32)
    query = np.array([1.0, 0.05], np.float32)  # closer to entry 1 by cosine
    dense = KBIndex(entries, matrix)
    assert dense.search(query, "order new card", k=1)[0].entry.id == 1
    hybrid = dense.with_rerank_weight(0.0, lexical_weight=0.5)
    top = hybrid.search(query, "order new card", k=2)
    assert top[0].entry.id == 2 and top[0].lexical == 1.0 and top[1].lexical < 1.0
    assert hybrid.bm25() is dense.with_rerank_weight(0.2, 0.5).bm25()  # built once, shared by every copy
