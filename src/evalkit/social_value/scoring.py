"""Bid scoring: proportional social value points, lowest-price points, combined scores at the
commissioner's weightings, and how the ranking moves with the social value weighting.

PPN 002 (Procurement Policy Note 002, 2024/25, under the Procurement Act 2023) asks central
government buyers to give social value at least 10% of the total score; below that a
:class:`SocialValueWeightingWarning` is issued. Local authorities are not bound by the note, but
it is the usual benchmark.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from evalkit._results import Result
from evalkit._validate import require_choice, require_columns, require_in_range
from evalkit.exceptions import ParameterError
from evalkit.social_value.value import SocialValueResult

__all__ = [
    "MIN_SOCIAL_VALUE_WEIGHT",
    "BidScores",
    "ProportionalScores",
    "SocialValueWeightingWarning",
    "WeightingSensitivity",
    "combined_scores",
    "lowest_price_scores",
    "proportional_scores",
    "weighting_sensitivity",
]

#: The minimum social value weighting PPN 002 (2024/25) asks central government buyers to use.
MIN_SOCIAL_VALUE_WEIGHT = 0.10
_WEIGHTS = ("price", "quality", "social_value")
Basis = Literal["gross", "net"]


class SocialValueWeightingWarning(UserWarning):
    """Social value is weighted below the 10% that PPN 002 asks central government to apply."""


@dataclass(frozen=True)
class ProportionalScores(Result):
    """Points for each bid in proportion to the best bid: ``points``, with the values scored."""

    values: pd.Series
    points: pd.Series
    max_points: float
    best: float
    note: str
    method: str

    def to_frame(self) -> pd.DataFrame:
        """The value and points of each bid."""
        return pd.DataFrame({"value": self.values, "points": self.points})

    def summary(self) -> str:
        """How the points were worked out."""
        return f"{self.method}. {self.note}".strip()


def _series(values: Sequence[float] | pd.Series | Mapping, name: str) -> pd.Series:
    if isinstance(values, Mapping):
        values = pd.Series(values, dtype=object)
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if series.empty:
        raise ParameterError(f"{name} must hold at least one bid; got none")
    numbers = pd.to_numeric(series, errors="coerce").astype(float)
    bad = numbers.isna()
    if bad.any():
        label = series.index[bad.to_numpy().argmax()]
        raise ParameterError(
            f"{name}[{label!r}] is {series[label]!r}; expected a number for every bid"
        )
    return numbers


def proportional_scores(
    values: Sequence[float] | pd.Series | Mapping, max_points: float
) -> ProportionalScores:
    """Points in proportion to the best bid: ``max_points x value / best value``.

    Parameters
    ----------
    values
        Each bid's value (social value in pounds, say), as a sequence, Series or mapping; labels
        are kept.
    max_points
        The points of the best bid (> 0).

    Returns
    -------
    ProportionalScores
        ``points`` labelled as ``values``. Equal values get equal points. When every value is
        zero every bid scores 0 and ``note`` says so (there is no best bid to divide by).

    Raises
    ------
    ParameterError
        A missing or non-numeric value, a negative value (naming the bid), or ``max_points``
        not above 0.

    Examples
    --------
    >>> proportional_scores({"A": 200_000, "B": 150_000, "C": 0}, 10).points.tolist()
    [10.0, 7.5, 0.0]
    """
    max_points = require_in_range("max_points", max_points, 0, np.inf, inclusive=(False, False))
    numbers = _series(values, "values")
    negative = numbers < 0
    if negative.any():
        label = numbers.index[negative.to_numpy().argmax()]
        raise ParameterError(
            f"values[{label!r}] is {numbers[label]:,.2f}, negative; expected values >= 0 "
            "(proportional scoring has no meaning for a negative value)"
        )
    best = float(numbers.max())
    method = "Proportional scoring: points = max points x value / best value"
    if best == 0:
        points = numbers * 0.0
        note = (
            "Every bid offers zero, so every bid scores 0 points: there is no best bid to "
            "score against."
        )
    else:
        points = max_points * (numbers / best)
        note = ""
    return ProportionalScores(numbers, points, max_points, best, note, method)


def lowest_price_scores(
    prices: Sequence[float] | pd.Series | Mapping, max_points: float
) -> pd.Series:
    """Price points: the lowest price scores best, ``max_points x lowest price / price``.

    Raises
    ------
    ParameterError
        A missing, zero or negative price (naming the bid), or ``max_points`` not above 0.
    """
    max_points = require_in_range("max_points", max_points, 0, np.inf, inclusive=(False, False))
    numbers = _series(prices, "prices")
    bad = numbers <= 0
    if bad.any():
        label = numbers.index[bad.to_numpy().argmax()]
        raise ParameterError(f"prices[{label!r}] is {numbers[label]:g}; expected a price > 0")
    return max_points * numbers.min() / numbers


def check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Weights for price, quality and social value, each in [0, 1], summing to 1."""
    if not isinstance(weights, Mapping) or set(weights) != set(_WEIGHTS):
        got = sorted(weights) if isinstance(weights, Mapping) else weights
        raise ParameterError(f"weights must give exactly {', '.join(_WEIGHTS)}; got {got!r}")
    out = {k: require_in_range(f"weights[{k!r}]", weights[k], 0.0, 1.0) for k in _WEIGHTS}
    total = sum(out.values())
    if abs(total - 1) > 1e-9:
        terms = " + ".join(f"{k} {v:g}" for k, v in out.items())
        raise ParameterError(
            f"weights must sum to 1; got {terms} = {total:g}. Expected, for example, "
            "price 0.5 + quality 0.4 + social_value 0.1"
        )
    return out


