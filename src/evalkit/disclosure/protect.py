"""Protect a table: primary and secondary suppression, rounding, withheld derived figures."""

from __future__ import annotations

import dataclasses
import html
import json
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit._results import Result
from evalkit._validate import require_columns
from evalkit.disclosure.policies import Policy, _round_to, _whole_count, get_policy
from evalkit.disclosure.secondary import secondary_suppression
from evalkit.exceptions import DataError, DisclosureWarning, ParameterError

__all__ = ["Protected", "protect"]


@dataclasses.dataclass(frozen=True)
class Protected(Result):
    """A table made safe to publish, with the audit of what was changed.

    ``table`` is publishable; ``audit`` (one row per changed cell: row, column, original,
    published, rule) holds the original values and must never be published.
    """

    table: pd.DataFrame
    audit: pd.DataFrame = dataclasses.field(repr=False)  # holds original values: never publish
    policy: Policy
    policy_name: str
    threshold: int
    symbol: str
    count_columns: tuple[Any, ...]
    n_primary: int
    n_secondary: int
    n_rounded: int
    n_withheld: int
    unit: str = "people"

    @property
    def n_suppressed(self) -> int:
        """Counts suppressed, primary and secondary."""
        return self.n_primary + self.n_secondary

    def _changes(self) -> list[str]:
        p, parts = self.policy, []
        if self.n_primary:
            cells = _plural(self.n_primary, "cell was", "cells were")
            they = "it" if self.n_primary == 1 else "they"
            parts.append(
                f'{cells} suppressed (shown as "{p.symbol}") because {they} counted '
                f"{p.range_text()} {self.unit}"
            )
        if self.n_secondary:
            cells = _plural(self.n_secondary, "more cell was", "more cells were")
            parts.append(
                f"{cells} suppressed so that no hidden count can be worked out from the totals"
            )
        if self.n_withheld:
            figs = _plural(self.n_withheld, "rate or mean was", "rates or means were")
            parts.append(
                f"{figs} withheld because {'it' if self.n_withheld == 1 else 'they'} came "
                "from suppressed counts"
            )
        return parts

    def summary(self) -> str:
        p = self.policy
        owner = p.authority + ("'" if p.authority.endswith("s") else "'s")
        rounding = f"counts are rounded to the nearest {p.rounding}" if p.rounding > 1 else ""
        parts = self._changes()
        if not parts:
            return f"No cell needed suppressing under {owner} rules" + (
                f"; {rounding}." if rounding else "."
            )
        if rounding:
            parts.append(f"other {rounding}")
        text = "; ".join(parts)
        return f"{text[0].upper()}{text[1:]}, as {owner} rules require."

    def note(self) -> str:
        """The short note shown under the published table."""
        parts = self._changes() or ["no cell needed suppressing"]
        if self.policy.rounding > 1:
            parts.append(f"counts are rounded to the nearest {self.policy.rounding}")
        text = "; ".join(parts)
        return f"Disclosure control: {self.policy.label}. {text[0].upper()}{text[1:]}."

    def to_html(self, **to_html_kwargs: Any) -> str:
        """The published table as escaped HTML, with the disclosure note under it.

        Keyword arguments go to :meth:`pandas.DataFrame.to_html` (``escape`` is always True).
        The ``<table>`` carries ``data-disclosure-policy``, ``data-disclosure-threshold`` and
        ``data-count-columns`` so that checks can find the count cells.
        """
        if not to_html_kwargs.pop("escape", True):
            raise ParameterError("escape=False is not allowed: published tables are always escaped")
        to_html_kwargs.setdefault("index", not isinstance(self.table.index, pd.RangeIndex))
        to_html_kwargs.setdefault("na_rep", "")
        to_html_kwargs.setdefault("classes", "evalkit-protected")
        table = self.table.to_html(escape=True, **to_html_kwargs)
        attrs = (
            f' data-disclosure-policy="{html.escape(self.policy_name)}"'
            f' data-disclosure-threshold="{self.threshold}"'
            f' data-count-columns="{html.escape(json.dumps([str(c) for c in self.count_columns]))}"'
        )
        table = table.replace("<table", "<table" + attrs, 1)
        if not self.count_columns:  # checked, and nothing in it counts people: no note needed
            return f'<div class="evalkit-disclosure">\n{table}\n</div>'
        note = f'<p class="evalkit-disclosure-note">{html.escape(self.note())}</p>'
        return f'<div class="evalkit-disclosure">\n{table}\n{note}\n</div>'

    def _repr_html_(self) -> str:
        return self.to_html()


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


