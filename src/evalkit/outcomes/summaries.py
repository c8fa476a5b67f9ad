"""Per-locality outcome summaries in one vectorised pass: indicators, d_z, reliable change.

Every group is computed by pandas group-by aggregations and vectorised interval routines, so
153 localities and a million records take seconds; the numbers equal those of the scalar
functions (:func:`~evalkit.outcomes.effect_size`, :func:`~evalkit.outcomes.reliable_change`,
:func:`~evalkit.outcomes.indicator_results`) applied to each group, which
``benchmarks/bench_outcomes.py`` checks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit._validate import require_columns, require_in_range, require_numeric
from evalkit.exceptions import DataError, ParameterError
from evalkit.outcomes._display import shown
from evalkit.outcomes._intervals import check_ci, noncentral_t_limits
from evalkit.outcomes.framework import Indicator, IndicatorRegister, indicator_results
from evalkit.outcomes.reliable_change import CATEGORIES, CRITERION, rc_categories

__all__ = ["outcome_summary"]


def _group_label(key: object, groups: list[str]) -> str:
    values = key if isinstance(key, tuple) else (key,)
    return ", ".join(f"{g}={shown(v)}" for g, v in zip(groups, values, strict=True))


def _change_columns(
    df: pd.DataFrame,
    groups: list[str],
    pre: str,
    post: str,
    *,
    sd: float,
    reliability: float,
    higher_is_better: bool,
    cutoff: float | None,
    ci: float,
) -> pd.DataFrame:
    x1 = require_numeric(df, pre, source="outcome_summary")
    x2 = require_numeric(df, post, source="outcome_summary")
    keep = (x1.notna() & x2.notna()).to_numpy()
    data = df.loc[keep, groups].copy()
    data["_change"] = (x2 - x1)[keep]
    s_diff = np.sqrt(2) * sd * np.sqrt(1 - reliability)
    _, _, category = rc_categories(
        x1[keep].to_numpy(),
        x2[keep].to_numpy(),
        s_diff,
        higher_is_better=higher_is_better,
        cutoff=cutoff,
    )
    for name in CATEGORIES:
        data[f"_{name}"] = category == name
    agg = {
        "n_pairs": ("_change", "size"),
        "mean_change": ("_change", "mean"),
        "sd_change": ("_change", "std"),
    }
    agg |= {f"rc_{name}": (f"_{name}", "sum") for name in CATEGORIES}
    table = data.groupby(groups, observed=True).agg(**agg)
    all_groups = df.groupby(groups, observed=True).size().index
    missing = all_groups.difference(table.index)
    if len(missing):
        raise DataError(
            f"group {_group_label(missing[0], groups)} has no person with both {pre!r} and "
            f"{post!r}; expected at least two pairs per group"
        )
    small = (table["n_pairs"] < 2) | ~(table["sd_change"] > 0)
    if small.any():
        key = small.idxmax()
        raise ParameterError(
            f"group {_group_label(key, groups)} has {int(table.at[key, 'n_pairs'])} complete "
            f"pair(s) of {pre!r}/{post!r} with change SD {shown(table.at[key, 'sd_change'])}; an "
            "effect size interval needs at least 2 pairs with some variation"
        )
    n = table["n_pairs"].to_numpy(float)
    d_z = (table["mean_change"] / table["sd_change"]).to_numpy()
    lo, hi = noncentral_t_limits(d_z * np.sqrt(n), n - 1, ci)
    table["d_z"] = d_z
    table["d_z_ci_low"] = lo / np.sqrt(n)
    table["d_z_ci_high"] = hi / np.sqrt(n)
    table["rc_threshold"] = CRITERION * s_diff
    for name in CATEGORIES:
        table[f"rc_{name}"] = table[f"rc_{name}"].astype(int)
    return table.drop(columns="sd_change")


def outcome_summary(
    df: pd.DataFrame,
    *,
    by: Sequence[str] | str,
    indicators: IndicatorRegister | Sequence[Indicator] | None = None,
    pre: str | None = None,
    post: str | None = None,
    sd: float | None = None,
    reliability: float | None = None,
    higher_is_better: bool = True,
    cutoff: float | None = None,
    ci: float = 0.95,
) -> pd.DataFrame:
    """One row per group of ``by``: indicators with Wilson intervals, d_z and reliable change.

    Parameters
    ----------
    df : DataFrame
        One row per person.
    by : str or sequence of str
        Grouping columns, e.g. ``"locality_code"``.
    indicators : IndicatorRegister or list of Indicator, optional
        Indicators to compute per group (as :func:`indicator_results`).
    pre, post : str, optional
        Score columns before and after (e.g. wellbeing). With them: ``n_pairs``,
        ``mean_change`` (raw points, post - pre), ``d_z`` with its noncentral-t interval
        (``d_z_ci_low``, ``d_z_ci_high``) and, when ``sd`` and ``reliability`` are given,
        Jacobson-Truax counts ``rc_recovered``, ``rc_improved``, ``rc_unchanged``,
        ``rc_deteriorated`` and ``rc_threshold``.
    sd, reliability, higher_is_better, cutoff
        As in :func:`reliable_change`.
    ci : float
        Confidence level of every interval.

    Returns
    -------
    DataFrame
        Indexed by ``by``. Indicator columns are ``"<name>: n"``, ``": rate"``, ``": ci_low"``,
        ``": ci_high"``, ``": met"``. ``attrs["method"]`` names every method used.
        Before/after change in these columns is change over time, not impact.
    """
    ci = check_ci(ci)
    groups = [by] if isinstance(by, str) else list(by)
    if not groups:
        raise ParameterError("by must name at least one grouping column; got an empty list")
    require_columns(df, groups, source="outcome_summary")
    if indicators is None and pre is None:
        raise ParameterError("outcome_summary needs indicators, or pre and post columns, or both")
    methods = []
    parts = []
    if pre is not None or post is not None:
        if pre is None or post is None:
            raise ParameterError(
                f"pre and post must be given together; got pre={pre!r}, post={post!r}"
            )
        if sd is None or reliability is None:
            raise ParameterError("sd and reliability are needed for the reliable change counts")
        sd = require_in_range("sd", sd, 0, np.inf, inclusive=(False, False))
        reliability = require_in_range(
            "reliability", reliability, 0.0, 1.0, inclusive=(False, False)
        )
        parts.append(
            _change_columns(
                df,
                groups,
                pre,
                post,
                sd=sd,
                reliability=reliability,
                higher_is_better=higher_is_better,
                cutoff=cutoff,
                ci=ci,
            )
        )
        methods.append(
            f"d_z = mean change / SD of changes with {ci:.0%} noncentral t interval; "
            "Jacobson and Truax (1991) reliable change, |RC| > 1.96"
        )
    if indicators is not None:
        tidy = indicator_results(df, indicators, by=groups, ci=ci)
        fields = {
            "n": "int64",
            "rate": "float64",
            "ci_low": "float64",
            "ci_high": "float64",
            "met": "boolean",
        }
        wide = pd.concat(
            {
                f: tidy.pivot(index=groups, columns="indicator", values=f).astype(t)
                for f, t in fields.items()
            },
            axis=1,
        )
        wide.columns = [f"{name}: {field}" for field, name in wide.columns]
        order = [f"{i.name}: {f}" for i in indicators for f in fields]
        parts.append(wide[order])
        methods.append(f"indicator rates with {ci:.0%} Wilson score intervals")
    table = pd.concat(parts, axis=1) if len(parts) > 1 else parts[0]
    table.attrs["method"] = "; ".join(methods)
    return table
