"""Output layout of the engine: column names for one and several tasks, clashes, empty texts get no guess."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.scoring.engine import TaskModel, make_layout, merge_counts, score_frame


class FixedClassifier:
    """Stands in for TextClassifier: 'good' texts are positive, others negative; records what it was asked."""

    labels = ["negative", "positive"]

    def __init__(self) -> None:
        self.seen: list[str] = []

    def predict_proba(self, texts, batch_size=None, progress=None):
        self.seen.extend(texts)
        return np.array([[0.1, 0.9] if "good" in t else [0.8, 0.2] for t in texts], dtype=np.float32)


def test_one_task_keeps_the_plain_column_names_and_several_tasks_are_prefixed():
    one = make_layout(["id", "text"], [("sentiment", ["negative", "positive"])])
    assert one.columns == ["id", "text", "status", "label", "confidence", "prob_negative", "prob_positive"]
    two = make_layout(["id", "text"], [("sentiment", ["neg", "pos"]), ("topic", ["a"])])
    assert two.columns == [
        "id", "text", "status", "sentiment_label", "sentiment_confidence", "sentiment_prob_neg", "sentiment_prob_pos",
        "topic_label", "topic_confidence", "topic_prob_a",
    ]  # fmt: skip


def test_input_columns_that_clash_with_output_columns_are_kept_under_another_name():
    layout = make_layout(["label", "status", "text"], [("sentiment", ["negative", "positive"])])
    assert layout.output_input_columns == ["input_label", "input_status", "text"]
    assert len(set(layout.columns)) == len(layout.columns)
    taken = make_layout(["label", "input_label", "text"], [("sentiment", ["negative", "positive"])])
    assert taken.output_input_columns == ["input_label_2", "input_label", "text"]  # was two columns named input_label
    assert len(set(taken.columns)) == len(taken.columns)


def test_empty_texts_are_not_sent_to_the_model_and_get_status_empty():
    clf = FixedClassifier()
    model = TaskModel("sentiment", 3, clf)
    frame = pd.DataFrame({"id": ["1", "2", "3", "4"], "text": ["good news", "", "   ", "bad news for jo@example.com"]}, dtype=object)
    layout = make_layout(["id", "text"], [model])
    out, counts = score_frame(frame, "text", [model], layout, mask_pii=True)
    assert clf.seen == ["good news", "bad news for [EMAIL]"]  # masked before scoring, empties skipped
    assert list(out["status"]) == ["ok", "empty", "empty", "ok"]
    assert [None if pd.isna(v) else v for v in out["label"]] == ["positive", None, None, "negative"]
    assert np.isnan(out.loc[1, "confidence"]) and out.loc[0, "confidence"] == np.float32(0.9)
    assert out.loc[3, "text"] == "bad news for [EMAIL]"
    assert counts == {"sentiment": {"positive": 1, "negative": 1}}
    assert merge_counts(counts, {"sentiment": {"positive": 2}, "topic": {"a": 1}}) == {
        "sentiment": {"positive": 3, "negative": 1},
        "topic": {"a": 1},
    }


def test_chunks_start_small_then_hold_about_five_seconds_of_scoring_up_to_the_configured_most():
    from core.scoring.engine import CHUNK_SECONDS, FIRST_CHUNK_ROWS, ChunkSizes

    slow = ChunkSizes(4096)
    assert slow.next_rows() == FIRST_CHUNK_ROWS == 256
    slow.measured(256, 16.0)  # 16 texts/s: the accurate model on a CPU without bf16
    assert slow.next_rows() == 256  # 80 rows' worth: never fewer than the first chunk
    fast = ChunkSizes(4096)
    fast.measured(256, 1.6)  # 160 texts/s: the fast model on this CPU
    assert fast.next_rows() == 768 and CHUNK_SECONDS == 5.0  # 800 rows' worth, in steps of 256
    fast.measured(768, 1.0)  # now 1,024 rows in 2.6 s
    assert fast.next_rows() == 1792
    fastest = ChunkSizes(4096)
    fastest.measured(256, 0.1)
    assert fastest.next_rows() == 4096  # 12,800 rows' worth: the configured most
    assert ChunkSizes(10).next_rows() == 10


def test_a_file_is_scored_in_a_small_first_chunk_then_in_larger_ones(tmp_path):
    from core.scoring.engine import score_chunks
    from core.scoring.reading import inspect_input

    path = tmp_path / "t.csv"
    path.write_text("text\n" + "".join(f"good news {i}\n" for i in range(600)))
    model = TaskModel("sentiment", 1, FixedClassifier())
    chunks = list(score_chunks(inspect_input(path), "text", [model], chunk_rows=4096))
    assert [c.records_done for c in chunks] == [256, 600]
    assert [len(c.frame) for c in chunks] == [256, 344] and len(model.classifier.seen) == 600