# --- input checks -----------------------------------------------------------------------------


def _count_matrix(table: pd.DataFrame, counts: Sequence[Any]) -> np.ndarray:
    """The count columns as an int64 matrix, or DataError naming the first bad cell."""
    out = np.empty((len(table), len(counts)), dtype=np.int64)
    for j, col in enumerate(counts):
        raw = table[col]
        where = f"count column {col!r}, row"
        missing = raw.isna().to_numpy()
        if missing.any():
            label = table.index[np.argmax(missing)]
            raise DataError(
                f"{where} {label!r}: value is missing; expected a whole number >= 0 "
                "(use 0 for none, or drop the row)"
            )
        numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(numbers) & (numbers >= 0) & (numbers == np.floor(numbers))
        if pd.api.types.is_bool_dtype(raw):
            ok[:] = False
        if not ok.all():
            i = int(np.argmin(ok))
            _whole_count(raw.iloc[i], f"{where} {table.index[i]!r}", DataError)
        out[:, j] = numbers.astype(np.int64)
    return out


def _count_columns(table: pd.DataFrame, counts: Sequence[Any] | None, derived: Mapping) -> list:
    if counts is None:
        return [
            c
            for c in table.columns
            if pd.api.types.is_integer_dtype(table[c])
            and not pd.api.types.is_bool_dtype(table[c])
            and c not in derived
        ]
    chosen = [counts] if isinstance(counts, str) else list(counts)
    require_columns(table, chosen, source="counts")
    both = [c for c in chosen if c in derived]
    if both:
        raise ParameterError(f"column(s) {both!r} are given both as counts and as derived")
    return chosen


def _derived(table: pd.DataFrame, derived: Mapping | None, counts: Sequence[Any]) -> dict:
    spec = {k: ((v,) if isinstance(v, str) else tuple(v)) for k, v in (derived or {}).items()}
    require_columns(table, list(spec), source="derived")
    for col, deps in spec.items():
        unknown = [d for d in deps if d not in counts]
        if not deps or unknown:
            raise ParameterError(
                f"derived[{col!r}] must name the count column(s) it comes from; got {deps!r}, "
                f"count columns are {list(counts)!r}"
            )
    return spec


def _total_positions(table: pd.DataFrame, totals: Mapping | None, counts: list) -> tuple:
    if totals is None:
        return None, None
    if not isinstance(totals, Mapping) or set(totals) - {"row", "column"}:
        raise ParameterError(
            f"totals must be a mapping with keys 'row' and/or 'column'; got {totals!r}"
        )
    ti = tj = None
    if "row" in totals:
        if totals["row"] not in table.index:
            raise DataError(
                f"totals['row'] names row {totals['row']!r}, which is not in the table's index "
                f"(rows: {list(table.index[:10])!r}); set the label column as the index first"
            )
        ti = table.index.get_loc(totals["row"])
    if "column" in totals:
        if totals["column"] not in counts:
            raise DataError(
                f"totals['column'] names column {totals['column']!r}, which is not a count column "
                f"(count columns: {counts!r})"
            )
        tj = counts.index(totals["column"])
    return ti, tj


