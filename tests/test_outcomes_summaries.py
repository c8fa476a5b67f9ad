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
