"""Difference-in-differences on a 2 x 2 table worked by hand, and the event-study summary text.

DiD without covariates is the difference of four cell means (Card and Krueger 1994; Angrist and
Pischke 2009, Mostly Harmless Econometrics, section 5.2): (T1 - T0) - (C1 - C0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit.exceptions import DataError
from evalkit.impact import did, evidence_rating
from evalkit.impact.did import EventStudyResult


def _two_by_two() -> pd.DataFrame:
    # comparison before 10, 12 (mean 11); after 13, 15 (14)
    # treated before 20, 22 (mean 21); after 27, 29 (28)
    return pd.DataFrame(
        {
            "y": [10.0, 12, 13, 15, 20, 22, 27, 29],
            "d": [0, 0, 0, 0, 1, 1, 1, 1],
            "t": [0, 0, 1, 1, 0, 0, 1, 1],
            "age": [30.0, 40, 35, 45, 32, 38, 36, 44],
        }
    )


def test_two_by_two_by_hand():
    # DiD = (28 - 21) - (14 - 11) = 7 - 3 = 4
    r = did(_two_by_two(), "y", "d", "t")
    assert r.estimate == pytest.approx(4.0, abs=1e-12)
    assert r.n == 8 and r.ci_level == 0.95 and r.outcome == "y"
    assert r.evidence == evidence_rating("did", comparison_group=True, pre_periods=1)
    assert "adjusted for" not in r.method
    adjusted = did(_two_by_two(), "y", "d", "t", covariates=["age"], alpha=0.1)
    assert adjusted.ci_level == pytest.approx(0.9)
    assert ", adjusted for age" in adjusted.method


def test_did_messages_in_full():
    df = _two_by_two()
    with pytest.raises(
        DataError,
        match=r"^treated='d' takes only the value 1 among usable rows; expected both the "
        r"comparison group \(0\) and the treated group \(1\)$",
    ):
        did(df[df.d == 1], "y", "d", "t")
    with pytest.raises(
        DataError,
        match=r"^post='t' takes only the value 0 among usable rows; expected both a pre-period "
        r"\(0\) and a post-period \(1\)$",
    ):
        did(df[df.t == 0], "y", "d", "t")
    with pytest.raises(DataError, match=r"all four group x period cells"):
        did(df[~((df.d == 1) & (df.t == 1))], "y", "d", "t")
    with pytest.raises(DataError, match=r"'z' in did\(\); expected"):
        did(df, "z", "d", "t")
    with pytest.raises(DataError, match=r"^post='t' in did\(\)"):
        did(df.assign(t=[0, 0, 1, 1, 0, 0, 2, 2]), "y", "d", "t")
    with pytest.raises(DataError, match=r"^column 'y' in did\(\), row 1"):
        did(
            df.astype({"y": object}).assign(y=["a" if i == 1 else 1.0 for i in range(8)]),
            "y",
            "d",
            "t",
        )


def _unequal_cells() -> pd.DataFrame:
    # comparison before 10, 12, 14 (n 3, mean 12, SS 4 + 0 + 4 = 8); after 13, 15 (14, SS 2)
    # treated before 20, 22 (n 2, mean 21, SS 2); after 25, 31 (n 2, mean 28, SS 9 + 9 = 18)
    return pd.DataFrame(
        {
            "y": [10.0, 12, 14, 13, 15, 20, 22, 25, 31],
            "d": [0, 0, 0, 0, 0, 1, 1, 1, 1],
            "t": [0, 0, 0, 1, 1, 0, 0, 1, 1],
        }
    )


def test_hc1_and_classical_errors_by_hand():
    # The model is saturated (4 cells, K = 4, N = 9, N - K = 5), so the residuals are the
    # deviations from the cell means and delta = (28 - 21) - (14 - 12) = 5 is a signed sum of
    # the four cell means (Angrist and Pischke 2009, section 5.2).
    # Classical: s2 = (8 + 2 + 2 + 18) / 5 = 6; Var = s2 * (1/3 + 1/2 + 1/2 + 1/2) = 6 * 11/6 = 11.
    # HC1 (MacKinnon and White 1985): HC0 variance of a cell mean is SS_c / n_c^2, so
    #   HC0 = 8/9 + 2/4 + 2/4 + 18/4 = 115/18 and HC1 = N/(N-K) * HC0 = 9/5 * 115/18 = 11.5.
    # Both use a t reference with N - K = 5 degrees of freedom.
    df = _unequal_cells()
    crit = stats.t.ppf(0.975, 5)
    for se, var, flavour in [
        ("robust", 11.5, "heteroskedasticity-robust SE (HC1, t with N-K df)"),
        ("classical", 11.0, "classical OLS SE (homoskedastic, t with N-K df)"),
    ]:
        r = did(df, "y", "d", "t", se=se)
        assert r.estimate == pytest.approx(5.0, abs=1e-12)
        assert r.se == pytest.approx(np.sqrt(var), rel=1e-12), se
        assert r.ci_low == pytest.approx(5.0 - crit * np.sqrt(var), rel=1e-10), se
        assert r.ci_high == pytest.approx(5.0 + crit * np.sqrt(var), rel=1e-10), se
        p = 2 * stats.t.sf(5.0 / np.sqrt(var), 5)
        assert r.p_value == pytest.approx(p, rel=1e-10), se
        assert r.method == f"two-group DiD by OLS, {flavour}"


def _event(pretrend_p, pretrend_f=2.5) -> EventStudyResult:
    table = pd.DataFrame(
        {
            "event_time": [-2, -1, 0, 1],
            "estimate": [0.1, 0.0, 1.5, 2.25],
            "reference": [False, True, False, False],
        }
    )
    return EventStudyResult(
        outcome="calls",
        table=table,
        reference=-1,
        pretrend_f=pretrend_f,
        pretrend_df=(1, 30),
        pretrend_p=pretrend_p,
        n=40,
        method="hand-made",
        evidence=evidence_rating("event_study", comparison_group=True, pre_periods=2),
    )


def test_event_study_summaries_in_full():
    tail = lambda r: f" {r.evidence.summary()} Method: hand-made; n = 40."  # noqa: E731
    drifting = _event(0.01)
    assert drifting.summary() == (
        "Event study of calls: effects in 2 period(s) from launch range from 1.50 to 2.25. "
        "Before launch the groups were already drifting apart (joint test F = 2.50, p = 0.010): "
        "the parallel-trends assumption is doubtful, so treat the difference-in-differences "
        "with caution." + tail(drifting)
    )
    at_five = _event(0.05)  # p = 0.05 is not below 0.05: no clear sign
    assert at_five.summary() == (
        "Event study of calls: effects in 2 period(s) from launch range from 1.50 to 2.25. "
        "Before launch there is no clear sign of the groups drifting apart (joint test F = "
        "2.50, p = 0.050); this does not prove the trends would have stayed parallel."
        + tail(at_five)
    )
    single = _event(None, None)
    assert single.summary() == (
        "Event study of calls: effects in 2 period(s) from launch range from 1.50 to 2.25. "
        "There is only one period before launch, so parallel pre-trends cannot be tested."
        + tail(single)
    )
    assert np.isfinite(single.n)