def undeclared_totals(values: np.ndarray) -> tuple[int | None, int | None]:
    """A row or column of a count matrix that equals the sum of all the others, if any.

    Such a line is a total whether or not it is labelled one: left unprotected, a suppressed cell
    is the total minus the cells beside it. Only lines summing at least two others, across at
    least two cells each (a single column of categories can add up by chance), in a table with
    some count above zero, are taken as totals (the last such line when several qualify).
    """
    if values.size == 0 or not (values > 0).any():
        return None, None
    found: list[int | None] = []
    for axis in (0, 1):
        lines = values.shape[axis]
        at = None
        if lines >= 3 and values.shape[1 - axis] >= 2:
            for k in range(lines):
                line = np.take(values, k, axis=axis)
                others = np.delete(values, k, axis=axis).sum(axis=axis)
                if (line > 0).any() and np.array_equal(line, others):
                    at = k
        found.append(at)
    return found[0], found[1]


def _check_totals(values: np.ndarray, ti, tj, table: pd.DataFrame, counts: list) -> None:
    if ti is not None:
        parts = np.delete(values, ti, axis=0).sum(axis=0)
        for j in np.flatnonzero(values[ti] < parts):
            raise DataError(
                f"total row {table.index[ti]!r}, column {counts[j]!r}: total {values[ti, j]} is "
                f"smaller than the sum of the other rows ({parts[j]}); expected a total of them"
            )
    if tj is not None:
        parts = np.delete(values, tj, axis=1).sum(axis=1)
        for i in np.flatnonzero(values[:, tj] < parts):
            raise DataError(
                f"total column {counts[tj]!r}, row {table.index[i]!r}: total {values[i, tj]} is "
                f"smaller than the sum of the other columns ({parts[i]}); expected a total of them"
            )


# --- protect ---------------------------------------------------------------------------------


def _float_count_warnings(table, counts, derived, policy: Policy) -> None:
    for col in table.columns:
        if col in counts or col in derived or not pd.api.types.is_float_dtype(table[col]):
            continue
        vals = table[col].dropna().to_numpy()
        whole = vals.size and np.all(np.isfinite(vals) & (vals >= 0) & (vals == np.round(vals)))
        if whole and np.any((vals >= policy.low) & (vals <= policy.high)):
            warnings.warn(
                f"column {col!r} holds whole numbers, some {policy.range_text()}, but is not "
                "protected: only integer columns are counts by default; pass counts=[...] to "
                "protect it, or derived={...} if it is computed from counts",
                DisclosureWarning,
                stacklevel=3,
            )


def _publish_counts(out, values, primary, secondary, cols, pol: Policy) -> list[dict]:
    """Write the published counts into ``out``; return the audit rows of the changed cells."""
    audit = []
    for j, col in enumerate(cols):
        shown: list[int | str] = []
        for i, label in enumerate(out.index):
            n = int(values[i, j])
            hidden = primary[i, j] or secondary[i, j]
            cell: int | str = pol.symbol if hidden else _round_to(n, pol.rounding)
            shown.append(cell)
            if cell != n:
                rule = "primary" if primary[i, j] else "secondary" if hidden else "rounding"
                audit.append(
                    {"row": label, "column": col, "original": n, "published": cell, "rule": rule}
                )
        out[col] = pd.Series(shown, index=out.index, dtype=object)
    return audit


def _withhold_derived(out, table, hidden, spec, cols, pol: Policy) -> list[dict]:
    """Withhold derived cells whose counts are hidden; return their audit rows."""
    audit = []
    for col, deps in spec.items():
        mask = hidden[:, [cols.index(d) for d in deps]].any(axis=1)
        column = out[col].astype(object)
        for i in np.flatnonzero(mask):
            audit.append(
                {
                    "row": table.index[i],
                    "column": col,
                    "original": table[col].iloc[i],
                    "published": pol.symbol,
                    "rule": "derived-withheld",
                }
            )
            column.iloc[i] = pol.symbol
        out[col] = column
    return audit