@dataclass(frozen=True)
class BidScores(Result):
    """Combined scores out of 100 for each bid, ranked within its tender (1 = best)."""

    table: pd.DataFrame
    price_weight: float
    quality_weight: float
    social_value_weight: float
    basis: str
    quality_max: float
    notes: tuple[str, ...]
    method: str

    def to_frame(self) -> pd.DataFrame:
        """One row per bid: points for price, quality and social value, total and rank."""
        return self.table.copy()

    def summary(self) -> str:
        """The leading bid of each tender and how the points were worked out."""
        lines = []
        for tender, bids in self.table.groupby("tender", sort=False):
            top = bids.sort_values("total", ascending=False)
            first = top.iloc[0]
            tied = top[top["rank"] == 1]["bidder"].tolist()
            lead = (
                f"{' and '.join(tied)} tie for first place"
                if len(tied) > 1
                else f"{first['bidder']} ranks first"
            )
            lines.append(
                f"In {tender}, {lead} with {first['total']:.1f} of 100 points (price "
                f"{first['price_points']:.1f}, quality {first['quality_points']:.1f}, social "
                f"value {first['social_value_points']:.1f} on {self.basis} social value)."
            )
        return " ".join([*lines, self.method, *self.notes])


def _bid_table(bids: SocialValueResult | pd.DataFrame) -> pd.DataFrame:
    table = bids.bids if isinstance(bids, SocialValueResult) else bids.copy()
    require_columns(table, ["bidder", "price", "quality"], source="bids")
    if "tender" not in table:
        table = table.assign(tender="the tender")
    return table.reset_index(drop=True)


