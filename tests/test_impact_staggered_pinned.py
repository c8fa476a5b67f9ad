"""staggered_did called inside each test (not through a module fixture), against R's did output.

A module-scoped fixture runs the estimator once, before the first test that asks for it, so a
mutation tool that maps functions to the tests calling them sees only that first test. These
tests call :func:`staggered_did` themselves. Published values: R package did (Callaway and
Sant'Anna), mpdta vignette "Introduction to DiD with Multiple Time Periods", printed to 4
decimals (the same figures as tests/test_impact_staggered.py).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from evalkit.exceptions import DataError, ParameterError, StatisticalWarning
from evalkit.impact import evidence_rating, staggered_did

FIXTURES = Path(__file__).parent / "fixtures" / "impact"
R_DYNAMIC = {-3: 0.0305, -2: -0.0006, -1: -0.0245, 0: -0.0199, 1: -0.0510, 2: -0.1373, 3: -0.1008}
R_GROUP = {2004: -0.0797, 2006: -0.0229, 2007: -0.0261}


def _mpdta() -> pd.DataFrame:
    df = pd.read_csv(FIXTURES / "mpdta.csv")
    df["first_treat"] = df["first.treat"].where(df["first.treat"] > 0)
    return df


def test_every_table_and_headline_against_r():
    res = staggered_did(_mpdta(), "lemp", "countyreal", "year", "first_treat", alpha=0.1)
    assert list(res.dynamic.columns[:2]) == ["event_time", "estimate"]
    dyn = {int(r.event_time): round(r.estimate, 4) for r in res.dynamic.itertuples()}
    assert dyn == R_DYNAMIC
    assert list(res.groups.columns[:2]) == ["group", "estimate"]
    assert {int(r.group): round(r.estimate, 4) for r in res.groups.itertuples()} == R_GROUP
    assert res.att_gt["post"].tolist() == [
        t >= g for g, t in zip(res.att_gt["group"], res.att_gt["time"], strict=True)
    ]
    # 500 counties x 5 years (2003-2007); the earliest cohort (2004) has 1 pre-period (2003)
    assert res.n == 2500 and res.outcome == "lemp" and res.ci_level == pytest.approx(0.9)
    evidence = evidence_rating("staggered_did", comparison_group=True, pre_periods=1)
    assert res.evidence == evidence and res.dynamic_overall.evidence == evidence
    method = (
        "Callaway-Sant'Anna DiD (doubly robust (Sant'Anna and Zhao 2020), never-treated "
        "controls, varying base period, anticipation 0) via the differences package; analytic "
        "influence-function SE clustered by countyreal (500 units), pointwise normal intervals"
    )
    assert res.method == f"{method}; simple aggregation"
    assert res.dynamic_overall.method == f"{method}; dynamic (event-time) aggregation"
    assert res.group_overall.method == f"{method}; group aggregation"
    assert round(res.dynamic_overall.estimate, 4) == -0.0772
    assert round(res.group_overall.estimate, 4) == -0.0310
    assert res.dynamic_overall.n == 2500 and res.group_overall.outcome == "lemp"
    assert res.summary().endswith(
        "By time since launch the effect runs from -0.0199 at launch to -0.101 after 3 "
        "period(s); averaged over event times it is -0.0772 and over launch cohorts -0.0310. "
        "Effects before launch (placebo checks of parallel trends) are in the att_gt and "
        "dynamic tables."
    )


def test_staggered_messages_in_full():
    df = _mpdta()
    args = ("lemp", "countyreal", "year", "first_treat")
    with pytest.raises(ParameterError, match=r"^anticipation must be a whole number >= 0; got -1$"):
        staggered_did(df, *args, anticipation=-1)
    with pytest.raises(
        ParameterError, match=r"^anticipation must be a whole number >= 0; got 1\.0$"
    ):
        staggered_did(df, *args, anticipation=1.0)
    with pytest.raises(
        ParameterError, match=r"^covariates must be a list of column names; got 'lpop'$"
    ):
        staggered_did(df, *args, covariates="lpop")
    with pytest.raises(ParameterError, match=r"^control_group must be one of"):
        staggered_did(df, *args, control_group="all")
    with pytest.raises(ParameterError, match=r"^estimation must be one of"):
        staggered_did(df, *args, estimation="ols")
    with pytest.raises(DataError, match=r"'wage' in staggered_did\(\); expected"):
        staggered_did(df, "wage", "countyreal", "year", "first_treat")
    half = df.assign(t=df["year"].where(df.index != 7, 2004.5))
    with pytest.raises(
        DataError,
        match=r"^time='t' in staggered_did\(\), row 7: 2004\.5 is not a whole number; expected "
        r"integer periods \(e\.g\. quarter number 0, 1, 2 \.\.\.\)$",
    ):
        staggered_did(half, "lemp", "countyreal", "t", "first_treat")
    doubled = pd.concat([df, df.iloc[[3]]])
    with pytest.raises(
        DataError,
        match=r"^unit='countyreal', time='year' in staggered_did\(\): row 3 repeats unit 8001 in "
        r"period 2006; expected one row per unit and period$",
    ):
        staggered_did(doubled, *args)
    with pytest.raises(
        DataError,
        match=r"^first_treated='first_treat' in staggered_did\(\) is filled for every unit, so "
        r"there are no never-treated units; expected some empty values, or use "
        r"control_group='not_yet_treated'$",
    ):
        staggered_did(df[df["first_treat"].notna()], *args)
    early = df.assign(first_treat=df["first_treat"].where(df["first_treat"].isna(), 2003))
    with (
        pytest.warns(StatisticalWarning) as caught,
        pytest.raises(
            DataError,
            match=r"^first_treated='first_treat' in staggered_did\(\): no unit launches after the "
            r"first period; expected at least one treated cohort with a pre-period$",
        ),
    ):
        staggered_did(early, *args)
    (warning,) = caught
    assert str(warning.message).startswith("191 unit(s) launched in the first period (2003) have")
    first_five = sorted(str(u) for u in df.loc[df["first_treat"].notna(), "countyreal"].unique())
    assert str(warning.message).endswith(f"pre-period and are dropped: {', '.join(first_five[:5])}")