def protect(
    table: pd.DataFrame,
    policy: str | Mapping[str, Any] | Policy = "nhs",
    *,
    counts: Sequence[Any] | None = None,
    totals: Mapping[str, Any] | None = None,
    derived: Mapping[Any, Any] | None = None,
    unit: str = "people",
    warn: bool = True,
) -> Protected:
    """Make ``table`` safe to publish under a small-number disclosure ``policy``.

    Parameters
    ----------
    table : DataFrame
        Rows labelled by the index; counts unrounded.
    policy : str, mapping or Policy
        ``"nhs"`` (default), ``"dfe"``, ``"ons_10_5"``, ``"ofqual"`` or a custom policy
        (see :func:`get_policy`).
    counts : list of columns, optional
        The columns holding counts; default every integer column not named in ``derived``.
    totals : mapping, optional
        ``{"row": label, "column": name}`` naming the total row and/or column. Totals must be
        computed from the unrounded data; they are then protected like any count, and under a
        policy with secondary suppression they let evalkit hide further cells so none of the
        suppressed ones can be recovered by subtraction.
    derived : mapping, optional
        ``{column: (count columns,)}``: rates, percentages or means computed from counts; a
        derived cell is withheld (shown as the symbol) whenever a count it comes from is
        suppressed in the same row, e.g. ``{"rate": ("successes", "n"), "mean": ("n",)}``.
    unit : str
        What the counts count, for the summary ("people", "families").
    warn : bool
        Issue a :class:`~evalkit.exceptions.DisclosureWarning` when cells were changed.

    Returns
    -------
    Protected
        ``table`` (publishable), ``audit`` (never publish), ``summary()``, ``to_html()``.
    """
    if not isinstance(table, pd.DataFrame):
        raise ParameterError(f"table must be a pandas DataFrame; got {type(table).__name__}")
    for axis, labels in (("row labels (index)", table.index), ("column names", table.columns)):
        if not labels.is_unique:
            dup = labels[labels.duplicated()][0]
            raise DataError(f"table {axis} must be unique; {dup!r} appears more than once")
    pol = get_policy(policy)
    if isinstance(derived, Mapping):
        derived_cols = list(derived)
    elif derived is None:
        derived_cols = []
    else:
        raise ParameterError(
            f"derived must be a mapping of column -> count columns; got {derived!r}"
        )
    cols = _count_columns(table, counts, dict.fromkeys(derived_cols))
    spec = _derived(table, derived, cols)
    ti, tj = _total_positions(table, totals, cols)
    values = _count_matrix(table, cols)
    if totals is None:
        # A line equal to the sum of the others is a total, labelled or not (or a suppressed
        # cell would be the total minus the cells beside it).
        ti, tj = undeclared_totals(values)
    _check_totals(values, ti, tj, table, cols)
    if warn:
        _float_count_warnings(table, cols, spec, pol)

    primary = (
        np.vectorize(pol.suppresses, otypes=[bool])(values) if values.size else values.astype(bool)
    )
    secondary = (
        secondary_suppression(values, primary, ti, tj)
        if pol.secondary and (ti is not None or tj is not None) and values.size
        else np.zeros_like(primary)
    )
    out = table.copy()
    count_audit = _publish_counts(out, values, primary, secondary, cols, pol)
    derived_audit = _withhold_derived(out, table, primary | secondary, spec, cols, pol)
    audit = count_audit + derived_audit
    result = Protected(
        table=out,
        audit=pd.DataFrame(audit, columns=["row", "column", "original", "published", "rule"]),
        policy=pol,
        policy_name=pol.name,
        threshold=pol.high,
        symbol=pol.symbol,
        count_columns=tuple(cols),
        n_primary=int(primary.sum()),
        n_secondary=int(secondary.sum()),
        n_rounded=sum(row["rule"] == "rounding" for row in count_audit),
        n_withheld=len(derived_audit),
        unit=unit,
    )
    if warn and audit:
        warnings.warn(result.summary(), DisclosureWarning, stacklevel=2)
    return result