def combined_scores(
    bids: SocialValueResult | pd.DataFrame,
    weights: Mapping[str, float],
    *,
    basis: Basis = "gross",
    quality_max: float = 100.0,
) -> BidScores:
    """Score bids on price, quality and social value at the given weightings.

    Parameters
    ----------
    bids
        A :class:`SocialValueResult` or a table with ``bidder``, ``price``, ``quality``,
        ``gross_social_value`` (and ``net_social_value`` for ``basis="net"``), optionally
        ``tender`` (bids are scored against the others in their tender).
    weights
        ``{"price": w_p, "quality": w_q, "social_value": w_s}``, each in [0, 1], summing to 1.
    basis
        Score ``"gross"`` or ``"net"`` social value.
    quality_max
        The highest possible quality score; quality points are absolute, not relative.

    Notes
    -----
    Out of 100 points:
    price points :math:`= 100 w_p \\min_j(price_j) / price_i` (the lowest price scores best);
    quality points :math:`= 100 w_q \\, quality_i / quality_{max}`;
    social value points :math:`= 100 w_s \\, SV_i / \\max_j SV_j`
    (:func:`proportional_scores`; all zero when every bid offers none). Ties share a rank.

    References
    ----------
    Procurement Policy Note 002 (PPN 002, 2024/25), on taking account of social value in the
    award of contracts under the Procurement Act 2023: central government buyers give social
    value at least 10% of the total score.

    Raises
    ------
    ParameterError
        Weights that are missing, outside [0, 1] or do not sum to 1 (naming them); net basis
        where a bid has no net value; quality outside [0, quality_max].
    """
    w = check_weights(weights)
    require_choice("basis", basis, ["gross", "net"])
    quality_max = require_in_range("quality_max", quality_max, 0, np.inf, inclusive=(False, False))
    notes = []
    if w["social_value"] < MIN_SOCIAL_VALUE_WEIGHT:
        low = (
            f"Social value is weighted at {w['social_value']:.0%} of the total score, below the "
            "10% minimum that PPN 002 (Procurement Policy Note 002, 2024/25, under the "
            "Procurement Act 2023) asks central government buyers to apply."
        )
        warnings.warn(low, SocialValueWeightingWarning, stacklevel=2)
        notes.append(low)
    table = _bid_table(bids)
    column = f"{basis}_social_value"
    require_columns(table, [column], source="bids")
    unassessed = table[column].isna()
    if unassessed.any():
        raise ParameterError(
            f"basis='{basis}' needs {column} for every bid; {table['bidder'][unassessed].iloc[0]!r} "
            f"has none (give deadweight, displacement and attribution for its measures, or score "
            "on gross)"
        )
    bad_quality = ~table["quality"].astype(float).between(0, quality_max)
    if bad_quality.any():
        i = int(bad_quality.to_numpy().argmax())
        raise ParameterError(
            f"quality of {table['bidder'].iloc[i]!r} is {float(table['quality'].iloc[i]):g}; expected a "
            f"score from 0 to quality_max={quality_max:g}"
        )
    parts = []
    for tender, group in table.groupby("tender", sort=False):
        group = group.copy()
        group["price_points"] = lowest_price_scores(group["price"], 100 * w["price"])
        group["quality_points"] = 100 * w["quality"] * group["quality"].astype(float) / quality_max
        if w["social_value"] > 0:
            sv = proportional_scores(group[column], 100 * w["social_value"])
            group["social_value_points"] = sv.points
            if sv.note:
                notes.append(f"{tender}: {sv.note}")
        else:
            group["social_value_points"] = 0.0
        parts.append(group)
    out = pd.concat(parts)
    out["total"] = out[["price_points", "quality_points", "social_value_points"]].sum(axis=1)
    out["rank"] = (
        out.groupby("tender")["total"].rank(ascending=False, method="min").round(9).astype(int)
    )
    keep = ["tender", "bidder", "price", "quality", column]
    keep += ["price_points", "quality_points", "social_value_points", "total", "rank"]
    method = (
        f"Weights: price {w['price']:.0%}, quality {w['quality']:.0%}, social value "
        f"{w['social_value']:.0%} ({basis}). Price points = maximum x lowest price / price, so "
        f"the lowest price scores best; quality points = maximum x score / {quality_max:g}; "
        "social value points = maximum x value / best value in the tender."
    )
    return BidScores(
        out[keep].reset_index(drop=True),
        w["price"],
        w["quality"],
        w["social_value"],
        basis,
        quality_max,
        tuple(notes),
        method,
    )


