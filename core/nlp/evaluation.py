"""Classification metrics (accuracy, macro-F1, per-class P/R/F1, confusion matrix) in plain numpy."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def confusion_matrix(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        if t in index and p in index:
            matrix[index[t], index[p]] += 1
    return matrix


def classification_report(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> dict:
    """Accuracy, macro-F1 and per-class precision/recall/F1/support; rows = true, columns = predicted."""
    correct = sum(t == p for t, p in zip(y_true, y_pred))
    return confusion_report(confusion_matrix(y_true, y_pred, labels), labels, correct, len(y_true))


def confusion_report(matrix: np.ndarray, labels: Sequence[str], correct: int | None = None, total: int | None = None) -> dict:
    """``classification_report`` from a confusion matrix already counted (rows = true, columns = predicted) over
    ``labels``; ``correct`` and ``total`` default to its diagonal and its sum."""
    correct = int(np.trace(matrix)) if correct is None else correct
    total = int(matrix.sum()) if total is None else total
    tp = np.diag(matrix).astype(float)
    predicted = matrix.sum(axis=0).astype(float)
    actual = matrix.sum(axis=1).astype(float)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    present = actual > 0
    return {
        "accuracy": float(correct / total) if total else 0.0,
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "per_class": {
            label: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(actual[i]),
            }
            for i, label in enumerate(labels)
        },
        "confusion_matrix": matrix.tolist(),
        "labels": list(labels),
        "n": total,
    }
