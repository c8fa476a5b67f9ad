"""Wellbeing scales: SWEMWBS conversion table, WEMWBS/SWEMWBS totals, the missing-item rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.exceptions import DataError, ParameterError, StatisticalWarning
from evalkit.outcomes import swemwbs_metric, swemwbs_total, wemwbs_total
from evalkit.reference import source_of

ITEMS7 = [f"s{i}" for i in range(1, 8)]
ITEMS14 = [f"w{i}" for i in range(1, 15)]


def test_conversion_table_published_values():
    # SWEMWBS raw-to-metric table (Stewart-Brown et al. 2009, doi:10.1186/1477-7525-7-15, as
    # published by Warwick Medical School): raw 7 -> 7.00, 8 -> 9.51, 20 -> 18.59,
    # 21 -> 19.25, 27 -> 24.11, 28 -> 25.03, 34 -> 32.55, 35 -> 35.00.
    raw = [7, 8, 20, 21, 27, 28, 34, 35]
    assert swemwbs_metric(raw).tolist() == [7.00, 9.51, 18.59, 19.25, 24.11, 25.03, 32.55, 35.00]
    assert swemwbs_metric(14) == 15.32


def test_conversion_is_monotone_and_sourced():
    metric = swemwbs_metric(list(range(7, 36)))
    assert len(metric) == 29 and metric.is_monotonic_increasing
    assert "Stewart-Brown" in source_of("swemwbs_conversion.csv")["source"]


def test_conversion_keeps_index_and_missing():
    raw = pd.Series([7, np.nan, 35], index=["a", "b", "c"])
    out = swemwbs_metric(raw)
    assert list(out.index) == ["a", "b", "c"] and np.isnan(out["b"])


@pytest.mark.parametrize("bad", [6, 36, 20.5, "high"])
def test_conversion_rejects_values_off_the_scale(bad):
    with pytest.raises(DataError, match=rf"row 1: value {bad!r} is not a whole number from 7 to"):
        swemwbs_metric([20, bad])


def _items(n_items: int, rows: list[list[object]]) -> pd.DataFrame:
    prefix = "s" if n_items == 7 else "w"
    return pd.DataFrame(rows, columns=[f"{prefix}{i}" for i in range(1, n_items + 1)])


def test_wemwbs_total_range():
    df = _items(14, [[1] * 14, [5] * 14, [3] * 14])
    assert wemwbs_total(df, ITEMS14).tolist() == [14, 70, 42]


def test_swemwbs_total_and_metric():
    df = _items(7, [[1] * 7, [3, 3, 3, 3, 3, 3, 2]])
    assert swemwbs_total(df, ITEMS7).tolist() == [7, 20]
    assert swemwbs_total(df, ITEMS7, metric=True).tolist() == [7.00, 18.59]


def test_missing_items_default_rule_leaves_total_missing_with_warning():
    df = _items(7, [[3] * 7, [3, 3, 3, 3, 3, 3, None]])
    with pytest.warns(StatisticalWarning, match=r"1 of 2 rows have more than 0 missing"):
        total = swemwbs_total(df, ITEMS7)
    assert total.iloc[0] == 21 and np.isnan(total.iloc[1])


def test_prorating_only_when_opted_in():
    df = _items(7, [[4, 4, 4, 4, 4, 5, None]])
    with pytest.raises(ParameterError, match=r"max_missing=1 needs prorate=True"):
        swemwbs_total(df, ITEMS7, max_missing=1)
    # mean of the six answered items (25/6) x 7 = 29.17, rounded half up to 29
    assert swemwbs_total(df, ITEMS7, max_missing=1, prorate=True).tolist() == [29]


def test_item_errors_name_row_and_item():
    df = _items(7, [[3] * 7, [3, 3, 3, 9, 3, 3, 3]])
    with pytest.raises(DataError, match=r"SWEMWBS item 's4', row 1: value 9 is not a whole number"):
        swemwbs_total(df, ITEMS7)
    df = _items(14, [[3] * 13 + ["often"]])
    with pytest.raises(DataError, match=r"WEMWBS item 'w14', row 0: value 'often'"):
        wemwbs_total(df, ITEMS14)


def test_wrong_item_count_and_missing_columns():
    with pytest.raises(ParameterError, match=r"WEMWBS has 14 items; got 7"):
        wemwbs_total(_items(7, [[3] * 7]), ITEMS7)
    with pytest.raises(DataError, match=r"missing column.*'w14'"):
        wemwbs_total(_items(7, [[3] * 7]).rename(columns=lambda c: "w" + c[1:]), ITEMS14)


def test_max_missing_range():
    with pytest.raises(ParameterError, match=r"max_missing must lie in \[0, 6\]; got 7"):
        swemwbs_total(_items(7, [[3] * 7]), ITEMS7, max_missing=7, prorate=True)


# --- pinned by hand (mutation testing, issue 17) ---------------------------------------------------


def test_totals_keep_the_index_and_are_named():
    # item sums by hand: 4x6 + 5 = 29 (a sum that 29/7*7 does not give back exactly in floats)
    df = _items(7, [[4, 4, 4, 4, 4, 4, 5], [1] * 7]).set_axis(["p1", "p2"])
    total = swemwbs_total(df, ITEMS7)
    assert total.name == "swemwbs_total" and list(total.index) == ["p1", "p2"]
    assert total.tolist() == [29, 7]
    metric = swemwbs_total(df, ITEMS7, metric=True)
    assert metric.name == "swemwbs_metric" and list(metric.index) == ["p1", "p2"]
    assert metric.loc["p2"] == 7.00  # published table: raw 7 -> 7.00 (see above)
    wide = _items(14, [[2] * 13 + [3]]).set_axis(["q"])
    w = wemwbs_total(wide, ITEMS14)
    assert w.name == "wemwbs_total" and list(w.index) == ["q"] and w.tolist() == [29]


def test_wemwbs_prorating_by_hand():
    # 13 answered items: twelve 3s and one 4 = 40; 40/13 x 14 = 43.08, rounded half up to 43.
    df = _items(14, [[3] * 12 + [4, None]])
    assert wemwbs_total(df, ITEMS14, max_missing=1, prorate=True).tolist() == [43]
    with pytest.raises(
        ParameterError,
        match=r"^max_missing=1 needs prorate=True: a total over "
        r"fewer items is not comparable with a full total$",
    ):
        wemwbs_total(df, ITEMS14, max_missing=1)


def test_whole_numbers_below_the_item_range_are_refused():
    df = _items(7, [[3, 3, 0, 3, 3, 3, 3]])
    with pytest.raises(DataError, match=r"SWEMWBS item 's3', row 0: value 0 is not a whole number"):
        swemwbs_total(df, ITEMS7)


def test_missing_item_column_names_the_item_table():
    with pytest.raises(DataError, match=r"'s7' in the SWEMWBS item table"):
        swemwbs_total(_items(7, [[3] * 7]).drop(columns="s7"), ITEMS7)
