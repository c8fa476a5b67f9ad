"""Social value commitments against delivery, per contract and period, by strength of evidence.

Delivery that a provider reports without evidence is never counted as delivered value; partly
evidenced delivery is counted only when the caller says so (``count_partly=True``), and the
summary always says what was counted and what was left out.

Delivery is returned by period: a financial year (``2024/25``), a quarter (``2024Q3``) or a
calendar year (``2024``). :func:`delivery_up_to` keeps the returns for periods that had ended by
a given date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

from evalkit._results import Result
from evalkit.econ.prices import FinancialYearRule, parse_price_year
from evalkit.exceptions import DataError
from evalkit.intake.schemas import Column
from evalkit.social_value._tables import EVIDENCE_STATUSES, check_table, evidence, row_names
from evalkit.social_value.value import money, priced_lines

__all__ = [
    "DELIVERY_COLUMNS",
    "DeliveryResult",
    "delivery_against_commitments",
    "delivery_up_to",
    "period_end",
]

#: The columns of a delivery table (a column that may be empty may also be left out).
DELIVERY_COLUMNS = (
    Column("contract", "text"),
    Column("period", "text"),
    Column("measure", "text"),
    Column("committed", "number", low=0),
    Column("delivered", "number", low=0),
    evidence("evidence"),
    Column("provider", "text", nullable=True),
    Column("locality_code", "text", nullable=True),
    Column("evidence_notes", "text", nullable=True),
)
_FINANCIAL_YEAR = re.compile(r"(\d{4})/(\d{2})")
_QUARTER = re.compile(r"(\d{4}) ?Q([1-4])")
_YEAR = re.compile(r"\d{4}")
_SLUG = {"evidenced": "evidenced", "partly evidenced": "partly", "not evidenced": "not_evidenced"}


@dataclass(frozen=True)
class DeliveryResult(Result):
    """Committed and delivered social value, per line and per contract and period.

    ``lines``: one row per contract, period and measure with the quantities, evidence status
    and ``<basis>_committed_value``, ``<basis>_delivered_value`` (as claimed),
    ``<basis>_counted_value`` (what counts as delivered) and ``<basis>_variance`` (counted minus
    committed) for basis gross and, where adjustments cover the measure, net.
    ``by_contract``: per contract and period, committed value, delivered value by evidence
    status, counted value, variance and ``<basis>_delivery_rate`` (counted / committed).
    ``proxies``: one row per measure used (:func:`~evalkit.social_value.value.proxies_used`).
    Delivery is compared period by period in one price year and is not discounted.
    """

    lines: pd.DataFrame
    by_contract: pd.DataFrame
    price_year: str
    counted_statuses: tuple[str, ...]
    net_available: bool
    method: str
    proxies: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The per-contract, per-period table."""
        return self.by_contract.copy()

    def summary(self) -> str:
        """Each contract and period in plain English: committed, counted, left out."""
        counted = " and ".join(self.counted_statuses)
        parts = [f"Social value delivery in {self.price_year} prices, gross (before deadweight)."]
        for row in self.by_contract.to_dict("records"):
            text = (
                f"{row['contract']}, {row['period']}: commitments worth "
                f"{money(row['gross_committed_value'])}; delivery counted ({counted}) worth "
                f"{money(row['gross_counted_value'])}"
            )
            if row["gross_committed_value"] > 0:
                text += f", {row['gross_delivery_rate']:.0%} of the commitment"
            text += f", a variance of {money(row['gross_variance'])}."
            left = []
            if "partly evidenced" not in self.counted_statuses and row["gross_partly_value"] > 0:
                left.append(f"{money(row['gross_partly_value'])} claimed with partial evidence")
            if row["gross_not_evidenced_value"] > 0:
                left.append(f"{money(row['gross_not_evidenced_value'])} claimed with no evidence")
            if left:
                text += f" A further {' and '.join(left)} is not counted as delivered."
            if self.net_available:
                text += (
                    f" Net of deadweight, displacement and attribution: committed "
                    f"{money(row['net_committed_value'])}, counted "
                    f"{money(row['net_counted_value'])}."
                )
            parts.append(text)
        return " ".join(parts)


