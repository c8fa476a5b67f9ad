"""Delivery figures made safe to publish: counts of people through
:func:`evalkit.disclosure.protect`, and values worked out from the published counts.

A value beside a count of people (quantity x proxy) would give the exact count back, so values
are worked out from the published (rounded) counts; where a count is suppressed, the values that
depend on it are withheld, and so is the contract's value for that period.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import pandas as pd

from evalkit.disclosure import Protected, protect
from evalkit.exceptions import DisclosureWarning
from evalkit.social_value.delivery import DeliveryResult
from evalkit.social_value.value import money

__all__ = ["ContractTables", "contract_tables", "published_by_period"]


@dataclass(frozen=True)
class ContractTables:
    """One contract's delivery to date: people counts (protected) and the other measures, one
    row per outcome (named by the measures table's ``outcome`` text, not its code)."""

    people: Protected | None
    other: pd.DataFrame
    evidence: pd.DataFrame


_COUNTS = ("Committed", "Delivered", "Counted as delivered")
_VALUES = {"Committed": "Committed value (gross)", "Counted as delivered": "Counted value (gross)"}


def _with_values(table: pd.DataFrame, proxies: pd.Series) -> pd.DataFrame:
    """Add gross value columns worked out from the quantities shown (published counts: a
    suppressed count gives a withheld value, shown with the count's symbol)."""
    out = table.copy()

    def value(col: str) -> pd.Series:
        return pd.Series(
            [
                q * p if isinstance(q, int | float) else None
                for q, p in zip(out[col], proxies, strict=True)
            ],
            index=out.index,
            dtype=object,
        )

    committed, counted = value("Committed"), value("Counted as delivered")
    symbol = {i: q for i, q in out["Committed"].items() if not isinstance(q, int | float)}
    symbol |= {
        i: q for i, q in out["Counted as delivered"].items() if not isinstance(q, int | float)
    }
    for col, values in (
        (_VALUES["Committed"], committed),
        (_VALUES["Counted as delivered"], counted),
    ):
        out[col] = [money(v) if v is not None else symbol[i] for i, v in values.items()]
    out["Variance (gross)"] = [
        money(b - a) if a is not None and b is not None else symbol[i]
        for (i, a), b in zip(committed.items(), counted, strict=True)
    ]
    return out


def contract_tables(delivery: DeliveryResult, policy: str | dict) -> dict[str, ContractTables]:
    """Delivery to date by measure for each contract; counts of people through ``protect``,
    with their values worked out from the published (rounded) counts so that the values
    cannot give the exact counts away."""
    out = {}
    for contract, rows in delivery.lines.groupby("contract", sort=False):
        counted = rows["evidence"].isin(delivery.counted_statuses)
        rows = rows.assign(counted_quantity=rows["delivered"].where(counted, 0.0))
        to_date = (
            rows.groupby(["outcome", "unit", "counts_people", "proxy_rebased"], sort=False)
            .agg(
                Committed=("committed", "sum"),
                Delivered=("delivered", "sum"),
                **{"Counted as delivered": ("counted_quantity", "sum")},
            )
            .reset_index()
            .rename(columns={"outcome": "Outcome", "unit": "Unit"})
            .set_index("Outcome")
        )
        is_people = to_date["counts_people"].to_numpy(bool)
        people = to_date[is_people]
        safe = None
        if not people.empty:
            counts = people[["Unit", *_COUNTS]]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DisclosureWarning)
                safe = protect(counts, policy, counts=list(_COUNTS))
            safe = dataclasses.replace(
                safe, table=_with_values(safe.table, people["proxy_rebased"])
            )
        other = _with_values(
            to_date[~is_people][["Unit", *_COUNTS]], to_date["proxy_rebased"][~is_people]
        )
        notes = [c for c in ("period", "outcome", "evidence", "evidence_notes") if c in rows]
        evidence = rows[notes].rename(columns=lambda c: c.replace("_", " ").capitalize())
        out[contract] = ContractTables(safe, other.reset_index(), evidence)
    return out


def published_by_period(
    rows: pd.DataFrame, delivery: DeliveryResult, policy: str | dict
) -> tuple[pd.DataFrame, set[tuple[str, str]]]:
    """``rows`` with each period's counts of people as published under ``policy`` (rounded),
    and the (contract, period) pairs with a suppressed count, whose value would reveal it."""
    lines = delivery.lines
    people = lines["counts_people"].to_numpy(bool)
    published = rows.copy()
    if not people.any():
        return published, set()
    counts = lines.loc[people, ["committed", "delivered"]].set_index(rows.index[people])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DisclosureWarning)
        safe = protect(counts, policy, counts=["committed", "delivered"]).table
    hidden = ~safe.map(lambda v: isinstance(v, int | float)).all(axis=1).to_numpy()
    pairs = lines.loc[people, ["contract", "period"]].to_numpy()[hidden]
    withheld = {(str(c), str(p)) for c, p in pairs}
    for col in ("committed", "delivered"):
        column = published[col].astype(object).to_numpy().copy()
        column[people] = [str(v) for v in safe[col]]
        published[col] = column
    return published, withheld
