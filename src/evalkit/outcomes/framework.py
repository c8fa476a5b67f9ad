"""Outcome frameworks: an indicator register, per-indicator results with Wilson intervals,
the equity view by subgroup, and the Supporting Families "all needs met and sustained" rule.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from evalkit._results import Result
from evalkit._validate import require_columns, require_numeric
from evalkit.exceptions import ConfigError, DataError, ParameterError
from evalkit.outcomes._display import shown
from evalkit.outcomes._intervals import check_ci, wilson_interval
from evalkit.reference import load_yaml

__all__ = [
    "FamilyOutcomesResult",
    "Indicator",
    "IndicatorRegister",
    "equity_view",
    "family_outcomes",
    "indicator_results",
    "indicator_successes",
    "supporting_families_outcomes",
]


class Indicator(BaseModel):
    """One outcome indicator of a programme's framework (the spec's ``indicators:`` entries).

    ``unit="share"``: the column holds 0/1 and the rate is the share of 1s; ``polarity``
    says whether a higher share is better, which decides whether a ``target`` is met.
    ``unit="score"`` or ``"count"``: a person meets the indicator when the value is at or
    beyond ``threshold`` in the direction of ``polarity``; the rate is the share meeting it and
    a higher rate is always better.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    definition: str = Field(min_length=1)
    column: str = Field(min_length=1)
    baseline_column: str | None = None
    polarity: Literal["higher_is_better", "lower_is_better"] = "higher_is_better"
    unit: Literal["share", "count", "score"] = "share"
    baseline: float | None = Field(default=None, ge=0, le=1)
    target: float | None = Field(default=None, ge=0, le=1)
    threshold: float | None = None

    @model_validator(mode="after")
    def _threshold_fits_unit(self) -> Indicator:
        if self.unit != "share" and self.threshold is None:
            raise ValueError(
                f"indicator {self.name!r} has unit {self.unit!r}: a threshold is needed to say "
                "when a person meets it"
            )
        if self.unit == "share" and self.threshold is not None:
            raise ValueError(
                f"indicator {self.name!r} has unit 'share' (0/1 values): threshold must be left "
                f"out; got {self.threshold!r}"
            )
        return self

    @property
    def higher_is_better(self) -> bool:
        return self.polarity == "higher_is_better"

    @property
    def rate_higher_is_better(self) -> bool:
        """Whether a higher rate is better (always so for thresholded scores and counts)."""
        return self.unit != "share" or self.higher_is_better


class IndicatorRegister(BaseModel):
    """The list of indicators of an outcome framework."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    indicators: list[Indicator] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> IndicatorRegister:
        names = [i.name for i in self.indicators]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"indicator names must be unique; repeated: {duplicated}")
        return self

    @classmethod
    def from_dict(cls, data: dict[str, Any] | list[dict[str, Any]]) -> IndicatorRegister:
        """Build from a spec's ``indicators:`` section (a dict holding it, or the list itself)."""
        section = data if isinstance(data, list) else (data or {}).get("indicators")
        if section is None:
            raise ConfigError("the outcome framework has no 'indicators:' section")
        try:
            return cls(indicators=section)
        except ValidationError as exc:
            first = exc.errors()[0]
            # the location already starts at "indicators" (empty for whole-register errors)
            where = ".".join(str(p) for p in (first["loc"] or ("indicators",)))
            raise ConfigError(
                f"indicators: field {where!r}: {first['msg']} (got {first.get('input')!r})"
            ) from None

    @classmethod
    def from_yaml(cls, path: str) -> IndicatorRegister:
        """Read the ``indicators:`` section of a YAML file."""
        import yaml

        try:
            with open(path, encoding="utf-8") as fh:
                data = yaml.safe_load(fh)
        except OSError as exc:
            raise ConfigError(f"cannot read indicator file {path!r}: {exc.strerror}") from None
        return cls.from_dict(data)

    def __iter__(self) -> Iterator[Indicator]:  # type: ignore[override]
        return iter(self.indicators)

    def __len__(self) -> int:
        return len(self.indicators)


def indicator_successes(df: pd.DataFrame, indicator: Indicator, column: str) -> pd.Series:
    """Per person: 1.0 if ``column`` meets ``indicator``, 0.0 if not, missing if no value."""
    values = require_numeric(df, column, source=f"indicator {indicator.name!r}")
    if indicator.unit == "share":
        bad = values.notna() & ~values.isin([0.0, 1.0])
        if bad.any():
            row = bad.idxmax()
            raise DataError(
                f"column {column!r} (indicator {indicator.name!r}), row {row}: value "
                f"{shown(values.loc[row])} is not 0 or 1; expected a binary outcome for unit "
                "'share'"
            )
        return values
    meets = (
        values >= indicator.threshold
        if indicator.higher_is_better
        else values <= indicator.threshold
    )
    return meets.astype(float).where(values.notna())


