"""ui.confusion_chart: readable with three labels and with Banking77's seventy-seven."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ui import CONFUSION_COUNTS_SHOWN, confusion_chart


def matrix(n: int) -> pd.DataFrame:
    labels = [f"intent_{i}" for i in range(n)]
    return pd.DataFrame(np.eye(n, dtype=int) * 3, index=labels, columns=labels)


def test_a_few_labels_show_every_count_in_its_cell():
    heat = confusion_chart(matrix(3), "Confusion")
    assert heat.data[0].texttemplate == "%{z}" and heat.layout.height == 450


def test_many_labels_name_every_row_and_column_on_a_taller_chart_without_a_wall_of_numbers():
    n = 77
    assert n > CONFUSION_COUNTS_SHOWN
    heat = confusion_chart(matrix(n), "Confusion")
    assert heat.data[0].texttemplate is None  # the counts are on hover
    assert heat.layout.xaxis.dtick == 1 and heat.layout.yaxis.dtick == 1  # not every other label
    assert heat.layout.height >= 16 * n and list(heat.data[0].y) == [f"intent_{i}" for i in range(n)]
