"""Delivery claims checked against what the evaluation measured.

A provider's delivery return says how many people it helped; the evaluation's own records say
how many people the service served. A claim to have helped more people than the service served
cannot be right as it stands (double counting, contacts counted as people, or people from
another service), so it is flagged for the commissioner to query.

Which claims are checked depends on the measure's unit:

- a unit that counts people (``person``, ``victim``, ``participant`` ...): everything claimed for
  the measure over the contract to date, against the people served up to the end of the last
  period claimed (each person counts once per measure);
- a unit that counts families or households: against the households served (when the
  evaluation records households);
- a unit that counts people per year (``person-year``): each period's claim against the people
  served up to the end of that period (a person counts at most once a year);
- other units (children, WELLBYs, hours ...): not checked, because the evaluation holds no
  count they must stay within; the summary says so.

Counts in sentences pass disclosure control (:func:`evalkit.narrative.count_phrase`): a small
count is never shown, nor is a share of one.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from evalkit._results import Result
from evalkit.social_value.delivery import DeliveryResult, period_end

__all__ = ["ClaimCheck", "check_claims"]

_CHILD = re.compile(r"\b(child|children)\b", re.IGNORECASE)
_FAMILY = re.compile(r"\b(family|families|household|households)\b", re.IGNORECASE)
_PER_YEAR = re.compile(r"\byears?\b", re.IGNORECASE)
_PLURAL = {
    "person": "people",
    "child": "children",
    "family": "families",
    "person-year": "person-years",
}


def _plural(unit: str) -> str:
    unit = str(unit).strip()
    if unit in _PLURAL:
        return _PLURAL[unit]
    if unit.endswith("y") and not unit.endswith(("ay", "ey", "oy")):
        return unit[:-1] + "ies"
    return unit if unit.endswith("s") else unit + "s"


def _kind(unit: str, counts_people: bool, has_households: bool) -> tuple[str, str]:
    """How a measure is checked ('people', 'families', 'person-years' or '') and, when it is
    not, why."""
    if not counts_people:
        return "", "not a count of people"
    if _CHILD.search(unit):
        return "", "the evaluation records the people served, not their children"
    if _FAMILY.search(unit):
        if has_households:
            return "families", ""
        return "", "the evaluation does not record which people share a household"
    if _PER_YEAR.search(unit):
        return "person-years", ""
    return "people", ""


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"


@dataclass(frozen=True)
class ClaimCheck(Result):
    """Delivery claims set beside what the evaluation measured.

    ``table`` has one row per contract and checked measure: ``contract``, ``measure``,
    ``outcome``, ``unit``, ``up_to`` (the last day the claim covers), ``period`` (the period
    compared, or 'to date'), ``compared_with`` ('people served' or 'households served'),
    ``claimed``, ``measured`` and ``exceeds``. ``unchecked`` names each measure not checked,
    with the reason. Counts in the table are exact: publish :meth:`summary` or pass the table
    through :func:`evalkit.disclosure.protect`.
    """

    table: pd.DataFrame
    unchecked: tuple[tuple[str, str], ...]
    area: str
    policy: Any

    @property
    def flagged(self) -> pd.DataFrame:
        """The claims that exceed what the evaluation measured."""
        return self.table[self.table["exceeds"]]

    def flags(self) -> list[str]:
        """One plain-English sentence per claim that exceeds what was measured."""
        from evalkit.narrative import count_phrase

        out = []
        for row in self.flagged.itertuples():
            during = "" if row.period == "to date" else f" in {row.period}"
            until = f", up to {_day(row.up_to)}" if isinstance(row.up_to, dt.date) else ""
            claimed = count_phrase(round(row.claimed), self.policy)
            measured = count_phrase(int(row.measured), self.policy)
            out.append(
                f"{row.contract}: the provider claims {claimed} {_plural(row.unit)} for the "
                f"outcome '{row.outcome}'{during}{until}; the service records {measured} "
                f"{row.compared_with} in {self.area} by then. The claim is more than the "
                "evaluation measured: ask the provider how it was counted before relying on it."
            )
        return out

    def summary(self) -> str:
        """Flagged claims, the claims within what was measured, and what was not checked."""
        parts = self.flags()
        fine = self.table[~self.table["exceeds"]]
        within = sorted(set(fine["outcome"]) - set(self.flagged["outcome"]))
        if within:
            parts.append(
                "Claims within what the evaluation measured: "
                + "; ".join(f"'{o}'" for o in within)
                + "."
            )
        if self.unchecked:
            parts.append(
                "Not checked: "
                + "; ".join(f"'{outcome}' ({why})" for outcome, why in self.unchecked)
                + "."
            )
        if self.table.empty and not self.unchecked:
            parts.append("No delivery claims to check.")
        return " ".join(parts)


def _served_by(served: pd.DataFrame, end: dt.date | None, column: str | None) -> int:
    """People (or households, by ``column``) served up to ``end`` (everyone without dates)."""
    rows = served
    if end is not None and "start_date" in served:
        starts = pd.to_datetime(served["start_date"], errors="coerce")
        rows = served[starts.isna() | (starts <= pd.Timestamp(end))]
    if column is None:
        return len(rows)
    return int(rows[column].nunique())


def check_claims(
    delivery: DeliveryResult,
    served: pd.DataFrame,
    *,
    area: str,
    policy: Any = "nhs",
) -> ClaimCheck:
    """Check each delivery claim that counts people against the people the evaluation records
    as served (see the module notes for which claims are checked and how).

    Parameters
    ----------
    delivery
        Delivery returns valued by :func:`~evalkit.social_value.delivery_against_commitments`
        (the claims are the ``delivered`` quantities, whatever their evidence).
    served
        The people the service served in the area, one row each (the evaluation's processed
        records of participants); optional ``start_date`` (only people who had started by the
        end of a period count for it) and ``household_id``.
    area
        The area's name, for sentences.
    policy
        Disclosure policy for the counts in sentences.
    """
    lines = delivery.lines
    households = "household_id" in served and served["household_id"].notna().any()
    rows: list[dict[str, Any]] = []
    unchecked: dict[str, str] = {}
    measures = lines.groupby("measure", sort=False)[["outcome", "unit", "counts_people"]].first()
    for measure, info in measures.iterrows():
        kind, why = _kind(str(info["unit"]), bool(info["counts_people"]), bool(households))
        if not kind:
            unchecked[str(info["outcome"])] = why
            continue
        column = "household_id" if kind == "families" else None
        compared = "households served" if kind == "families" else "people served"
        mine = lines[lines["measure"] == measure]
        for contract, claims in mine.groupby("contract", sort=False):
            ends = claims["period"].map(period_end)
            base = {
                "contract": contract,
                "measure": measure,
                "outcome": info["outcome"],
                "unit": info["unit"],
                "compared_with": compared,
            }
            if kind == "person-years":
                for period in sorted(set(claims["period"])):
                    end = period_end(period)
                    claim = claims.loc[claims["period"] == period, "delivered"]
                    rows.append(
                        base
                        | {
                            "up_to": end,
                            "period": period,
                            "claimed": float(claim.sum()),
                            "measured": _served_by(served, end, column),
                        }
                    )
            else:
                end = ends.max() if ends.notna().all() and len(ends) else None
                rows.append(
                    base
                    | {
                        "up_to": end,
                        "period": "to date",
                        "claimed": float(claims["delivered"].sum()),
                        "measured": _served_by(served, end, column),
                    }
                )
    columns = [
        "contract",
        "measure",
        "outcome",
        "unit",
        "up_to",
        "period",
        "compared_with",
        "claimed",
        "measured",
    ]
    table = pd.DataFrame(rows, columns=columns)
    table["exceeds"] = table["claimed"] > table["measured"]
    return ClaimCheck(
        table=table,
        unchecked=tuple(unchecked.items()),
        area=area,
        policy=policy,
    )
