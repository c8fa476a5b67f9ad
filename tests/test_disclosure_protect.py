"""protect(): each policy on hand-made tables, totals, derived figures, audit, HTML, bad input."""

from __future__ import annotations

import warnings
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames, range_indexes

from evalkit.disclosure import protect
from evalkit.exceptions import DataError, DisclosureWarning, ParameterError


def _with_totals(body: pd.DataFrame) -> pd.DataFrame:
    table = body.copy()
    table["Total"] = table.sum(axis=1)
    table.loc["Total"] = table.sum(axis=0)
    return table


def _frame(rows: dict[str, list[object]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns).astype(object)


BODY = pd.DataFrame(
    {"a": [3, 12, 12, 12], "b": [0, 8, 40, 12]}, index=["w", "x", "y", "z"], dtype="int64"
)


def test_nhs_suppresses_1_to_7_rounds_the_rest_and_rounds_totals_from_unrounded_data():
    # NHS England HES Analysis Guide, small-number suppression (HES/ECDS rules since 2018):
    # 0 stays 0, 1-7 shown as *, others rounded to the nearest 5; totals come from unrounded
    # data and are then rounded. Column a: 3 + 12 + 12 + 12 = 39 -> 40, not the sum of the
    # rounded cells (10 + 10 + 10 = 30); column b: 0 + 8 + 40 + 12 = 60; grand total 99 -> 100.
    table = _with_totals(BODY)
    with pytest.warns(DisclosureWarning, match="2 cells were suppressed"):
        result = protect(table, "nhs", totals={"row": "Total", "column": "Total"})
    expected = _frame(
        {
            "w": ["*", 0, "*"],
            "x": [10, 10, 20],
            "y": [10, 40, 50],
            "z": [10, 10, 25],
            "Total": [40, 60, 100],
        },
        ["a", "b", "Total"],
    )
    pd.testing.assert_frame_equal(result.table, expected)
    assert (result.policy_name, result.threshold, result.symbol) == ("nhs", 7, "*")
    assert (result.n_primary, result.n_secondary, result.n_withheld) == (2, 0, 0)
    assert result.summary() == (
        '2 cells were suppressed (shown as "*") because they counted between 1 and 7 people; '
        "other counts are rounded to the nearest 5, as NHS England's rules require."
    )


def test_nhs_gives_the_same_table_with_or_without_totals_declared():
    table = _with_totals(BODY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DisclosureWarning)
        plain = protect(table, "nhs").table
        declared = protect(table, "nhs", totals={"row": "Total", "column": "Total"}).table
    pd.testing.assert_frame_equal(plain, declared)


def test_dfe_hand_worked_secondary_suppression():
    # DfE statistics "suppression" guidance: 1-5 shown as c, and a suppressed cell must not be
    # recoverable from the totals. Worked by hand: (x, a) = 3 is primary. Row x then has one
    # hidden cell, so its next-smallest non-zero cell (x, b) = 10 is hidden; column a's is
    # (y, a) = 9 and column b's (y, b) = 7. Every line now has two hidden cells and the four
    # hidden cells form a cycle (rank 3 for 4 unknowns), so none can be worked out.
    body = pd.DataFrame(
        {"a": [3, 9, 11], "b": [10, 7, 20], "c": [12, 15, 6]}, index=["x", "y", "z"]
    )
    result = protect(
        _with_totals(body), "dfe", totals={"row": "Total", "column": "Total"}, warn=False
    )
    expected = _frame(
        {
            "x": ["c", "c", 12, 25],
            "y": ["c", "c", 15, 31],
            "z": [11, 20, 6, 37],
            "Total": [23, 37, 33, 93],
        },
        ["a", "b", "c", "Total"],
    )
    pd.testing.assert_frame_equal(result.table, expected)
    assert (result.n_primary, result.n_secondary, result.n_rounded) == (1, 3, 0)
    rules = result.audit.set_index(["row", "column"])["rule"].to_dict()
    assert rules == {
        ("x", "a"): "primary",
        ("x", "b"): "secondary",
        ("y", "a"): "secondary",
        ("y", "b"): "secondary",
    }
    assert "3 more cells were suppressed so that no hidden count can be worked out" in (
        result.summary()
    )


def test_dfe_with_only_a_total_row_hides_a_second_cell_per_column():
    # One-way table: the only equations are the columns. Column n: 4 is primary, the
    # next-smallest non-zero is 6 (the zero is skipped, as DfE guidance says).
    table = pd.DataFrame({"n": [4, 0, 6, 30, 40]}, index=["p", "q", "r", "s", "Total"])
    result = protect(table, "dfe", totals={"row": "Total"}, warn=False)
    assert result.table["n"].tolist() == ["c", 0, "c", 30, 40]


def test_dfe_protects_a_total_that_is_present_but_not_declared():
    # A total row and column found by their sums get secondary suppression as declared ones do.
    declared = protect(
        _with_totals(BODY), "dfe", totals={"row": "Total", "column": "Total"}, warn=False
    )
    found = protect(_with_totals(BODY), "dfe", warn=False)
    assert found.n_secondary == declared.n_secondary > 0
    assert found.table.equals(declared.table)


def test_ons_10_5_and_ofqual_tables():
    body = pd.DataFrame({"n": [0, 4, 9, 10, 12, 13]}, index=list("pqrstu"))
    with pytest.warns(DisclosureWarning):
        ons = protect(body, "ons_10_5")
        ofqual = protect(body, "ofqual")
    # ONS 10-5 rule: under 10 suppressed, others to the nearest 5 (a true zero stays 0).
    assert ons.table["n"].tolist() == [0, "*", "*", 10, 10, 15]
    # Ofqual: rounded to the nearest 5, 1-4 shown as "fewer than 5".
    assert ofqual.table["n"].tolist() == [0, "fewer than 5", 10, 10, 10, 15]
    assert ofqual.summary().startswith('1 cell was suppressed (shown as "fewer than 5") because')
    assert "counted between 1 and 4 people" in ofqual.summary()


def test_zero_rules():
    body = pd.DataFrame({"n": [0, 3, 20]}, index=["p", "q", "r"])
    kept = protect(body, "nhs", warn=False)
    hidden = protect(body, {"high": 5, "zero": "suppress", "symbol": "[x]"}, warn=False)
    assert kept.table["n"].tolist() == [0, "*", 20]
    assert hidden.table["n"].tolist() == ["[x]", "[x]", 20]
    assert "counted 0 or between 1 and 5 people" in hidden.summary()
    assert "this programme's rules" in hidden.summary()


def test_derived_rates_and_means_are_withheld_with_their_counts():
    # NHS rules: means of 1-7 values are suppressed; a rate is withheld when its numerator or
    # denominator is suppressed.
    table = pd.DataFrame(
        {
            "n": [5, 40, 30],
            "successes": [2, 3, 20],
            "rate": [0.4, 0.075, 2 / 3],
            "mean_score": [21.5, 24.0, 23.1],
            "service": ["A", "B", "C"],
        },
        index=["p", "q", "r"],
    )
    result = protect(
        table,
        "nhs",
        derived={"rate": ("successes", "n"), "mean_score": "n"},
        warn=False,
    )
    assert result.table["rate"].tolist() == ["*", "*", 2 / 3]
    assert result.table["mean_score"].tolist() == ["*", 24.0, 23.1]
    assert result.table["service"].tolist() == ["A", "B", "C"]
    assert result.count_columns == ("n", "successes")
    assert result.n_withheld == 3
    assert "3 rates or means were withheld because they came from suppressed counts" in (
        result.summary()
    )


def test_audit_lists_every_changed_cell_once_and_nothing_else():
    table = _with_totals(BODY)
    result = protect(table, "nhs", totals={"row": "Total", "column": "Total"}, warn=False)
    changed = {
        (r, c)
        for r in table.index
        for c in table.columns
        if result.table.at[r, c] != table.at[r, c]
    }
    keys = list(zip(result.audit["row"], result.audit["column"], strict=True))
    assert len(keys) == len(set(keys))
    assert set(keys) == changed
    for row in result.audit.itertuples():
        assert table.at[row.row, row.column] == row.original
        assert result.table.at[row.row, row.column] == row.published
    assert set(result.audit["rule"]) == {"primary", "rounding"}
    assert result.n_rounded == (result.audit["rule"] == "rounding").sum()


@settings(max_examples=60, deadline=None)
@given(
    data_frames(
        [
            column("a", dtype=int, elements=st.integers(0, 60)),
            column("b", dtype=int, elements=st.integers(0, 60)),
        ],
        index=range_indexes(min_size=1, max_size=8),
    ),
    st.sampled_from(["nhs", "dfe", "ons_10_5", "ofqual"]),
)
def test_property_audit_is_complete_and_no_small_count_is_shown(body, name):
    result = protect(body, name, warn=False)
    shown = result.table[["a", "b"]].to_numpy().ravel()
    numbers = [v for v in shown if v != result.symbol]
    assert not any(1 <= v <= result.threshold for v in numbers)
    original = body.to_numpy()
    changed = int((result.table[["a", "b"]].to_numpy() != original).sum())
    assert len(result.audit) == changed


class _Cells(HTMLParser):
    """The text of every <td> and the attributes of the <table>, as a report check would read."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self.table_attrs: dict[str, str | None] = {}
        self._in_td = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.table_attrs = dict(attrs)
        self._in_td = tag == "td"
        if self._in_td:
            self.cells.append("")

    def handle_endtag(self, tag):
        self._in_td = False if tag == "td" else self._in_td

    def handle_data(self, data):
        if self._in_td:
            self.cells[-1] += data


def test_html_is_escaped_plain_and_carries_the_note():
    table = pd.DataFrame({"n": [3, 40]}, index=["<script>alert(1)</script>", "R&D team"])
    result = protect(table, "nhs", warn=False)
    page = result.to_html()
    assert "<script>" not in page
    assert "&lt;script&gt;" in page and "R&amp;D team" in page
    parser = _Cells()
    parser.feed(page)
    assert parser.cells == ["*", "40"]
    assert parser.table_attrs["data-disclosure-policy"] == "nhs"
    assert parser.table_attrs["data-disclosure-threshold"] == "7"
    assert parser.table_attrs["data-count-columns"] == '["n"]'
    assert (
        "Disclosure control: NHS England small-number rules (HES and ECDS, 2018). "
        "1 cell was suppressed (shown as &quot;*&quot;)" in page
    )
    assert result._repr_html_() == page
    with pytest.raises(ParameterError, match="escape=False"):
        result.to_html(escape=False)


def test_the_audit_is_never_in_anything_publishable():
    table = pd.DataFrame({"n": [3, 41]}, index=["p", "q"])
    result = protect(table, "nhs", warn=False)
    assert result.audit["original"].tolist() == [3, 41]
    page = result.to_html()
    assert ">3<" not in page and ">41<" not in page
    assert set(result.to_dict()) == {
        "policy_name",
        "threshold",
        "symbol",
        "n_primary",
        "n_secondary",
        "n_rounded",
        "n_withheld",
        "unit",
    }


def test_no_warning_and_a_plain_summary_when_nothing_changes():
    table = pd.DataFrame({"n": [0, 10, 25]}, index=["p", "q", "r"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = protect(table, "nhs")
        dfe = protect(table, "dfe")
    assert result.audit.empty
    assert result.summary() == (
        "No cell needed suppressing under NHS England's rules; counts are rounded to the nearest 5."
    )
    assert dfe.summary() == "No cell needed suppressing under the Department for Education's rules."


def test_a_float_column_of_small_whole_numbers_is_flagged():
    table = pd.DataFrame({"n": [3.0, 12.0, np.nan]}, index=["p", "q", "r"])
    with pytest.warns(DisclosureWarning, match="column 'n' holds whole numbers"):
        result = protect(table, "nhs")
    assert result.count_columns == ()
    explicit = protect(table.fillna(0), "nhs", counts=["n"], warn=False)
    assert explicit.table["n"].tolist() == ["*", 10, 0]


@pytest.mark.parametrize(
    ("value", "shown"),
    [(-2, "-2"), (2.5, "2.5"), ("many", "'many'"), (np.nan, "missing")],
)
def test_non_count_input_names_column_row_and_value(value, shown):
    table = pd.DataFrame({"n": [10, 20, 30]}, index=["p", "q", "r"], dtype=object)
    table.loc["q", "n"] = value
    with pytest.raises(DataError) as err:
        protect(table, "nhs", counts=["n"])
    message = str(err.value)
    assert "column 'n'" in message and "row 'q'" in message and shown in message


def test_missing_total_row_or_column_is_named():
    table = _with_totals(BODY)
    with pytest.raises(DataError, match=r"totals\['row'\] names row 'All'.*'Total'"):
        protect(table, "dfe", totals={"row": "All"})
    with pytest.raises(DataError, match=r"totals\['column'\] names column 'Sum'"):
        protect(table, "dfe", totals={"column": "Sum"})
    with pytest.raises(ParameterError, match=r"keys 'row' and/or 'column'; got \{'rows'"):
        protect(table, "dfe", totals={"rows": "Total"})


def test_a_total_smaller_than_its_parts_is_an_error():
    table = _with_totals(BODY)
    table.loc["Total", "b"] = 50
    with pytest.raises(DataError, match=r"total row 'Total', column 'b': total 50 .* \(60\)"):
        protect(table, "dfe", totals={"row": "Total"})
    table = _with_totals(BODY)
    table.loc["x", "Total"] = 3
    with pytest.raises(DataError, match=r"total column 'Total', row 'x': total 3 .* \(20\)"):
        protect(table, "dfe", totals={"column": "Total"})


def test_bad_arguments_are_named():
    table = pd.DataFrame({"n": [3, 40], "rate": [0.1, 0.2]}, index=["p", "q"])
    with pytest.raises(ParameterError, match=r"derived\['rate'\].*'k'"):
        protect(table, "nhs", derived={"rate": ("k",)})
    with pytest.raises(DataError, match=r"missing column\(s\) 'nn'"):
        protect(table, "nhs", counts=["nn"])
    with pytest.raises(ParameterError, match=r"'n'.*both as counts and as derived"):
        protect(table, "nhs", counts=["n"], derived={"n": "n"})
    with pytest.raises(ParameterError, match="must be a pandas DataFrame; got list"):
        protect([1, 2], "nhs")
    with pytest.raises(DataError, match=r"row labels \(index\) must be unique; 'p'"):
        protect(table.set_axis(["p", "p"]), "nhs")


def test_repr_and_str_leave_the_audit_out():
    # A notebook stores text/plain beside text/html, so the repr must not carry the originals.
    table = pd.DataFrame({"n": [3, 41]}, index=["p", "q"])
    result = protect(table, "nhs", warn=False)
    assert "41" not in repr(result) and "41" not in str(result)
    assert "audit" not in repr(result)


def test_a_boolean_column_is_not_a_count():
    table = pd.DataFrame({"flag": [True, False]}, index=["p", "q"])
    assert protect(table, "nhs").count_columns == ()
    with pytest.raises(DataError, match=r"count column 'flag', row 'p': value True"):
        protect(table, "nhs", counts=["flag"])


def test_policy_from_a_programme_spec_mapping():
    # A programme spec's `disclosure: {policy: {extends: dfe, high: 9}}` reaches protect as a dict.
    table = pd.DataFrame({"n": [9, 10, 30], "m": [1, 2, 3]}, index=["p", "q", "Total"])
    table.loc["Total"] = table.loc[["p", "q"]].sum()
    result = protect(table, {"extends": "dfe", "high": 9}, totals={"row": "Total"}, warn=False)
    assert result.table["n"].tolist() == ["c", "c", 19]
    assert result.table["m"].tolist() == ["c", "c", "c"]
    assert (result.policy_name, result.threshold) == ("dfe (adapted)", 9)


def test_summaries_name_each_authority():
    table = pd.DataFrame({"n": [3, 20]}, index=["p", "q"])
    owners = {
        "nhs": "as NHS England's rules require.",
        "dfe": "as the Department for Education's rules require.",
        "ons_10_5": "as the Office for National Statistics' rules require.",
        "ofqual": "as Ofqual's rules require.",
    }
    for name, ending in owners.items():
        assert protect(table, name, warn=False).summary().endswith(ending)


# Exact wording of the summary and note, one thing of each kind ---------------------------------


def test_one_of_each_change_is_described_in_the_singular():
    # DfE rules (1-5 shown as c, secondary suppression), one-way table with a total row:
    # 4 is primary; column n then has one hidden cell, so the next-smallest non-zero, 6, is
    # hidden too: 1 primary and 1 secondary cell.
    table = pd.DataFrame({"n": [4, 0, 6, 30, 40]}, index=["p", "q", "r", "s", "Total"])
    result = protect(table, "dfe", totals={"row": "Total"}, warn=False)
    assert (result.n_primary, result.n_secondary) == (1, 1)
    changes = (
        '1 cell was suppressed (shown as "c") because it counted between 1 and 5 people; '
        "1 more cell was suppressed so that no hidden count can be worked out from the totals"
    )
    assert result.summary() == f"{changes}, as the Department for Education's rules require."
    assert result.note() == (
        f"Disclosure control: Department for Education suppression (c = confidential). {changes}."
    )


def test_one_withheld_rate_with_its_unit_and_audit_row():
    # NHS rules: 5 is suppressed, so the rate computed from it in the same row is withheld.
    table = pd.DataFrame({"n": [5, 40], "rate": [0.4, 0.5]}, index=["p", "q"])
    result = protect(table, "nhs", derived={"rate": "n"}, unit="families", warn=False)
    assert result.table["rate"].tolist() == ["*", 0.5]
    assert result.unit == "families"
    assert result.summary() == (
        '1 cell was suppressed (shown as "*") because it counted between 1 and 7 families; '
        "1 rate or mean was withheld because it came from suppressed counts; other counts are "
        "rounded to the nearest 5, as NHS England's rules require."
    )
    audit = result.audit.to_dict("records")
    assert audit == [
        {"row": "p", "column": "n", "original": 5, "published": "*", "rule": "primary"},
        {
            "row": "p",
            "column": "rate",
            "original": 0.4,
            "published": "*",
            "rule": "derived-withheld",
        },
    ]


def test_a_derived_column_may_name_one_count_column_as_a_string():
    # derived={"mean": "people"} means ("people",), not the letters of "people".
    table = pd.DataFrame({"people": [3, 40], "mean": [1.5, 2.5]}, index=["p", "q"])
    result = protect(table, "nhs", derived={"mean": "people"}, counts="people", warn=False)
    assert result.count_columns == ("people",)
    assert result.table["mean"].tolist() == ["*", 2.5]


def test_note_when_nothing_changes_and_rounding_base_two():
    dfe = protect(pd.DataFrame({"n": [0, 10]}), "dfe")
    assert dfe.note() == (
        "Disclosure control: Department for Education suppression (c = confidential). "
        "No cell needed suppressing."
    )
    # A custom policy rounding to the nearest 2 (the smallest base that rounds): 1 is shown as
    # *, 10 stays 10, 11 -> 12 (halves go up).
    pairs = protect(
        pd.DataFrame({"n": [10, 11]}), {"label": "pairs", "high": 1, "rounding": 2}, warn=False
    )
    assert pairs.table["n"].tolist() == [10, 12]
    assert pairs.summary() == (
        "No cell needed suppressing under this programme's rules; counts are rounded to the "
        "nearest 2."
    )
    assert pairs.note() == (
        "Disclosure control: pairs. No cell needed suppressing; counts are rounded to the nearest 2."
    )


def test_default_policy_is_nhs_and_duplicate_columns_are_named():
    table = pd.DataFrame({"n": [7, 8]}, index=["p", "q"])
    result = protect(table, warn=False)
    assert result.policy_name == "nhs"
    assert result.table["n"].tolist() == ["*", 10]
    with pytest.raises(DataError) as err:
        protect(pd.DataFrame([[1, 2]], columns=["a", "a"]))
    assert str(err.value) == "table column names must be unique; 'a' appears more than once"


def test_derived_must_be_a_mapping_and_missing_columns_name_their_argument():
    table = pd.DataFrame({"n": [3, 40], "rate": [0.1, 0.2]}, index=["p", "q"])
    with pytest.raises(ParameterError) as err:
        protect(table, "nhs", derived=["rate"])
    assert str(err.value) == "derived must be a mapping of column -> count columns; got ['rate']"
    with pytest.raises(DataError, match=r"^missing column\(s\) 'nx' in counts; "):
        protect(table, "nhs", counts=["nx"])
    with pytest.raises(DataError, match=r"^missing column\(s\) 'rr' in derived; "):
        protect(table, "nhs", derived={"rr": "n"})


def test_missing_count_message_in_full():
    table = pd.DataFrame({"n": [10.0, np.nan]}, index=["p", "q"])
    with pytest.raises(DataError) as err:
        protect(table, "nhs", counts=["n"])
    assert str(err.value) == (
        "count column 'n', row 'q': value is missing; expected a whole number >= 0 "
        "(use 0 for none, or drop the row)"
    )


def test_object_and_string_count_columns_are_read_as_numbers():
    # Counts held as Python objects (e.g. read from a spreadsheet) are still counts.
    table = pd.DataFrame({"n": [3, 12, 0]}, index=["p", "q", "r"], dtype=object)
    assert protect(table, "nhs", counts=["n"], warn=False).table["n"].tolist() == ["*", 10, 0]


def test_a_missing_total_row_lists_only_the_first_ten_rows():
    table = pd.DataFrame({"n": range(20, 32)}, index=[f"r{i}" for i in range(12)])
    with pytest.raises(DataError) as err:
        protect(table, "dfe", totals={"row": "All"})
    first_ten = [f"r{i}" for i in range(10)]
    assert f"(rows: {first_ten!r}); set the label column" in str(err.value)


# Float columns that look like counts --------------------------------------------------------


def _float_warnings(table: pd.DataFrame, **kwargs) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        protect(table, "nhs", **kwargs)
    return [str(w.message) for w in caught if "holds whole numbers" in str(w.message)]


def test_float_warning_message_in_full():
    table = pd.DataFrame({"n": [40], "x": [3.0]}, index=["p"])
    assert _float_warnings(table) == [
        "column 'x' holds whole numbers, some between 1 and 7, but is not protected: only "
        "integer columns are counts by default; pass counts=[...] to protect it, or "
        "derived={...} if it is computed from counts"
    ]


@pytest.mark.parametrize(
    ("values", "warned"),
    [
        # NHS suppresses 1-7: both ends of the range count, 0 and 8 do not.
        ([1.0, 20.0], True),
        ([7.0, 20.0], True),
        ([0.0, 3.0], True),  # zero is a whole number too
        ([0.0, 8.0, 20.0], False),  # whole numbers, none in 1-7
        ([2.5, 3.0], False),  # not all whole: a measurement, not a count
        ([np.nan, np.nan], False),  # nothing to judge
    ],
)
def test_float_column_warning_follows_the_suppressed_range(values, warned):
    # The int column n comes first, so the check must go on to the float column after it.
    table = pd.DataFrame({"n": [40] * len(values), "x": values})
    assert bool(_float_warnings(table)) is warned


def test_float_counts_and_derived_floats_are_not_flagged():
    # A float column chosen as counts is protected; a float column declared as derived is
    # withheld with its counts; neither is flagged. Left undeclared, the same column is.
    floats = pd.DataFrame({"n": [3.0, 40.0]})
    assert _float_warnings(floats, counts=["n"]) == []
    table = pd.DataFrame({"m": [40, 40], "mean": [2.0, 3.0]})
    assert _float_warnings(table, derived={"mean": "m"}) == []
    assert len(_float_warnings(table)) == 1


# HTML ---------------------------------------------------------------------------------------


def test_html_defaults_class_blank_missing_and_no_range_index():
    table = pd.DataFrame({"n": [3, 40], "label": ["a", None]})
    result = protect(table, "nhs", warn=False)
    page = result.to_html()
    assert '<table data-disclosure-policy="nhs"' in page
    assert 'class="dataframe evalkit-protected"' in page
    parser = _Cells()
    parser.feed(page)
    assert parser.cells == ["*", "a", "40", ""]  # no index column; a missing label is blank
    assert "<th>0</th>" not in page
    with pytest.raises(ParameterError) as err:
        result.to_html(escape=False)
    assert str(err.value) == "escape=False is not allowed: published tables are always escaped"
