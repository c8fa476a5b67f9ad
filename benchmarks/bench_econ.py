"""Benchmark: vectorised Monte Carlo of the local cost-benefit model against appraise() per draw.

Model: 10 outcomes (two fiscal agencies each), 20-year horizon, three cohorts, two costs; every
outcome's success rate, deadweight, optimism bias and drop-off, the engagement rate and both cost
amounts are uncertain (43 parameters). The naive way sets each draw's parameters and calls
``appraise()`` (timed on a subset and scaled to the same number of draws); the evalkit way is one
call of ``monte_carlo``. Prints timings, their ratio and peak memory; writes nothing.

Run: .venv/bin/python benchmarks/bench_econ.py [draws] [naive_draws]
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc
import warnings

from scipy import stats

from evalkit.econ import CostBenefitModel, monte_carlo

N_OUTCOMES = 10
HORIZON = 20


def build_model() -> CostBenefitModel:
    outcomes = [
        {
            "name": f"outcome {i}",
            "success_rate": 0.2 + 0.03 * i,
            "deadweight": 0.3,
            "confidence_grade": 1 + i % 6,
            "lag_years": i % 3,
            "duration_years": 5 + i % 6,
            "drop_off": 0.1,
            "values": {
                "fiscal": [
                    {"agency": "Local authority", "amount": 1000 + 100 * i, "cashable": True},
                    {"agency": "NHS", "amount": 400, "cashable": False},
                ],
                "economic": 500,
                "social": 800,
            },
        }
        for i in range(N_OUTCOMES)
    ]
    return CostBenefitModel.from_dict(
        {
            "price_year": 2024,
            "discount": "standard",
            "horizon_years": HORIZON,
            "cohorts": [{"year": y, "size": 300} for y in range(3)],
            "engagement_rate": 0.7,
            "costs": [
                {"name": "delivery", "year": 0, "amount": 3_000_000, "optimism_bias": 0.1},
                {"name": "running", "year": 1, "amount": 2_000_000, "confidence_grade": 2},
            ],
            "outcomes": outcomes,
        }
    )


def distributions(model: CostBenefitModel) -> dict:
    dists = {"engagement_rate": stats.beta(70, 30)}
    for i in range(N_OUTCOMES):
        name = f"outcome {i}"
        dists[f"{name}.success_rate"] = stats.uniform(0.1, 0.4)
        dists[f"{name}.deadweight"] = stats.beta(3, 7)
        dists[f"{name}.optimism_bias"] = stats.uniform(0.0, 0.4)
        dists[f"{name}.drop_off"] = stats.beta(2, 12)
    dists["delivery.amount"] = stats.uniform(2_500_000, 1_000_000)
    dists["running.amount"] = stats.uniform(1_500_000, 1_000_000)
    return dists


def main(n: int = 100_000, naive_n: int = 500) -> None:
    model = build_model()
    dists = distributions(model)
    monte_carlo(model, dists, n=1000, seed=0)  # warm-up (imports, caches)

    tracemalloc.start()
    start = time.perf_counter()
    mc = monte_carlo(model, dists, n=n, seed=1)
    vectorised = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    draws = mc.samples[list(dists)].head(naive_n).to_dict("records")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        for draw in draws:
            model.with_params(draw).appraise()
        naive_per_draw = (time.perf_counter() - start) / len(draws)
        start = time.perf_counter()
        for _ in draws:
            model.appraise()
        appraise_only = (time.perf_counter() - start) / len(draws)

    naive_total = naive_per_draw * n
    print(f"model: {N_OUTCOMES} outcomes x {HORIZON} years, {len(dists)} uncertain parameters")
    print(f"monte_carlo (vectorised), {n:,} draws: {vectorised:.3f} s")
    print(
        f"naive: with_params(draw).appraise() per draw: {naive_per_draw * 1e3:.2f} ms/draw "
        f"(timed on {len(draws)} draws) -> {naive_total:.1f} s for {n:,} draws"
    )
    print(
        f"  appraise() alone (no re-validation): {appraise_only * 1e3:.2f} ms/draw -> "
        f"{appraise_only * n:.1f} s for {n:,} draws"
    )
    print(
        f"speed-up: {naive_total / vectorised:.0f}x (vs appraise alone: "
        f"{appraise_only * n / vectorised:.0f}x)"
    )
    print(
        f"peak traced memory during monte_carlo: {peak / 2**20:.0f} MiB; "
        f"process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    print(
        f"check: P(financial ROI < 1) = {mc.prob_roi_below_1:.3f}, median ROI "
        f"{mc.financial_roi_median:.3f}"
    )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