def _met(rate: np.ndarray, indicator: Indicator) -> list[bool | None]:
    if indicator.target is None:
        return [None] * len(rate)
    ok = rate >= indicator.target if indicator.rate_higher_is_better else rate <= indicator.target
    return [bool(v) for v in ok]


def _as_list(by: Sequence[str] | str | None) -> list[str]:
    return [by] if isinstance(by, str) else list(by or [])


def indicator_results(
    df: pd.DataFrame,
    register: IndicatorRegister | Sequence[Indicator],
    *,
    by: Sequence[str] | str | None = None,
    ci: float = 0.95,
) -> pd.DataFrame:
    """Rate of each indicator (per group of ``by``) with a Wilson interval, baseline and target.

    Returns a tidy DataFrame, one row per indicator (and group): ``indicator``, the ``by``
    columns, ``n`` (people with a value), ``successes``, ``rate``, ``ci_low``, ``ci_high``,
    ``baseline_n`` and ``baseline_rate`` (from ``baseline_column`` when given, else the fixed
    ``baseline``), ``target``, ``met`` (rate reaches the target in the indicator's direction;
    None without a target), ``polarity``, ``unit`` and ``method``.

    Raises DataError naming the indicator and group when a group has no value at all.
    Intervals are Wilson score intervals (Wilson 1927, doi:10.1080/01621459.1927.10502953).
    """
    ci = check_ci(ci)
    indicators = list(register)
    groups = _as_list(by)
    require_columns(df, groups, source="indicator_results(by=...)")
    frames = []
    for ind in indicators:
        parts = {"_s": indicator_successes(df, ind, ind.column)}
        if ind.baseline_column:
            parts["_b"] = indicator_successes(df, ind, ind.baseline_column)
        data = pd.DataFrame(parts, index=df.index)
        for g in groups:
            data[g] = df[g]
        agg = {"n": ("_s", "count"), "successes": ("_s", "sum")}
        if ind.baseline_column:
            agg |= {"baseline_n": ("_b", "count"), "baseline_successes": ("_b", "sum")}
        keys = groups or ["_all"]
        if not groups:
            data["_all"] = "all"
        table = data.groupby(keys, observed=True, dropna=False).agg(**agg).reset_index()
        if not groups:
            table = table.drop(columns="_all")
        empty = table["n"] == 0
        if empty.any():
            where = ", ".join(f"{g}={shown(table.loc[empty.idxmax(), g])}" for g in groups) or "all"
            raise DataError(
                f"indicator {ind.name!r}: column {ind.column!r} has no values in group {where}; "
                "expected at least one person with a value"
            )
        table["n"] = table["n"].astype(int)
        table["successes"] = table["successes"].astype(int)
        table["rate"] = table["successes"] / table["n"]
        table["ci_low"], table["ci_high"] = wilson_interval(table["successes"], table["n"], ci)
        if ind.baseline_column:
            table["baseline_n"] = table["baseline_n"].astype(int)
            table["baseline_rate"] = table.pop("baseline_successes") / table["baseline_n"].where(
                table["baseline_n"] > 0
            )
        else:
            table["baseline_n"] = pd.array([pd.NA] * len(table), dtype="Int64")
            table["baseline_rate"] = np.nan if ind.baseline is None else ind.baseline
        table["target"] = np.nan if ind.target is None else ind.target
        table["met"] = pd.array(_met(table["rate"].to_numpy(), ind), dtype="boolean")
        table.insert(0, "indicator", ind.name)
        table["polarity"] = ind.polarity
        table["unit"] = ind.unit
        table["method"] = f"share meeting the indicator, {ci:.0%} Wilson score interval"
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def equity_view(
    df: pd.DataFrame,
    register: IndicatorRegister | Sequence[Indicator],
    subgroups: Sequence[str],
    *,
    ci: float = 0.95,
) -> pd.DataFrame:
    """Each indicator by each subgroup variable in turn, beside the overall rate.

    Returns one row per indicator, subgroup variable and level: ``subgroup``, ``level``,
    the columns of :func:`indicator_results`, ``overall_rate`` and ``gap`` (level rate minus
    overall rate, in the same units as the rate). Small groups give wide intervals: read the
    gaps with them, and pass the table through disclosure control before publishing.
    """
    subgroups = list(subgroups)
    if not subgroups:
        raise ParameterError("subgroups must name at least one column; got an empty list")
    require_columns(df, subgroups, source="equity_view")
    overall = indicator_results(df, register, ci=ci).set_index("indicator")["rate"]
    frames = []
    for sub in subgroups:
        table = indicator_results(df, register, by=[sub], ci=ci).rename(columns={sub: "level"})
        table.insert(1, "subgroup", sub)
        table["level"] = table["level"].astype(str)
        table["overall_rate"] = table["indicator"].map(overall)
        table["gap"] = table["rate"] - table["overall_rate"]
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def supporting_families_outcomes() -> list[str]:
    """Names of the ten headline outcomes of the Supporting Families framework (2022-25)."""
    return list(load_yaml("supporting_families_outcomes.yaml")["headline_outcomes"])


