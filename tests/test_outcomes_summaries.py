"""Per-locality summaries agree with the scalar functions; the demo's planted changes come back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit.exceptions import DataError, ParameterError
from evalkit.outcomes import (
    IndicatorRegister,
    distance_travelled,
    effect_size,
    indicator_results,
    outcome_summary,
    reliable_change,
)

REGISTER = IndicatorRegister.from_dict(
    {
        "indicators": [
            {
                "name": "Housed",
                "definition": "stable housing after",
                "column": "housed",
                "target": 0.5,
            },
            {
                "name": "Wellbeing 21+",
                "definition": "SWEMWBS raw 21 or more at the end",
                "column": "post",
                "unit": "score",
                "threshold": 21,
            },
        ]
    }
)
RC = {"sd": 4.0, "reliability": 0.84}


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 3000
    locality = rng.choice(["E08000012", "E08000011", "E06000017", "E10000008"], n)
    pre = np.clip(np.rint(rng.normal(19, 4, n)), 7, 35)
    post = np.clip(np.rint(pre + rng.normal(1.5, 3.5, n)), 7, 35)
    post[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "locality_code": locality,
            "pre": pre,
            "post": post,
            "housed": (rng.random(n) < 0.55).astype(int),
        }
    )


def test_summary_agrees_with_scalar_functions(records):
    summary = outcome_summary(
        records, by="locality_code", indicators=REGISTER, pre="pre", post="post", **RC
    )
    assert len(summary) == 4
    for code, group in records.groupby("locality_code"):
        row = summary.loc[code]
        es = effect_size(group["pre"], group["post"], kind="d_z")
        assert row["n_pairs"] == es.n
        assert row["mean_change"] == pytest.approx(es.mean_difference)
        assert (row["d_z"], row["d_z_ci_low"], row["d_z_ci_high"]) == pytest.approx(
            (es.estimate, es.ci_low, es.ci_high), rel=1e-9
        )
        rc = reliable_change(group["pre"], group["post"], **RC)
        assert {k: row[f"rc_{k}"] for k in rc.counts} == rc.counts
        assert row["rc_threshold"] == pytest.approx(rc.threshold)
        ind = indicator_results(group, REGISTER).set_index("indicator")
        for name in ("Housed", "Wellbeing 21+"):
            assert row[f"{name}: rate"] == pytest.approx(ind.loc[name, "rate"])
            assert row[f"{name}: ci_low"] == pytest.approx(ind.loc[name, "ci_low"])
            assert row[f"{name}: n"] == ind.loc[name, "n"]
    assert "Wilson" in summary.attrs["method"] and "d_z" in summary.attrs["method"]


def test_summary_parts_are_optional(records):
    only_indicators = outcome_summary(records, by=["locality_code"], indicators=REGISTER)
    assert "d_z" not in only_indicators.columns
    only_change = outcome_summary(records, by="locality_code", pre="pre", post="post", **RC)
    assert "Housed: rate" not in only_change.columns


def test_summary_bad_input(records):
    with pytest.raises(ParameterError, match="needs indicators, or pre and post"):
        outcome_summary(records, by="locality_code")
    with pytest.raises(DataError, match=r"missing column.*'region'"):
        outcome_summary(records, by="region", indicators=REGISTER)
    with pytest.raises(ParameterError, match=r"reliability must lie in \(0.0, 1.0\); got 1.3"):
        outcome_summary(records, by="locality_code", pre="pre", post="post", sd=4, reliability=1.3)
    gap = records.copy()
    gap.loc[gap.locality_code == "E06000017", "post"] = np.nan
    with pytest.raises(DataError, match=r"group locality_code='E06000017' has no person"):
        outcome_summary(gap, by="locality_code", pre="pre", post="post", **RC)
    tiny = pd.concat(
        [
            records,
            pd.DataFrame(
                {"locality_code": ["E09000001"], "pre": [10.0], "post": [12.0], "housed": [1]}
            ),
        ]
    )
    with pytest.raises(ParameterError, match=r"E09000001' has 1 complete pair"):
        outcome_summary(tiny, by="locality_code", pre="pre", post="post", **RC)
    text = records.astype({"pre": object})
    text.loc[5, "pre"] = "n/a"
    with pytest.raises(DataError, match=r"column 'pre'.*row 5: value 'n/a' is not a number"):
        outcome_summary(text, by="locality_code", pre="pre", post="post", **RC)


# ---- the demo data's planted effects -------------------------------------------------------


@pytest.fixture(scope="module")
def demo():
    from evalkit.demo import generate

    return generate(seed=2024)


def test_demo_wellbeing_change_per_locality(demo):
    # Participants' before/after change = comparison change + locality effect (demo contract).
    # Tolerance: 3.5 standard errors of each locality's mean change (sampling error only).
    truth = demo.truth
    people = demo.service_users[demo.service_users["group"] == "participant"]
    summary = outcome_summary(
        people, by="locality_code", pre="wellbeing_start", post="wellbeing_end", **RC
    )
    change = people["wellbeing_end"] - people["wellbeing_start"]
    sd = change.groupby(people["locality_code"]).std()
    for code, row in summary.iterrows():
        expected = (
            truth["wellbeing_comparison_change"] + truth["localities"][code]["wellbeing_effect"]
        )
        se = sd[code] / np.sqrt(row["n_pairs"])
        assert abs(row["mean_change"] - expected) < 3.5 * se, code


def test_demo_distance_travelled_per_locality(demo):
    # Each area gains distance_effect points from first to last review (before clipping to
    # 1-10); tolerance: the 99.95% t quantile (n - 1 df) times the standard error of each
    # locality's mean change (t, not 3.5, because tiny Rutland has only 6 people).
    areas = [c for c in demo.reviews.columns if c.startswith("area_")]
    result = distance_travelled(
        demo.reviews, areas=areas, by="locality_code", date="review_date", order="review_number"
    )
    people = result.people[result.people["n_reviews"] >= 2]
    sd = people.groupby("locality_code")["change"].std()
    for code, row in result.groups.iterrows():
        expected = demo.truth["localities"][code]["distance_effect"]
        se = sd[code] / np.sqrt(row["n_people"])
        t = stats.t.ppf(0.9995, row["n_people"] - 1)
        assert abs(row["mean_change"] - expected) < t * se, code


# --- pinned by hand (mutation testing, issue 17) ---------------------------------------------------


def _nct_limits(t_obs: float, df: int, level: float) -> tuple[float, float]:
    """Noncentrality limits by root-finding on scipy's noncentral t (Steiger and Fouladi 1997)."""
    from scipy.optimize import brentq

    def gap(ncp: float, p: float) -> float:
        return stats.nct.cdf(t_obs, df, ncp) - p

    return (
        brentq(gap, t_obs - 50, t_obs + 50, args=((1 + level) / 2,), xtol=1e-14),
        brentq(gap, t_obs - 50, t_obs + 50, args=((1 - level) / 2,), xtol=1e-14),
    )