@dataclass(frozen=True)
class WeightingSensitivity(Result):
    """Totals and ranks of every bid at each social value weighting, on gross and net value.

    ``table``: tender, basis, social_value_weight, bidder, total, rank. ``winners``: the first
    ranked bidder(s) of each tender, basis and weighting.
    """

    table: pd.DataFrame
    winners: pd.DataFrame
    notes: tuple[str, ...]
    method: str

    def to_frame(self) -> pd.DataFrame:
        """The winners table."""
        return self.winners.copy()

    def summary(self) -> str:
        """Whether the winner of each tender changes with the weighting or with net value."""
        lines = []
        for tender, rows in self.winners.groupby("tender", sort=False):
            runs = {basis: _runs(part) for basis, part in rows.groupby("basis", sort=False)}
            if len(set(runs.values())) == 1:
                bases = " and ".join(runs)
                lines.append(f"In {tender}, on {bases} social value: {next(iter(runs.values()))}.")
            else:
                text = "; ".join(f"on {basis} social value: {run}" for basis, run in runs.items())
                lines.append(f"In {tender}, {text}.")
        return " ".join([*lines, self.method, *self.notes])


def _runs(rows: pd.DataFrame) -> str:
    """'A leads at 5% to 10%, B at 15% to 30%' from winners ordered by weighting."""
    rows = rows.sort_values("social_value_weight")
    runs: list[list] = []
    for winner, weight in zip(rows["winner"], rows["social_value_weight"], strict=True):
        if runs and runs[-1][0] == winner:
            runs[-1][2] = weight
        else:
            runs.append([winner, weight, weight])
    if len(runs) == 1:
        return f"{runs[0][0]} ranks first at every weighting tested ({runs[0][1]:.0%} to {runs[0][2]:.0%})"
    parts = [
        f"{w} at {lo:.0%}" if lo == hi else f"{w} at {lo:.0%} to {hi:.0%}" for w, lo, hi in runs
    ]
    return "the leading bid changes with the weighting: " + ", ".join(parts)


def weighting_sensitivity(
    bids: SocialValueResult | pd.DataFrame,
    weights: Mapping[str, float],
    *,
    social_value_weights: Sequence[float] = (0.05, 0.10, 0.15, 0.20, 0.25, 0.30),
    bases: Sequence[Basis] = ("gross", "net"),
    quality_max: float = 100.0,
) -> WeightingSensitivity:
    """How the ranking changes as the social value weighting varies, on gross and on net value.

    At each social value weighting :math:`s`, price and quality keep their relative weights and
    share :math:`1 - s`: :math:`w_p' = (1 - s) w_p / (w_p + w_q)`, likewise for quality. Net is
    skipped, with a note, when some bid has no net value.
    """
    base = check_weights(weights)
    rest = base["price"] + base["quality"]
    if rest == 0:
        raise ParameterError(
            "weights give price and quality 0, so there is nothing to trade against social value"
        )
    table = _bid_table(bids)
    notes = []
    rows = []
    for basis in bases:
        require_choice("basis", basis, ["gross", "net"])
        column = f"{basis}_social_value"
        if column not in table or table[column].isna().any():
            notes.append(f"No {basis} social value for every bid, so {basis} was not tested.")
            continue
        for s in social_value_weights:
            s = require_in_range("social_value_weights", s, 0.0, 1.0)
            w = {
                "price": (1 - s) * base["price"] / rest,
                "quality": (1 - s) * base["quality"] / rest,
                "social_value": s,
            }
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SocialValueWeightingWarning)
                scores = combined_scores(table, w, basis=basis, quality_max=quality_max).table
            scores = scores.assign(basis=basis, social_value_weight=s)
            rows.append(
                scores[["tender", "basis", "social_value_weight", "bidder", "total", "rank"]]
            )
    if not rows:
        raise ParameterError("no basis could be tested: no bid has the social value to score")
    out = pd.concat(rows, ignore_index=True)
    winners = (
        out[out["rank"] == 1]
        .groupby(["tender", "basis", "social_value_weight"], sort=False)["bidder"]
        .agg(" and ".join)
        .rename("winner")
        .reset_index()
    )
    method = (
        "Price and quality keep their relative weights "
        f"({base['price']:.0%}:{base['quality']:.0%}) and share what social value does not take."
    )
    return WeightingSensitivity(out, winners, tuple(notes), method)