@dataclasses.dataclass(frozen=True)
class FamilyOutcomesResult(Result):
    """Families meeting the "every identified need met and sustained" rule."""

    n_families: int
    n_eligible: int
    n_not_eligible: int
    n_successful: int
    rate: float
    ci_low: float
    ci_high: float
    min_needs: int
    method: str
    table: pd.DataFrame = dataclasses.field(repr=False)

    def summary(self) -> str:
        return (
            f"{self.n_successful} of {self.n_eligible} eligible families ({self.rate:.0%}, 95% CI "
            f"{self.ci_low:.0%} to {self.ci_high:.0%}) had every identified need met and "
            f"sustained. {self.n_not_eligible} families with fewer than {self.min_needs} "
            "identified needs are reported as not eligible. This counts outcomes achieved, "
            "not outcomes caused by the service."
        )


def _as_bool(df: pd.DataFrame, column: str) -> pd.Series:
    values = require_numeric(df, column, source="family_outcomes")
    bad = values.isna() | ~values.isin([0.0, 1.0])
    if bad.any():
        row = bad.idxmax()
        raise DataError(
            f"column {column!r} in family_outcomes, row {row}: value "
            f"{shown(df.at[row, column])} is not 0/1 or True/False; expected every identified "
            "need to be recorded"
        )
    return values.astype(bool)


def family_outcomes(
    df: pd.DataFrame,
    family: str,
    needs: str,
    met: str,
    sustained: str,
    *,
    min_needs: int = 3,
    allowed_needs: Sequence[str] | None = None,
    ci: float = 0.95,
) -> FamilyOutcomesResult:
    """Apply the Supporting Families rule: success when every identified need is met and sustained.

    Parameters
    ----------
    df : DataFrame
        Long: one row per family and identified need.
    family, needs, met, sustained : str
        Columns: family identifier, need name, whether the need was met, whether it was
        sustained (e.g. six months after closure), the last two as 0/1 or booleans.
    min_needs : int
        Families with fewer identified needs are reported as "not eligible" (the framework
        requires at least three), never silently dropped.
    allowed_needs : sequence of str, optional
        Valid need names, e.g. :func:`supporting_families_outcomes`; others raise DataError.

    Returns
    -------
    FamilyOutcomesResult
        ``table`` per family (``n_needs``, ``n_met_sustained``, ``status`` in successful /
        not yet / not eligible) and the success rate among eligible families with a Wilson
        interval.
    """
    require_columns(df, [family, needs, met, sustained], source="family_outcomes")
    if int(min_needs) < 1:
        raise ParameterError(f"min_needs must be at least 1; got {min_needs!r}")
    if df.empty:
        raise DataError("family_outcomes received no rows; expected one row per family and need")
    dup = df.duplicated([family, needs])
    if dup.any():
        row = dup.idxmax()
        raise DataError(
            f"family {shown(df.at[row, family])} lists need {shown(df.at[row, needs])} twice "
            f"(row {row}); expected one row per family and need"
        )
    if allowed_needs is not None:
        unknown = ~df[needs].isin(list(allowed_needs))
        if unknown.any():
            row = unknown.idxmax()
            raise DataError(
                f"column {needs!r}, row {row}: need {shown(df.at[row, needs])} is not one of the "
                f"allowed needs {list(allowed_needs)}"
            )
    data = pd.DataFrame({"family": df[family], "ok": _as_bool(df, met) & _as_bool(df, sustained)})
    table = data.groupby("family", sort=True).agg(
        n_needs=("ok", "size"), n_met_sustained=("ok", "sum")
    )
    eligible = table["n_needs"] >= min_needs
    success = eligible & (table["n_met_sustained"] == table["n_needs"])
    table["status"] = np.where(
        ~eligible, "not eligible", np.where(success, "successful", "not yet")
    )
    table.index.name = family
    n_eligible, n_success = int(eligible.sum()), int(success.sum())
    if n_eligible == 0:
        raise DataError(
            f"no family has at least min_needs={min_needs} identified needs; "
            f"all {len(table)} families are not eligible"
        )
    lo, hi = wilson_interval(n_success, n_eligible, ci)
    return FamilyOutcomesResult(
        n_families=len(table),
        n_eligible=n_eligible,
        n_not_eligible=len(table) - n_eligible,
        n_successful=n_success,
        rate=n_success / n_eligible,
        ci_low=float(lo),
        ci_high=float(hi),
        min_needs=int(min_needs),
        method=(
            f"Supporting Families rule: every identified need met and sustained, at least "
            f"{min_needs} needs; {ci:.0%} Wilson score interval"
        ),
        table=table,
    )
