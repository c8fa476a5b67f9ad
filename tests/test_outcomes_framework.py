"""Outcome frameworks: indicator register, Wilson intervals, equity view, family rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from statsmodels.stats.proportion import proportion_confint

from evalkit.exceptions import ConfigError, DataError, ParameterError
from evalkit.outcomes import (
    Indicator,
    IndicatorRegister,
    equity_view,
    family_outcomes,
    indicator_results,
    supporting_families_outcomes,
)
from evalkit.outcomes.framework import indicator_successes

SPEC = {
    "indicators": [
        {
            "name": "Stable housing",
            "definition": "Family in stable housing at the end of support",
            "column": "housing_after",
            "baseline_column": "housing_before",
            "target": 0.6,
        },
        {
            "name": "No police call-outs",
            "definition": "No police call-out in the year after starting",
            "column": "callouts_after",
            "polarity": "lower_is_better",
            "unit": "count",
            "threshold": 0,
            "target": 0.5,
        },
        {
            "name": "Repeat referral",
            "definition": "Re-referred to children's social care",
            "column": "rereferred",
            "polarity": "lower_is_better",
            "target": 0.2,
            "baseline": 0.25,
        },
    ]
}


@pytest.fixture
def people() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 400
    return pd.DataFrame(
        {
            "locality_code": rng.choice(["E08000012", "E08000011", "E06000017"], n),
            "age_band": rng.choice(["16-24", "25-34", "35-44"], n),
            "sex": rng.choice(["Female", "Male"], n),
            "ethnic_group": rng.choice(["Asian", "Black", "White"], n),
            "housing_before": rng.integers(0, 2, n),
            "housing_after": rng.integers(0, 2, n),
            "callouts_after": rng.poisson(0.8, n),
            "rereferred": rng.integers(0, 2, n),
        }
    )


@pytest.fixture
def register() -> IndicatorRegister:
    return IndicatorRegister.from_dict(SPEC)


def test_register_loads_spec_section(register, tmp_path):
    assert [i.name for i in register] == [
        "Stable housing",
        "No police call-outs",
        "Repeat referral",
    ]
    path = tmp_path / "spec.yaml"
    import yaml

    path.write_text(yaml.safe_dump(SPEC))
    assert IndicatorRegister.from_yaml(str(path)) == register


def test_indicator_fields_are_stable():
    # The programme spec (evalkit.config) imports Indicator for its indicators: section.
    assert set(Indicator.model_fields) == {
        "name",
        "definition",
        "column",
        "baseline_column",
        "polarity",
        "unit",
        "baseline",
        "target",
        "threshold",
    }


def test_wilson_interval_matches_statsmodels(people, register):
    # statsmodels.stats.proportion.proportion_confint(method="wilson") is the reference.
    table = indicator_results(people, register, by=["locality_code"])
    for row in table.itertuples():
        low, high = proportion_confint(row.successes, row.n, alpha=0.05, method="wilson")
        assert (row.ci_low, row.ci_high) == pytest.approx((low, high), abs=1e-12)
    table99 = indicator_results(people, register, ci=0.99)
    low, high = proportion_confint(table99.successes[0], table99.n[0], alpha=0.01, method="wilson")
    assert (table99.ci_low[0], table99.ci_high[0]) == pytest.approx((low, high))


def test_rates_baselines_and_met(people, register):
    table = indicator_results(people, register).set_index("indicator")
    housing = table.loc["Stable housing"]
    assert housing["rate"] == pytest.approx(people["housing_after"].mean())
    assert housing["baseline_rate"] == pytest.approx(people["housing_before"].mean())
    assert housing["met"] == (people["housing_after"].mean() >= 0.6)
    callouts = table.loc["No police call-outs"]
    assert callouts["successes"] == (people["callouts_after"] == 0).sum()
    assert callouts["met"] == ((people["callouts_after"] == 0).mean() >= 0.5)
    repeat = table.loc["Repeat referral"]
    assert repeat["baseline_rate"] == 0.25
    assert repeat["met"] == (people["rereferred"].mean() <= 0.2)


def test_score_threshold_and_missing_values():
    df = pd.DataFrame({"wellbeing": [18, 22, 25, np.nan, 19]})
    ind = Indicator(
        name="Good wellbeing", definition="x", column="wellbeing", unit="score", threshold=20
    )
    row = indicator_results(df, [ind]).iloc[0]
    assert (row["n"], row["successes"]) == (4, 2)
    assert pd.isna(row["met"])


def test_by_group_rows(people, register):
    table = indicator_results(people, register, by="locality_code")
    assert len(table) == 9
    counts = people.groupby("locality_code").size()
    housing = table[table.indicator == "Stable housing"].set_index("locality_code")
    assert (housing["n"] == counts).all()


def test_equity_view(people, register):
    view = equity_view(people, register, ["age_band", "sex", "ethnic_group"])
    assert set(view["subgroup"]) == {"age_band", "sex", "ethnic_group"}
    females = view[(view.indicator == "Stable housing") & (view.level == "Female")].iloc[0]
    expected = people.loc[people.sex == "Female", "housing_after"].mean()
    assert females["rate"] == pytest.approx(expected)
    assert females["gap"] == pytest.approx(expected - people["housing_after"].mean())


def test_supporting_families_headline_outcomes():
    names = supporting_families_outcomes()
    assert len(names) == 10 and "secure housing" in names


def test_family_outcomes_rule():
    rows = [
        ("F1", "secure housing", 1, 1),
        ("F1", "financial stability", 1, 1),
        ("F1", "improved family relationships", 1, 1),
        ("F2", "secure housing", 1, 1),
        ("F2", "financial stability", 1, 0),
        ("F2", "safe from domestic abuse", 1, 1),
        ("F3", "secure housing", 1, 1),
        ("F3", "financial stability", 1, 1),
    ]
    df = pd.DataFrame(rows, columns=["family_id", "need", "met", "sustained"])
    result = family_outcomes(
        df, "family_id", "need", "met", "sustained", allowed_needs=supporting_families_outcomes()
    )
    assert result.table["status"].to_dict() == {
        "F1": "successful",
        "F2": "not yet",
        "F3": "not eligible",
    }
    assert (result.n_eligible, result.n_successful, result.n_not_eligible) == (2, 1, 1)
    low, high = proportion_confint(1, 2, method="wilson")
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high))
    assert "not eligible" in result.summary()


# ---- bad input -----------------------------------------------------------------------------


def test_indicator_validation():
    with pytest.raises(ValidationError, match="extra"):
        Indicator(name="x", definition="y", column="z", colour="red")
    with pytest.raises(ValidationError, match="threshold is needed"):
        Indicator(name="x", definition="y", column="z", unit="score")
    with pytest.raises(ValidationError, match="polarity"):
        Indicator(name="x", definition="y", column="z", polarity="up")


def test_register_errors_name_the_field():
    with pytest.raises(ConfigError, match=r"indicators\.0\.target.*1\.5"):
        IndicatorRegister.from_dict(
            {"indicators": [{"name": "a", "definition": "b", "column": "c", "target": 1.5}]}
        )
    with pytest.raises(ConfigError, match="no 'indicators:' section"):
        IndicatorRegister.from_dict({"outcomes": []})
    with pytest.raises(ConfigError, match=r"unique.*'a'"):
        IndicatorRegister.from_dict([{"name": "a", "definition": "b", "column": "c"}] * 2)


def test_missing_column_and_non_binary(people, register):
    with pytest.raises(DataError, match=r"missing column.*'housing_after'"):
        indicator_results(people.drop(columns="housing_after"), register)
    bad = people.assign(housing_after=people["housing_after"] * 2)
    with pytest.raises(DataError, match=r"column 'housing_after'.*value 2.0 is not 0 or 1"):
        indicator_results(bad, register)
    text = people.assign(callouts_after=people["callouts_after"].astype(str))
    text.loc[3, "callouts_after"] = "many"
    with pytest.raises(DataError, match=r"'callouts_after'.*row 3: value 'many' is not a number"):
        indicator_results(text, register)


def test_all_missing_group_is_named(people, register):
    df = people.astype({"housing_after": float})
    df.loc[df.locality_code == "E06000017", "housing_after"] = np.nan
    with pytest.raises(DataError, match=r"no values in group locality_code='E06000017'"):
        indicator_results(df, register, by="locality_code")


def test_equity_view_needs_subgroups(people, register):
    with pytest.raises(ParameterError, match="at least one column"):
        equity_view(people, register, subgroups=())
    with pytest.raises(DataError, match=r"missing column.*'religion'"):
        equity_view(people, register, subgroups=("religion",))


def test_family_outcomes_bad_input():
    df = pd.DataFrame(
        {"f": ["A", "A"], "need": ["secure housing"] * 2, "met": [1, 1], "sus": [1, 1]}
    )
    with pytest.raises(DataError, match=r"family 'A' lists need 'secure housing' twice"):
        family_outcomes(df, "f", "need", "met", "sus")
    df = pd.DataFrame({"f": ["A"], "need": ["pets"], "met": [1], "sus": [1]})
    with pytest.raises(DataError, match=r"need 'pets' is not one of the allowed"):
        family_outcomes(df, "f", "need", "met", "sus", allowed_needs=supporting_families_outcomes())
    with pytest.raises(DataError, match=r"no family has at least min_needs=3"):
        family_outcomes(df, "f", "need", "met", "sus")
    df = pd.DataFrame({"f": ["A"], "need": ["x"], "met": [np.nan], "sus": [1]})
    with pytest.raises(DataError, match=r"column 'met'.*row 0.*expected every identified need"):
        family_outcomes(df, "f", "need", "met", "sus", min_needs=1)
    with pytest.raises(ParameterError, match=r"min_needs must be at least 1; got 0"):
        family_outcomes(df, "f", "need", "met", "sus", min_needs=0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from([0, 1]), min_size=1, max_size=60), st.sampled_from([0.9, 0.95]))
def test_wilson_property_against_statsmodels(values, ci):
    df = pd.DataFrame({"ok": values})
    ind = Indicator(name="ok", definition="ok", column="ok")
    row = indicator_results(df, [ind], ci=ci).iloc[0]
    low, high = proportion_confint(sum(values), len(values), alpha=1 - ci, method="wilson")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), abs=1e-12)
    assert row["ci_low"] <= row["rate"] <= row["ci_high"]


# --- pinned by hand (mutation testing, issue 17) ---------------------------------------------------

COLUMNS = [
    "indicator",
    "team",
    "n",
    "successes",
    "rate",
    "ci_low",
    "ci_high",
    "baseline_n",
    "baseline_rate",
    "target",
    "met",
    "polarity",
    "unit",
    "method",
]


@pytest.fixture
def tiny() -> pd.DataFrame:
    # team A: housed 1, 1, 0, 1 (3 of 4); before 0, 1, nan, nan (1 of 2);
    #         score 20, 19, 25, 20 (>= 20: 3 of 4; <= 20: 3 of 4)
    # team B: housed 1, 0 (1 of 2); before 1, nan (1 of 1); score 30, 10
    return pd.DataFrame(
        {
            "team": ["A", "A", "A", "A", "B", "B"],
            "housed": [1, 1, 0, 1, 1, 0],
            "before": [0, 1, np.nan, np.nan, 1, np.nan],
            "score": [20, 19, 25, 20, 30, 10],
        },
        index=["p1", "p2", "p3", "p4", "p5", "p6"],
    )


def _wilson(k, n, alpha=0.05):
    return proportion_confint(k, n, alpha=alpha, method="wilson")


def test_indicator_table_by_hand(tiny):
    housed = Indicator(
        name="Housed", definition="d", column="housed", baseline_column="before", target=0.75
    )
    table = indicator_results(tiny, [housed], by="team", ci=0.9)
    assert table.columns[0] == "indicator" and set(table.columns) == set(COLUMNS)
    assert table["n"].tolist() == [4, 2] and table["n"].dtype == np.int64
    assert table["successes"].tolist() == [3, 1] and table["successes"].dtype == np.int64
    assert table["rate"].tolist() == [0.75, 0.5]
    low, high = _wilson(np.array([3, 1]), np.array([4, 2]), alpha=0.1)
    assert table["ci_low"].tolist() == pytest.approx(list(low), abs=1e-12)
    assert table["ci_high"].tolist() == pytest.approx(list(high), abs=1e-12)
    assert table["baseline_n"].tolist() == [2, 1] and table["baseline_n"].dtype == np.int64
    assert table["baseline_rate"].tolist() == [0.5, 1.0]  # 1 of 2; 1 of 1
    assert table["target"].tolist() == [0.75, 0.75]
    assert table["met"].tolist() == [True, False]  # 0.75 reaches 0.75 exactly
    assert str(table["met"].dtype) == "boolean"
    assert table["polarity"].tolist() == ["higher_is_better"] * 2
    assert table["unit"].tolist() == ["share"] * 2
    assert (
        table["method"].tolist() == ["share meeting the indicator, 90% Wilson score interval"] * 2
    )


def test_thresholds_targets_and_no_baseline_by_hand(tiny):
    at_least = Indicator(
        name="Score 20+", definition="d", column="score", unit="score", threshold=20, target=0.6
    )
    at_most = Indicator(
        name="Score 20-",
        definition="d",
        column="score",
        unit="score",
        threshold=20,
        polarity="lower_is_better",
    )
    fewer = Indicator(
        name="Not housed",
        definition="d",
        column="housed",
        polarity="lower_is_better",
        target=0.5,
        baseline=0.4,
    )
    table = indicator_results(tiny, [at_least, at_most, fewer], by="team").set_index(
        ["indicator", "team"]
    )
    # a score equal to the threshold meets it, in either direction
    assert table.loc[("Score 20+", "A"), "successes"] == 3  # 20, 25, 20
    assert table.loc[("Score 20+", "B"), "successes"] == 1  # 30
    assert table.loc[("Score 20-", "A"), "successes"] == 3  # 20, 19, 20
    assert table.loc[("Score 20+", "A"), "met"]  # 0.75 >= 0.6
    assert not table.loc[("Score 20+", "B"), "met"]  # 0.5 < 0.6
    assert pd.isna(table.loc[("Score 20-", "A"), "met"])  # no target
    assert np.isnan(table.loc[("Score 20-", "A"), "target"])
    assert np.isnan(table.loc[("Score 20-", "A"), "baseline_rate"])
    assert pd.isna(table.loc[("Score 20-", "A"), "baseline_n"])
    assert str(table["baseline_n"].dtype) == "Int64"
    # lower is better for a share: the rate must be at or below the target (B: 0.5 <= 0.5)
    assert table.loc[("Not housed", "B"), "met"] and not table.loc[("Not housed", "A"), "met"]
    assert table.loc[("Not housed", "A"), "baseline_rate"] == 0.4
    meets = indicator_successes(tiny, at_least, "score")
    assert meets.dtype == np.float64 and meets.tolist() == [1.0, 0.0, 1.0, 1.0, 1.0, 0.0]


def test_groups_with_empty_categories_and_missing_keys():
    df = pd.DataFrame(
        {
            "area": pd.Categorical(["N", "N", None], categories=["N", "S"]),
            "ok": [1, 0, 1],
        }
    )
    ind = Indicator(name="OK", definition="d", column="ok")
    table = indicator_results(df, [ind], by="area")
    # S has nobody and is not a group; people with no area form their own group
    assert table["n"].tolist() == [2, 1]
    assert table["area"].iloc[0] == "N" and pd.isna(table["area"].iloc[1])


def test_framework_messages_in_full(tiny):
    ind = Indicator(name="Housed", definition="d", column="housed")
    with pytest.raises(
        DataError,
        match=r"^indicator 'Housed': column 'housed' has no values in group all; expected at "
        r"least one person with a value$",
    ):
        indicator_results(tiny.assign(housed=np.nan), [ind])
    with pytest.raises(
        DataError,
        match=r"^column 'housed' \(indicator 'Housed'\), row p2: value 2.0 is not 0 or 1; expected "
        r"a binary outcome for unit 'share'$",
    ):
        indicator_results(tiny.assign(housed=[1, 2, 0, 1, 1, 0]), [ind])
    words = tiny.astype({"housed": object})
    words.loc["p3", "housed"] = "yes"
    with pytest.raises(DataError, match=r"^column 'housed' in indicator 'Housed', row p3"):
        indicator_results(words, [ind])
    with pytest.raises(DataError, match=r"'region' in indicator_results\(by=\.\.\.\); expected"):
        indicator_results(tiny, [ind], by="region")
    with pytest.raises(ConfigError, match=r"^the outcome framework has no 'indicators:' section$"):
        IndicatorRegister.from_dict({"outcomes": []})
    with pytest.raises(ConfigError, match=r"^indicators: field 'indicators\.0\.target': "):
        IndicatorRegister.from_dict(
            {"indicators": [{"name": "a", "definition": "b", "column": "c", "target": 1.5}]}
        )
    with pytest.raises(ConfigError, match=r"^cannot read indicator file 'nowhere\.yaml': No such"):
        IndicatorRegister.from_yaml("nowhere.yaml")


def test_equity_view_by_hand(tiny):
    ind = Indicator(name="Housed", definition="d", column="housed")
    view = equity_view(tiny.assign(band=[1, 1, 2, 2, 2, 1]), [ind], ["team", "band"], ci=0.9)
    assert list(view.columns[:3]) == ["indicator", "subgroup", "level"]
    assert list(view.index) == [0, 1, 2, 3]
    assert view["subgroup"].tolist() == ["team", "team", "band", "band"]
    assert view["level"].tolist() == ["A", "B", "1", "2"]
    # overall 4 of 6; team A 3/4, B 1/2; band 1: p1, p2, p6 = 2/3; band 2: p3, p4, p5 = 2/3
    assert view["overall_rate"].tolist() == pytest.approx([4 / 6] * 4)
    assert view["gap"].tolist() == pytest.approx([3 / 4 - 4 / 6, 1 / 2 - 4 / 6, 0, 0])
    low, high = _wilson(np.array([3, 1, 2, 2]), np.array([4, 2, 3, 3]), alpha=0.1)
    assert view["ci_high"].tolist() == pytest.approx(list(high), abs=1e-12)
    assert view["ci_low"].tolist() == pytest.approx(list(low), abs=1e-12)
    with pytest.raises(
        ParameterError, match=r"^subgroups must name at least one column; got an empty list$"
    ):
        equity_view(tiny, [ind], [])
    with pytest.raises(DataError, match=r"'sex' in equity_view; expected"):
        equity_view(tiny, [ind], ["sex"])


def test_family_outcomes_by_hand():
    # F2 first in the data; the table is sorted by family. F1: 3 needs all met and sustained;
    # F2: 3 needs, one not sustained; F3: 1 need (not eligible). 1 of 2 eligible succeed.
    rows = [
        ("F2", "a", 1, 1),
        ("F2", "b", 1, 0),
        ("F2", "c", 1, 1),
        ("F1", "a", 1, 1),
        ("F1", "b", True, True),
        ("F1", "c", 1, 1),
        ("F3", "a", 1, 1),
    ]
    df = pd.DataFrame(rows, columns=["fam", "need", "met", "sus"])
    result = family_outcomes(df, "fam", "need", "met", "sus", ci=0.9)
    assert list(result.table.index) == ["F1", "F2", "F3"] and result.table.index.name == "fam"
    assert result.table["n_needs"].tolist() == [3, 3, 1]
    assert result.table["n_met_sustained"].tolist() == [3, 2, 1]
    assert (result.n_families, result.n_eligible, result.n_successful) == (3, 2, 1)
    assert result.rate == 0.5 and result.min_needs == 3
    low, high = _wilson(1, 2, alpha=0.1)
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), abs=1e-12)
    assert result.method == (
        "Supporting Families rule: every identified need met and sustained, at least 3 needs; "
        "90% Wilson score interval"
    )
    low95, high95 = _wilson(1, 2)
    text = family_outcomes(df, "fam", "need", "met", "sus").summary()
    assert text == (
        f"1 of 2 eligible families (50%, 95% CI {low95:.0%} to {high95:.0%}) had every "
        "identified need met and sustained. 1 families with fewer than 3 identified needs are "
        "reported as not eligible. This counts outcomes achieved, not outcomes caused by the "
        "service."
    )


def test_family_outcomes_messages_in_full():
    with pytest.raises(
        DataError, match=r"^family_outcomes received no rows; expected one row per family and need$"
    ):
        family_outcomes(pd.DataFrame(columns=["f", "n", "m", "s"]), "f", "n", "m", "s")
    with pytest.raises(DataError, match=r"'sus' in family_outcomes; expected"):
        family_outcomes(pd.DataFrame({"f": [1], "n": [1], "m": [1]}), "f", "n", "m", "sus")
    # the same need twice, even with different answers
    twice = pd.DataFrame({"f": ["A", "A"], "n": ["x", "x"], "m": [1, 0], "s": [1, 1]})
    with pytest.raises(DataError, match=r"^family 'A' lists need 'x' twice \(row 1\)"):
        family_outcomes(twice, "f", "n", "m", "s")
    two = pd.DataFrame({"f": ["A", "A"], "n": ["x", "y"], "m": [1, 2], "s": [1, 1]})
    with pytest.raises(
        DataError,
        match=r"^column 'm' in family_outcomes, row 1: value 2 is not 0/1 or True/False; "
        r"expected every identified need to be recorded$",
    ):
        family_outcomes(two, "f", "n", "m", "s", min_needs=1)
    words = pd.DataFrame({"f": ["A"], "n": ["x"], "m": ["yes"], "s": [1]})
    with pytest.raises(DataError, match=r"^column 'm' in family_outcomes, row 0: value 'yes'"):
        family_outcomes(words, "f", "n", "m", "s", min_needs=1)


def test_register_and_two_group_messages_in_full(tiny):
    # a whole-register error has no field path below "indicators"
    with pytest.raises(
        ConfigError,
        match=r"^indicators: field 'indicators': Value error, indicator names must be unique; "
        r"repeated: \['a'\]",
    ):
        IndicatorRegister.from_dict([{"name": "a", "definition": "b", "column": "c"}] * 2)
    ind = Indicator(name="Housed", definition="d", column="housed")
    empty = tiny.assign(band=[1, 1, 2, 2, 2, 1], housed=[1, 1, np.nan, np.nan, np.nan, 0])
    with pytest.raises(
        DataError,
        match=r"^indicator 'Housed': column 'housed' has no values in group team='A', band=2; ",
    ):
        indicator_results(empty, [ind], by=["team", "band"])
