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
