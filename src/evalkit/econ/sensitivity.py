"""Sensitivity analysis of a :class:`~evalkit.econ.cba.CostBenefitModel`.

Every function runs the model's one vectorised core over a batch of parameter sets:
:func:`one_way` (tornado data), :func:`switching_values` (the parameter value at which the return
falls to a target, by root-finding), :func:`scenarios` and :func:`monte_carlo`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit._results import Result
from evalkit._validate import require_choice
from evalkit.econ.cba import METRICS, CostBenefitModel
from evalkit.exceptions import EvidenceWarning, ParameterError

__all__ = [
    "PERCENTILES",
    "MonteCarloResult",
    "monte_carlo",
    "one_way",
    "scenarios",
    "switching_values",
]

#: The percentiles reported by :func:`monte_carlo`.
PERCENTILES = (5, 25, 50, 75, 95)


def _metric(name: str) -> str:
    return require_choice("metric", name, [m for m in METRICS if m != "payback_years"])


def one_way(
    model: CostBenefitModel,
    ranges: Mapping[str, tuple[float, float]],
    *,
    metric: str = "financial_roi",
) -> pd.DataFrame:
    """One-way sensitivity: vary each parameter alone between a low and a high value.

    Parameters
    ----------
    model
        The model.
    ranges
        Parameter key -> (low, high), e.g. ``{"engagement_rate": (0.6, 0.9)}``.
    metric
        The output to report (default the financial return on investment).

    Returns
    -------
    pandas.DataFrame
        One row per parameter, sorted by ``swing`` (largest first: the tornado order), with
        columns ``parameter``, ``base_value``, ``low_value``, ``high_value``, ``base``,
        ``at_low``, ``at_high``, ``swing`` (|at_high - at_low|) and ``metric``.
    """
    _metric(metric)
    if not ranges:
        raise ParameterError("ranges must name at least one parameter with (low, high) values")
    base_params = model.parameters()
    keys = list(ranges)
    model.check_parameters(keys)
    overrides: dict[str, np.ndarray] = {}
    n = 2 * len(keys) + 1  # draw 0 is the base case
    for i, key in enumerate(keys):
        pair = ranges[key]
        if not isinstance(pair, Sequence) or len(pair) != 2:
            raise ParameterError(f"ranges[{key!r}] must be (low, high); got {pair!r}")
        column = np.full(n, base_params[key])
        column[1 + 2 * i : 3 + 2 * i] = pair
        overrides[key] = column
    values = model.evaluate(overrides)[metric]
    rows = [
        {
            "parameter": key,
            "base_value": base_params[key],
            "low_value": float(ranges[key][0]),
            "high_value": float(ranges[key][1]),
            "base": float(values[0]),
            "at_low": float(values[1 + 2 * i]),
            "at_high": float(values[2 + 2 * i]),
        }
        for i, key in enumerate(keys)
    ]
    table = pd.DataFrame(rows)
    table["swing"] = (table["at_high"] - table["at_low"]).abs()
    table["metric"] = metric
    return table.sort_values("swing", ascending=False, ignore_index=True)


def switching_values(
    model: CostBenefitModel,
    parameters: Sequence[str] | None = None,
    *,
    metric: str = "financial_roi",
    target: float = 1.0,
    bounds: Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """The value of each parameter at which ``metric`` falls (or rises) to ``target``.

    Parameters
    ----------
    model
        The model.
    parameters
        Parameter keys; default every parameter of the model.
    metric, target
        The output and the value to reach: default the financial return and 1 (break-even).
    bounds
        Search range per parameter; default [0, 1] for shares and (0, 100 x base] for amounts.

    Returns
    -------
    pandas.DataFrame
        ``parameter``, ``base_value``, ``switching_value`` (NaN when the target is not reached
        inside the range), ``change`` (switching - base), ``change_pct`` and ``note``.

    Notes
    -----
    Brent's method on :math:`f(x) = metric(x) - target` within the bounds, holding every other
    parameter at its base value (Brent 1973, *Algorithms for Minimization without Derivatives*).
    """
    _metric(metric)
    base_params = model.parameters()
    keys = list(parameters) if parameters is not None else list(base_params)
    model.check_parameters(keys)
    bounds = dict(bounds or {})
    rows = []
    for key in keys:
        if key in bounds:
            lo, hi = bounds[key]
        elif key.endswith(".amount"):  # a cost of 0 has no return: search (0, 100 x base]
            lo, hi = 1e-6 * base_params[key], 100.0 * base_params[key]
        else:
            lo, hi = model.parameter_bounds(key)

        def gap(x: float, key: str = key) -> float:
            return float(model.evaluate({key: x})[metric][0]) - target

        ends = model.evaluate({key: np.array([lo, hi])})[metric] - target
        base = base_params[key]
        if np.sign(ends[0]) == np.sign(ends[1]) and ends[0] != 0:
            value, note = (
                np.nan,
                f"{metric} stays {'above' if ends[0] > 0 else 'below'} "
                f"{target:g} for {key} between {lo:g} and {hi:g}",
            )
        else:
            # imported here: scipy.optimize takes a quarter of a second, and every evalkit
            # command imports this package through the programme spec's cost-benefit section
            from scipy.optimize import brentq

            value = float(brentq(gap, lo, hi, xtol=1e-10))
            note = f"{metric} reaches {target:g} when {key} is {value:.4g} (base {base:.4g})"
        change = value - base
        rows.append(
            {
                "parameter": key,
                "base_value": base,
                "switching_value": value,
                "change": change,
                "change_pct": change / base * 100 if base else np.nan,
                "note": note,
            }
        )
    return pd.DataFrame(rows)


def scenarios(
    model: CostBenefitModel,
    cases: Mapping[str, Mapping[str, float]],
    *,
    include_base: bool = True,
) -> pd.DataFrame:
    """Named scenarios, each a set of parameter values; one row of outputs per scenario.

    Examples
    --------
    ``scenarios(model, {"pessimistic": {"engagement_rate": 0.5}, "optimistic": {...}})``
    """
    names = (["base"] if include_base else []) + list(cases)
    if not cases and not include_base:
        raise ParameterError("cases must name at least one scenario")
    keys = sorted({k for case in cases.values() for k in case})
    model.check_parameters(keys)
    base_params = model.parameters()
    overrides = {
        k: np.array(
            ([base_params[k]] if include_base else [])
            + [c.get(k, base_params[k]) for c in cases.values()]
        )
        for k in keys
    }
    out = model.evaluate(overrides)
    n = len(names)
    table = pd.DataFrame({"scenario": names})
    for key in keys:
        table[key] = overrides[key]
    for metric in METRICS:
        table[metric] = np.broadcast_to(out[metric], (n,))
    return table


@dataclass(frozen=True)
class MonteCarloResult(Result):
    """Draws of the model's outputs under parameter uncertainty.

    ``samples`` has one row per draw: the sampled parameters, then every output of
    :data:`~evalkit.econ.cba.METRICS`. ``percentiles`` has a row per output and a column per
    percentile. ``prob_roi_below_1`` is the share of draws whose financial return is below 1.
    """

    n: int
    seed: int | None
    prob_roi_below_1: float
    prob_public_value_roi_below_1: float
    prob_never_pays_back: float
    financial_roi_median: float
    financial_roi_ci_low: float
    financial_roi_ci_high: float
    basis: str
    method: str
    samples: pd.DataFrame
    percentiles: pd.DataFrame

    def summary(self) -> str:
        """The spread of the returns in plain English."""
        return (
            f"Monte Carlo simulation with {self.n:,} draws (seed {self.seed}) of the uncertain "
            f"parameters ({self.method}). The financial return has a median of "
            f"£{self.financial_roi_median:.2f} per £1, and 90% of draws lie between "
            f"£{self.financial_roi_ci_low:.2f} and £{self.financial_roi_ci_high:.2f}. "
            f"In {self.prob_roi_below_1:.0%} of draws public budgets get back less than they "
            f"spend (return below 1); in {self.prob_public_value_roi_below_1:.0%} the public "
            f"value return is below 1; in {self.prob_never_pays_back:.0%} the costs are not paid "
            "back within the horizon. These ranges reflect only the parameters given "
            "distributions, not doubts about the model itself."
            + (
                " The benefits are GROSS (no deadweight): they include what would have happened "
                "anyway."
                if self.basis == "gross"
                else ""
            )
        )


def monte_carlo(
    model: CostBenefitModel,
    distributions: Mapping[str, Any],
    n: int = 10_000,
    seed: int | None = None,
) -> MonteCarloResult:
    """Probabilistic sensitivity analysis: draw the uncertain parameters, run the model once
    over all draws (vectorised).

    Parameters
    ----------
    model
        The model.
    distributions
        Parameter key -> a frozen ``scipy.stats`` distribution, e.g.
        ``{"engagement_rate": stats.beta(30, 10), "<outcome>.success_rate": stats.uniform(0.3, 0.2),
        "<cost>.amount": stats.norm(250_000, 20_000)}``. Draws outside a parameter's range
        ([0, 1] for shares, >= 0 for amounts) are an error: truncate the distribution.
    n
        Number of draws.
    seed
        Seed of the random generator (draws are reproducible for a given seed).

    Returns
    -------
    MonteCarloResult
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ParameterError(f"n must be a whole number of draws >= 1; got {n!r}")
    if not distributions:
        raise ParameterError("distributions must map at least one parameter to a distribution")
    model.check_parameters(distributions)
    rng = np.random.default_rng(seed)
    draws: dict[str, np.ndarray] = {}
    for key, dist in distributions.items():
        if not hasattr(dist, "rvs") or not hasattr(dist, "dist"):
            raise ParameterError(
                f"distributions[{key!r}] must be a frozen scipy.stats distribution such as "
                f"stats.beta(8, 12); got {dist!r}"
            )
        draws[key] = np.asarray(dist.rvs(size=int(n), random_state=rng), dtype=float)
    out = model.evaluate(draws)
    deadweights = [k for k in model.parameters() if k.endswith(".deadweight")]
    gross = all(model.parameters()[k] == 0 and k not in draws for k in deadweights)
    if gross:
        warnings.warn(
            "every outcome has deadweight 0: the simulated benefits are GROSS, not the "
            "programme's impact",
            EvidenceWarning,
            stacklevel=2,
        )
    samples = pd.DataFrame(draws)
    for metric in METRICS:
        samples[metric] = np.broadcast_to(out[metric], (int(n),))
    summarised = [m for m in METRICS if m != "payback_years"]  # NaN = never pays back
    pct = samples[summarised].quantile([p / 100 for p in PERCENTILES]).T
    pct.columns = [f"p{p}" for p in PERCENTILES]
    pct.index.name = "output"
    roi = samples["financial_roi"].to_numpy()
    return MonteCarloResult(
        n=int(n),
        seed=seed,
        prob_roi_below_1=float(np.mean(roi < 1)),
        prob_public_value_roi_below_1=float(np.mean(samples["public_value_roi"] < 1)),
        prob_never_pays_back=float(np.mean(np.isnan(samples["payback_years"]))),
        financial_roi_median=float(np.median(roi)),
        financial_roi_ci_low=float(np.percentile(roi, 5)),
        financial_roi_ci_high=float(np.percentile(roi, 95)),
        basis="gross" if gross else "net of deadweight",
        method="independent draws of "
        + ", ".join(f"{k} ~ {d.dist.name}" for k, d in distributions.items()),
        samples=samples,
        percentiles=pct,
    )