@pytest.fixture
def small() -> pd.DataFrame:
    # region N (team a): changes 13-10 = 3, 12-12 = 0, 20-14 = 6: mean 3, SD 3, d_z = 1.
    # region S (team b): changes 1 and 2: mean 1.5, SD sqrt(0.5), d_z = 1.5 / sqrt(0.5).
    return pd.DataFrame(
        {
            "region": pd.Categorical(["N", "N", "N", "S", "S"], categories=["N", "S", "W"]),
            "team": ["a", "a", "a", "b", "b"],
            "pre": [10.0, 12.0, 14.0, 20.0, 20.0],
            "post": [13.0, 12.0, 20.0, 21.0, 22.0],
            "housed": [1, 0, 1, 1, 1],
        }
    )


def test_small_summary_by_hand(small):
    # sd = 2, r = 0.5: S_diff = sqrt(2) x 2 x sqrt(0.5) = 2, threshold 3.92. With cut-off 15:
    # N: +3 unchanged, 0 unchanged, 14 -> 20 (+6, crosses 15) recovered; S: +1, +2 unchanged.
    # Housed: N 2 of 3, S 2 of 2, with 90% Wilson intervals from statsmodels.
    from statsmodels.stats.proportion import proportion_confint

    register = IndicatorRegister.from_dict(
        [{"name": "Housed", "definition": "housed", "column": "housed", "target": 0.7}]
    )
    table = outcome_summary(
        small,
        by=["region", "team"],
        indicators=register,
        pre="pre",
        post="post",
        sd=2,
        reliability=0.5,
        cutoff=15,
        ci=0.9,
    )
    assert list(table.index) == [("N", "a"), ("S", "b")]  # the empty category W is not a group
    assert table["n_pairs"].tolist() == [3, 2]
    assert table["mean_change"].tolist() == [3.0, 1.5]
    for key, n, d_z in ((("N", "a"), 3, 1.0), (("S", "b"), 2, 1.5 / np.sqrt(0.5))):
        low, high = _nct_limits(d_z * np.sqrt(n), n - 1, 0.9)
        assert table.loc[key, "d_z"] == pytest.approx(d_z, rel=1e-12)
        assert table.loc[key, "d_z_ci_low"] == pytest.approx(low / np.sqrt(n), rel=1e-8)
        assert table.loc[key, "d_z_ci_high"] == pytest.approx(high / np.sqrt(n), rel=1e-8)
    assert table["rc_recovered"].tolist() == [1, 0]
    assert table["rc_improved"].tolist() == [0, 0]
    assert table["rc_unchanged"].tolist() == [2, 2]
    assert table["rc_deteriorated"].tolist() == [0, 0]
    assert table["rc_threshold"].tolist() == pytest.approx([3.92, 3.92], rel=1e-12)
    for k in ("recovered", "improved", "unchanged", "deteriorated"):
        assert table[f"rc_{k}"].dtype == np.int64
    low, high = proportion_confint([2, 2], [3, 2], alpha=0.1, method="wilson")
    assert table["Housed: n"].tolist() == [3, 2] and table["Housed: n"].dtype == np.int64
    assert table["Housed: rate"].tolist() == pytest.approx([2 / 3, 1.0])
    assert table["Housed: ci_low"].tolist() == pytest.approx(list(low), rel=1e-10)
    assert table["Housed: ci_high"].tolist() == pytest.approx(list(high), rel=1e-10)
    assert table["Housed: met"].tolist() == [False, True]
    assert str(table["Housed: met"].dtype) == "boolean"
    assert table.attrs["method"] == (
        "d_z = mean change / SD of changes with 90% noncentral t interval; Jacobson and Truax "
        "(1991) reliable change, |RC| > 1.96; indicator rates with 90% Wilson score intervals"
    )


