"""Benchmark: per-locality outcome summaries for 1,000,000 service users in 153 localities.

Times :func:`evalkit.outcomes.outcome_summary` (group-by aggregations and vectorised intervals)
against a naive ``groupby().apply()`` that calls the scalar functions for each locality, checks
that both give the same numbers, and prints both timings, their ratio and peak memory.
Target: under 10 s and under 2 GB on 2 cores. Prints only; writes nothing.

    .venv/bin/python benchmarks/bench_outcomes.py [--n 1000000] [--seed 1]
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd

from evalkit.outcomes import (
    IndicatorRegister,
    effect_size,
    indicator_results,
    outcome_summary,
    reliable_change,
)
from evalkit.reference import localities

REGISTER = IndicatorRegister.from_dict(
    {
        "indicators": [
            {
                "name": "Stable housing",
                "definition": "in stable housing after support",
                "column": "stable_housing_after",
                "baseline_column": "stable_housing_before",
                "target": 0.6,
            },
            {
                "name": "No police call-outs",
                "definition": "no call-out in the year after",
                "column": "police_callouts_after",
                "polarity": "lower_is_better",
                "unit": "count",
                "threshold": 0,
                "target": 0.5,
            },
            {
                "name": "School attendance",
                "definition": "attendance of 90% or more",
                "column": "school_attendance_90_after",
                "target": 0.7,
            },
            {
                "name": "Good wellbeing",
                "definition": "SWEMWBS raw 21 or more at the end",
                "column": "wellbeing_end",
                "unit": "score",
                "threshold": 21,
            },
        ]
    }
)
CHANGE = {"pre": "wellbeing_start", "post": "wellbeing_end", "sd": 4.0, "reliability": 0.84}


def synthetic_records(n: int, seed: int) -> pd.DataFrame:
    """n service users spread over the 153 English upper-tier localities."""
    rng = np.random.default_rng(seed)
    codes = localities()["code"].to_numpy()
    locality = rng.integers(0, len(codes), n)
    effect = rng.normal(1.5, 1.0, len(codes))[locality]
    start = np.clip(np.rint(rng.normal(19, 4, n)), 7, 35)
    end = np.clip(np.rint(start + effect + rng.normal(0, 3.5, n)), 7, 35)
    end[rng.random(n) < 0.1] = np.nan
    school = (rng.random(n) < 0.65).astype(float)
    school[rng.random(n) < 0.3] = np.nan
    return pd.DataFrame(
        {
            "locality_code": pd.Categorical.from_codes(locality, categories=codes),
            "wellbeing_start": start,
            "wellbeing_end": end,
            "stable_housing_before": (rng.random(n) < 0.55).astype(np.int8),
            "stable_housing_after": (rng.random(n) < 0.65).astype(np.int8),
            "police_callouts_after": rng.poisson(0.7, n).astype(np.int16),
            "school_attendance_90_after": school,
        }
    )


def naive_one_locality(group: pd.DataFrame) -> pd.Series:
    """Everything outcome_summary computes, for one locality, with the scalar functions."""
    es = effect_size(group[CHANGE["pre"]], group[CHANGE["post"]], kind="d_z")
    rc = reliable_change(
        group[CHANGE["pre"]],
        group[CHANGE["post"]],
        sd=CHANGE["sd"],
        reliability=CHANGE["reliability"],
    )
    row = {
        "n_pairs": es.n,
        "mean_change": es.mean_difference,
        "d_z": es.estimate,
        "d_z_ci_low": es.ci_low,
        "d_z_ci_high": es.ci_high,
        "rc_threshold": rc.threshold,
    }
    row |= {f"rc_{k}": v for k, v in rc.counts.items()}
    for ind in indicator_results(group, REGISTER).itertuples():
        row |= {
            f"{ind.indicator}: n": ind.n,
            f"{ind.indicator}: rate": ind.rate,
            f"{ind.indicator}: ci_low": ind.ci_low,
            f"{ind.indicator}: ci_high": ind.ci_high,
        }
    return pd.Series(row, dtype=float)


def fast(df: pd.DataFrame) -> pd.DataFrame:
    return outcome_summary(df, by="locality_code", indicators=REGISTER, **CHANGE)


def naive(df: pd.DataFrame) -> pd.DataFrame:
    return df.groupby("locality_code", observed=True).apply(naive_one_locality)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="service-user records")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    t0 = time.perf_counter()
    df = synthetic_records(args.n, args.seed)
    print(
        f"built {len(df):,} records in {df['locality_code'].nunique()} localities "
        f"({time.perf_counter() - t0:.1f} s)"
    )

    t0 = time.perf_counter()
    quick = fast(df)
    t_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    slow = naive(df)
    t_naive = time.perf_counter() - t0

    common = slow.columns.intersection(quick.columns)
    assert len(common) == slow.shape[1], "outcome_summary lacks columns the naive way computes"
    np.testing.assert_allclose(
        quick.loc[slow.index, common].to_numpy(float),
        slow[common].to_numpy(float),
        rtol=1e-9,
        atol=1e-12,
    )
    assert len(quick) == 153

    tracemalloc.start()
    fast(df)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux

    print(f"outcome_summary (vectorised):      {t_fast:6.2f} s")
    print(f"naive groupby().apply() of scalars: {t_naive:6.2f} s")
    print(f"ratio naive / vectorised:           {t_naive / t_fast:6.1f} x")
    print(
        f"peak memory: {traced_peak / 2**20:,.0f} MiB allocated by outcome_summary (tracemalloc); "
        f"{peak_rss:,.0f} MiB peak resident for the whole run"
    )
    print(f"results agree: {len(common)} columns x {len(quick)} localities (rtol 1e-9)")
    print("target: < 10 s and < 2 GB:", "met" if t_fast < 10 and peak_rss < 2048 else "NOT met")


if __name__ == "__main__":
    main()
