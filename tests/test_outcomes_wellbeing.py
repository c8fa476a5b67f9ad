"""Wellbeing scales: SWEMWBS conversion table, WEMWBS/SWEMWBS totals, the missing-item rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.exceptions import DataError, ParameterError, StatisticalWarning
from evalkit.outcomes import swemwbs_metric, swemwbs_total, wemwbs_total

ITEMS7 = [f"s{i}" for i in range(1, 8)]
ITEMS14 = [f"w{i}" for i in range(1, 15)]


# The published SWEMWBS conversion table is licensed with the scale (Warwick Medical School) and
# is not shipped: users pass theirs. These tests use a made-up table with the same shape (one
# metric score per raw score 7..35, rising): metric = raw + (raw - 7)(35 - raw) / 50, to 2 d.p.
# By hand: raw 7 -> 7.00, raw 20 -> 20 + 13*15/50 = 23.90, raw 21 -> 21 + 14*14/50 = 24.92,
# raw 35 -> 35.00. It rises: the step from raw r to r + 1 is 1 + (27 - 2(r - 7) - 1)/50 > 0.
MADE_UP = {raw: round(raw + (raw - 7) * (35 - raw) / 50, 2) for raw in range(7, 36)}


def test_conversion_looks_up_the_callers_table():
    raw = [7, 20, 21, 35]
    assert swemwbs_metric(raw, MADE_UP).tolist() == [7.00, 23.90, 24.92, 35.00]
    assert swemwbs_metric(21, MADE_UP) == 24.92


@pytest.mark.parametrize("shape", ["mapping", "series", "frame"])
def test_conversion_accepts_the_published_layouts(shape):
    table = {
        "mapping": MADE_UP,
        "series": pd.Series(MADE_UP),
        # as published: two columns, raw and metric; strings as read from a CSV without dtypes
        "frame": pd.DataFrame(
            {"raw": [str(r) for r in MADE_UP], "metric": [f"{m:.2f}" for m in MADE_UP.values()]}
        ),
    }[shape]
    metric = swemwbs_metric(list(range(7, 36)), table)
    assert len(metric) == 29 and metric.is_monotonic_increasing
    assert metric.tolist() == list(MADE_UP.values())


def test_no_conversion_table_is_shipped():
    # the licensed table is user input: none in the package's reference data
    import evalkit.reference as reference

    folder = Path(reference.__file__).parent
    assert not list(folder.rglob("*swemwbs*")) and not list(folder.rglob("*wemwbs*"))
    assert "swemwbs" not in (folder / "sources.yaml").read_text(encoding="utf-8").lower()


def test_conversion_keeps_index_and_missing():
    raw = pd.Series([7, np.nan, 35], index=["a", "b", "c"])
    out = swemwbs_metric(raw, MADE_UP)
    assert list(out.index) == ["a", "b", "c"] and np.isnan(out["b"])
    assert out["a"] == 7.00 and out["c"] == 35.00


@pytest.mark.parametrize("bad", [6, 36, 20.5, "high"])
def test_conversion_rejects_values_off_the_scale(bad):
    with pytest.raises(DataError, match=rf"row 1: value {bad!r} is not a whole number from 7 to"):
        swemwbs_metric([20, bad], MADE_UP)


def test_conversion_table_checked_with_one_line():
    short = {r: m for r, m in MADE_UP.items() if r not in (12, 13)}
    with pytest.raises(
        DataError,
        match=r"^the SWEMWBS conversion table has no metric score for raw 12, 13; expected one "
        r"for every raw score from 7 to 35$",
    ):
        swemwbs_metric(20, short)
    falling = {**MADE_UP, 15: 1.0}  # raw 14 -> 14 + 7*21/50 = 16.94
    with pytest.raises(
        DataError, match=r"metric score falls from 16\.94 at raw 14 to 1 at raw 15; expected it to"
    ):
        swemwbs_metric(20, falling)
    with pytest.raises(DataError, match=r"raw 9: metric score 'n/a' is not a number"):
        swemwbs_metric(20, {**MADE_UP, 9: "n/a"})
    with pytest.raises(DataError, match=r"raw score 36 is not a whole number from 7 to 35"):
        swemwbs_metric(20, {**MADE_UP, 36: 40.0})
    with pytest.raises(DataError, match=r"raw score 8 appears more than once"):
        swemwbs_metric(20, pd.DataFrame({"raw": [8, *MADE_UP], "metric": [9.0, *MADE_UP.values()]}))
    with pytest.raises(DataError, match=r"'metric' in the SWEMWBS conversion table"):
        swemwbs_metric(20, pd.DataFrame({"raw": list(MADE_UP)}))
    with pytest.raises(ParameterError, match=r"^conversion: got list; expected the SWEMWBS"):
        swemwbs_metric(20, [1.0, 2.0])


def _items(n_items: int, rows: list[list[object]]) -> pd.DataFrame:
    prefix = "s" if n_items == 7 else "w"
    return pd.DataFrame(rows, columns=[f"{prefix}{i}" for i in range(1, n_items + 1)])


def test_wemwbs_total_range():
    df = _items(14, [[1] * 14, [5] * 14, [3] * 14])
    assert wemwbs_total(df, ITEMS14).tolist() == [14, 70, 42]


def test_swemwbs_total_and_metric():
    df = _items(7, [[1] * 7, [3, 3, 3, 3, 3, 3, 2]])
    assert swemwbs_total(df, ITEMS7).tolist() == [7, 20]
    assert swemwbs_total(df, ITEMS7, conversion=MADE_UP).tolist() == [7.00, 23.90]


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
    metric = swemwbs_total(df, ITEMS7, conversion=MADE_UP)
    assert metric.name == "swemwbs_metric" and list(metric.index) == ["p1", "p2"]
    # made-up table (see above): raw 29 -> 29 + 22*6/50 = 31.64; raw 7 -> 7.00
    assert metric.tolist() == [31.64, 7.00]
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