def test_two_pairs_with_some_variation_are_enough(small):
    # S has exactly two pairs and a change SD of sqrt(0.5) < 1: it is summarised.
    table = outcome_summary(small, by="team", pre="pre", post="post", sd=2, reliability=0.5)
    assert table.loc["b", "n_pairs"] == 2 and table.loc["b", "d_z"] > 0


def test_small_summary_messages(small):
    flat = small.assign(post=[13.0, 12.0, 20.0, 21.0, 21.0])  # S: changes 1 and 1, SD 0
    with pytest.raises(
        ParameterError,
        match=r"^group region='S', team='b' has 2 complete pair\(s\) of 'pre'/'post' with "
        r"change SD 0.0; an effect size interval needs at least 2 pairs with some variation$",
    ):
        outcome_summary(flat, by=["region", "team"], pre="pre", post="post", sd=2, reliability=0.5)
    with pytest.raises(
        ParameterError, match=r"^by must name at least one grouping column; got an empty list$"
    ):
        outcome_summary(small, by=[], pre="pre", post="post", sd=2, reliability=0.5)
    with pytest.raises(DataError, match=r"missing column\(s\) 'x' in outcome_summary; expected"):
        outcome_summary(small, by="x", pre="pre", post="post", sd=2, reliability=0.5)
    with pytest.raises(
        ParameterError,
        match=r"^outcome_summary needs indicators, or pre and post columns, or both$",
    ):
        outcome_summary(small, by="team")
    register = IndicatorRegister.from_dict(
        [{"name": "Housed", "definition": "housed", "column": "housed"}]
    )
    with pytest.raises(
        ParameterError, match=r"^pre and post must be given together; got pre='pre', post=None$"
    ):
        outcome_summary(small, by="team", indicators=register, pre="pre", sd=2, reliability=0.5)
    with pytest.raises(
        ParameterError, match=r"^pre and post must be given together; got pre=None, post='post'$"
    ):
        outcome_summary(small, by="team", indicators=register, post="post", sd=2, reliability=0.5)
    with pytest.raises(
        ParameterError,
        match=r"^sd and reliability are needed for the reliable change counts$",
    ):
        outcome_summary(small, by="team", pre="pre", post="post", sd=2)
    with pytest.raises(
        ParameterError,
        match=r"^sd and reliability are needed for the reliable change counts$",
    ):
        outcome_summary(small, by="team", pre="pre", post="post", reliability=0.5)
    assert outcome_summary(small, by="team", pre="pre", post="post", sd=0.5, reliability=0.5)[
        "rc_threshold"
    ].tolist() == pytest.approx([0.98, 0.98])  # 1.96 x sqrt(2) x 0.5 x sqrt(0.5)
    for bad in (0, np.inf):
        with pytest.raises(ParameterError, match=rf"^sd must lie in \(0, inf\); got {bad}$"):
            outcome_summary(small, by="team", pre="pre", post="post", sd=bad, reliability=0.5)
    words = small.astype({"post": object})
    words.loc[1, "post"] = "n/a"
    with pytest.raises(
        DataError, match=r"^column 'post' in outcome_summary, row 1: value 'n/a' is not a number"
    ):
        outcome_summary(words, by="team", pre="pre", post="post", sd=2, reliability=0.5)
    words = small.astype({"pre": object})
    words.loc[1, "pre"] = "n/a"
    with pytest.raises(
        DataError, match=r"^column 'pre' in outcome_summary, row 1: value 'n/a' is not a number"
    ):
        outcome_summary(words, by="team", pre="pre", post="post", sd=2, reliability=0.5)


def test_whole_number_group_keys_are_shown_plainly(small):
    # groups keyed by whole numbers are named as the user wrote them (2, not np.int64(2))
    flat = small.assign(band=[1, 1, 1, 2, 2], post=[13.0, 12.0, 20.0, 21.0, 21.0])
    with pytest.raises(ParameterError, match=r"^group band=2 has 2 complete pair\(s\)"):
        outcome_summary(flat, by="band", pre="pre", post="post", sd=2, reliability=0.5)