def delivery_against_commitments(
    delivery: pd.DataFrame,
    measures: pd.DataFrame | None = None,
    *,
    adjustments: pd.DataFrame | None = None,
    price_year: int | str = 2024,
    financial_year: FinancialYearRule | None = None,
    count_partly: bool = False,
) -> DeliveryResult:
    """Compare delivered social value with what was committed, per contract and period.

    Parameters
    ----------
    delivery
        One row per contract, period and measure (a CSV or XLSX file as
        :func:`evalkit.intake.read_table` reads it, or a DataFrame made by hand): ``contract``,
        ``period``, ``measure``, ``committed`` and ``delivered`` quantities, ``evidence``
        ('evidenced', 'partly evidenced' or 'not evidenced'); optionally ``provider``,
        ``locality_code`` and ``evidence_notes`` (free text: escape it before publishing).
    measures, adjustments, price_year, financial_year
        As for :func:`~evalkit.social_value.social_value`.
    count_partly
        Count partly evidenced delivery as delivered (default False: only evidenced delivery
        counts). Delivery without evidence is never counted.

    Notes
    -----
    Per line: committed value :math:`= c\\,p`, delivered value :math:`= d\\,p` with :math:`p` the
    proxy rebased to ``price_year``; counted value = delivered value when the evidence status is
    counted, else 0; variance = counted - committed. Net values multiply by
    :math:`(1-d)(1-s)(1-a)` of the measure.
    """
    target = str(parse_price_year(price_year, name="price_year"))
    table = check_table(delivery, DELIVERY_COLUMNS, what="delivery table")
    lines, missing = priced_lines(
        table, ("committed", "delivered"), measures, adjustments, price_year, financial_year
    )
    proxies = lines.attrs.pop("proxies")
    counted = ("evidenced", "partly evidenced") if count_partly else ("evidenced",)
    is_counted = lines["evidence"].isin(counted)
    bases = ("gross", "net") if not missing else ("gross",)
    for basis in bases:
        lines = lines.rename(
            columns={
                f"{basis}_committed": f"{basis}_committed_value",
                f"{basis}_delivered": f"{basis}_delivered_value",
            }
        )
        lines[f"{basis}_counted_value"] = lines[f"{basis}_delivered_value"].where(is_counted, 0.0)
        lines[f"{basis}_variance"] = (
            lines[f"{basis}_counted_value"] - lines[f"{basis}_committed_value"]
        )
        for status, slug in _SLUG.items():
            lines[f"{basis}_{slug}_value"] = lines[f"{basis}_delivered_value"].where(
                lines["evidence"] == status, 0.0
            )
    lines = lines.drop(columns=[c for c in ("net_committed", "net_delivered") if c in lines])
    value_cols = [
        f"{basis}_{kind}"
        for basis in bases
        for kind in (
            "committed_value",
            *(f"{slug}_value" for slug in _SLUG.values()),
            "counted_value",
            "variance",
        )
    ]
    by = lines.groupby(["contract", "period"], sort=True)[value_cols].sum().reset_index()
    for basis in bases:
        committed = by[f"{basis}_committed_value"]
        by[f"{basis}_delivery_rate"] = (by[f"{basis}_counted_value"] / committed).where(
            committed > 0
        )
    return DeliveryResult(
        lines=lines,
        by_contract=by,
        price_year=target,
        counted_statuses=counted,
        net_available=not missing,
        proxies=proxies,
        method=(
            "value = quantity x proxy rebased with the GDP deflator; counted as delivered: "
            + ", ".join(counted)
            + f"; never counted: {', '.join(s for s in EVIDENCE_STATUSES if s not in counted)}"
        ),
    )


def period_end(label: str) -> dt.date | None:
    """The last day of a delivery period: a UK financial year (``2024/25`` ends 31 March 2025),
    a quarter (``2024Q3`` ends 30 September 2024) or a calendar year; None for another form."""
    text = str(label).strip()
    if match := _FINANCIAL_YEAR.fullmatch(text):
        first = int(match.group(1))
        return dt.date(first + 1, 3, 31) if int(match.group(2)) == (first + 1) % 100 else None
    if match := _QUARTER.fullmatch(text):
        year, quarter = int(match.group(1)), int(match.group(2))
        return (pd.Timestamp(year=year, month=3 * quarter, day=1) + pd.offsets.MonthEnd(0)).date()
    if _YEAR.fullmatch(text):
        return dt.date(int(text), 12, 31)
    return None


def delivery_up_to(rows: pd.DataFrame, end: dt.date) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The delivery returns of ``rows`` for periods that had ended by ``end`` (inclusive), and
    the labels of the later periods left out.

    A period still running on ``end`` is left out: its return covers time after the date.

    Raises
    ------
    DataError
        A period that is not a financial year (``2024/25``), a quarter (``2024Q3``) or a year
        (``2024``), naming the source, row and value.
    """
    labels = rows["period"].astype(str).str.strip()
    ends = labels.map(period_end)
    bad = ends.isna().to_numpy()
    if bad.any():
        i = int(bad.argmax())
        source = rows.attrs.get("source", "delivery table")
        raise DataError(
            f"{source}, row {row_names(rows)[i]}, column 'period': value {labels.iloc[i]!r} is "
            "not a period evalkit can place in time; expected a financial year such as "
            "'2024/25', a quarter such as '2024Q3' or a year such as 2024"
        )
    keep = (ends <= end).to_numpy(dtype=bool)
    later = tuple(sorted(set(labels[~keep])))
    kept = rows[keep]
    kept.attrs = dict(rows.attrs)
    return kept, later
