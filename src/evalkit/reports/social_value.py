"""The social value report of one locality's tenders and contracts, as HTML for the pipeline.

``notebooks/social_value.ipynb`` calls :func:`social_value_report_html` and nothing else. This
module is the pipeline's side of social value: it reads the programme spec (disclosure policy,
reporting period, locality names) and the input files, and hands DataFrames to
:mod:`evalkit.social_value`, which does the sums. Inputs sit beside the programme spec unless
named (:data:`INPUT_FILES`): ``social_value_bids.csv``, ``social_value_delivery.csv`` (optional)
and ``social_value_adjustments.csv`` (optional: without it only gross value is shown); any of
them may be an XLSX workbook instead, read with :func:`evalkit.intake.read_table`.

Delivery is shown up to the end of the spec's reporting period: returns for periods that had
not ended by then are left out, and the report says so. Every piece of user text is
HTML-escaped. Delivery quantities of measures that count people pass through
:func:`evalkit.disclosure.protect`; value totals that would reveal a suppressed count are
withheld. Bid commitments are promises, not records about people, and are shown as submitted.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit._results import Result
from evalkit.disclosure import protect
from evalkit.econ.prices import FinancialYearRule
from evalkit.exceptions import DataError
from evalkit.intake.readers import read_table
from evalkit.plots import figure_html
from evalkit.social_value import (
    BidScores,
    ContractTables,
    DeliveryResult,
    SocialValueResult,
    WeightingSensitivity,
    combined_scores,
    contract_tables,
    delivery_against_commitments,
    delivery_up_to,
    header,
    money,
    period_end,
    published_by_period,
    social_value,
    weighting_sensitivity,
)
from evalkit.social_value.charts import (
    bid_value_chart,
    delivery_chart,
    score_chart,
    sensitivity_chart,
)

__all__ = [
    "INPUT_FILES",
    "SocialValueReport",
    "social_value_report",
    "social_value_report_html",
]

#: The input files the report reads beside the programme spec unless told otherwise.
INPUT_FILES = {
    "bids": "social_value_bids.csv",
    "delivery": "social_value_delivery.csv",
    "adjustments": "social_value_adjustments.csv",
}


@dataclass(frozen=True)
class SocialValueReport(Result):
    """What the social value report shows for one locality up to the end of one period.

    ``period`` is the reporting period as shown (the spec's label, or the period asked for);
    ``up_to`` the last day of delivery shown (None: every return).
    """

    locality: str
    locality_name: str
    period: str
    up_to: dt.date | None
    price_year: str
    values: SocialValueResult | None
    scores: BidScores | None
    sensitivity: WeightingSensitivity | None
    delivery: DeliveryResult | None
    policy: str | dict
    count_partly: bool
    notes: tuple[str, ...]
    contract_tables: dict[str, ContractTables]
    withheld_periods: tuple[str, ...]
    visible_delivery: DeliveryResult | None

    def summary(self) -> str:
        """The bids and the publishable delivery figures in plain English."""
        parts = [r.summary() for r in (self.values, self.scores, self.visible_delivery) if r]
        if self.withheld_periods:
            parts.append(
                f"Delivery value totals are withheld for {'; '.join(self.withheld_periods)} "
                "because counts of people were suppressed."
            )
        return " ".join(parts) or f"No social value tenders or contracts for {self.locality_name}."

    def to_html(self) -> str:
        """The report as HTML: every user string escaped, people counts protected."""
        e = html.escape
        out = [f"<h2>Social value: {e(self.locality_name)} ({e(self.locality)})</h2>"]
        if self.period:
            out.append(f"<p>Reporting period: {e(self.period)}.</p>")
        out += [f"<p class='evalkit-note'>{e(n)}</p>" for n in self.notes]
        if self.values is not None and self.scores is not None:
            out.append(_bids_html(self.values, self.scores, self.sensitivity, self.policy))
        if self.delivery is not None:
            out.append(_delivery_html(self, self.delivery))
        return "\n".join(out)

    def _repr_html_(self) -> str:
        return self.to_html()


def _table_html(df: pd.DataFrame, policy: Any) -> str:
    """A table of money, scores or statuses (no counts of people), checked by disclosure control."""
    checked = protect(df, policy, counts=[], warn=False)
    return checked.to_html(index=False, classes="evalkit-table", na_rep="not assessed")


def _bids_html(
    values: SocialValueResult,
    scores: BidScores,
    sens: WeightingSensitivity | None,
    policy: Any,
) -> str:
    e = html.escape
    out = []
    for tender in values.bids["tender"].unique():
        bids = values.bids[values.bids["tender"] == tender]
        shown = pd.DataFrame(
            {
                "Bidder": bids["bidder"],
                "Price": bids["price"].map(money),
                "Quality score": bids["quality"],
                "Gross social value": bids["gross_social_value"].map(money),
                "Net social value": bids["net_social_value"].map(money, na_action="ignore"),
                "Gross per £1 of price": bids["gross_per_pound"].map("£{:.2f}".format),
                "Net per £1 of price": bids["net_per_pound"].map(
                    "£{:.2f}".format, na_action="ignore"
                ),
                "Gross as % of price": bids["gross_share_of_price"].map("{:.1f}%".format),
            }
        )
        out += [f"<h3>Bids compared: {e(tender)}</h3>", _table_html(shown, policy)]
        out.append(figure_html(*bid_value_chart(values, tender)))
        out.append(figure_html(*score_chart(scores, tender)))
        if sens is not None:
            out.append(figure_html(*sensitivity_chart(sens, tender)))
    out.append(f"<p>{e(values.summary())}</p>")
    out.append(f"<p>{e(scores.summary())}</p>")
    if sens is not None:
        out.append(f"<p>{e(sens.summary())}</p>")
    out.append(
        "<p>Bid commitments are promises made in a tender, not records about people, so they "
        "are shown as submitted.</p>"
    )
    return "\n".join(out)


def _delivery_html(report: SocialValueReport, delivery: DeliveryResult) -> str:
    e = html.escape
    counted = " and ".join(delivery.counted_statuses)
    up_to = f", up to {_day(report.up_to)}" if report.up_to else ""
    out = [f"<h3>Delivery against commitments{e(up_to)}</h3>"]
    for contract, tables in report.contract_tables.items():
        out.append(f"<h4>{e(contract)}: to date</h4>")
        if tables.people is not None:
            out.append(tables.people.to_html())
            out.append(
                "<p>Values for counts of people are worked out from the counts as published "
                "(rounded), so that they cannot be used to recover the exact counts.</p>"
            )
        if not tables.other.empty:
            out.append(_table_html(tables.other, report.policy))
        out.append("<details><summary>Evidence status and notes by period</summary>")
        out.append(_table_html(tables.evidence, report.policy) + "</details>")
    withheld = report.withheld_periods
    if withheld:
        out.append(
            f"<p>Value totals are withheld for {e('; '.join(withheld))}: with "
            "suppressed counts of people they could be used to work those counts out.</p>"
        )
    visible = report.visible_delivery
    if visible is not None:
        by = visible.by_contract
        shown = pd.DataFrame(
            {
                "Contract": by["contract"],
                "Period": by["period"],
                "Committed (gross)": by["gross_committed_value"].map(money),
                "Evidenced (gross)": by["gross_evidenced_value"].map(money),
                "Partly evidenced (gross)": by["gross_partly_value"].map(money),
                "Not evidenced (gross)": by["gross_not_evidenced_value"].map(money),
                "Counted as delivered (gross)": by["gross_counted_value"].map(money),
                "Variance (gross)": by["gross_variance"].map(money),
            }
        )
        out.append(
            "<h4>Value by period</h4><p>Worked out from counts of people as published "
            "(rounded).</p>" + _table_html(shown, report.policy)
        )
        for contract in by["contract"].unique():
            out.append(figure_html(*delivery_chart(by, contract, delivery.price_year)))
        out.append(f"<p>{e(visible.summary())}</p>")
    out.append(
        f"<p>Counted as delivered: {e(counted)} delivery only. Delivery claimed without evidence "
        "is never counted; gross values are before deadweight, displacement and attribution.</p>"
    )
    return "\n".join(out)


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"


def _filter_locality(df: pd.DataFrame, locality: str) -> pd.DataFrame:
    if "locality_code" not in df:
        return df
    mine = df[df["locality_code"].astype(str).str.strip() == locality]
    mine.attrs = dict(df.attrs)
    return mine


@dataclass(frozen=True)
class _Defaults:
    """What the report takes from the programme spec (or its stand-ins without one)."""

    folder: Path
    policy: str | dict
    period: str
    end: dt.date | None
    locality_name: Callable[[str], str]


def _spec_defaults(spec_path: str | Path) -> _Defaults:
    """The spec's folder, disclosure policy, reporting period (label and end) and locality
    names; without a spec (empty ``spec_path``) the working folder, the NHS policy, no period
    and the names of evalkit's list of local authorities."""
    from evalkit.reference import known_locality_name

    if not spec_path:
        return _Defaults(Path.cwd(), "nhs", "", None, lambda c: known_locality_name(c) or c)
    from evalkit.config import load_spec, locate

    path = locate(spec_path)
    spec = load_spec(path)
    period = spec.reporting_period
    return _Defaults(
        path.parent, spec.disclosure.policy, period.label, period.end, spec.locality_name
    )


def _period(asked: str, defaults: _Defaults) -> tuple[str, dt.date | None]:
    """The period shown and the last day of delivery: ``asked`` if given, else the spec's (also
    when ``asked`` is the spec's own label)."""
    if not str(asked).strip() or str(asked).strip() == defaults.period:
        return defaults.period, defaults.end
    end = period_end(asked)
    if end is None:
        raise DataError(
            f"period {asked!r} is not a reporting period; expected a financial year such as "
            "'2024/25', a quarter such as '2024Q3' or a year such as 2024 (or leave it empty "
            "for the spec's reporting period)"
        )
    return str(asked).strip(), end


def _read(path: Path) -> pd.DataFrame:
    """A CSV or XLSX input, read as evalkit reads every input, with normalised headers."""
    df = read_table(path)
    df.columns = [header(c) for c in df.columns]
    df.attrs["source"] = str(path)
    return df


def social_value_report(
    spec_path: str | Path,
    locality: str,
    period: str = "",
    *,
    bids_path: str | Path = "",
    delivery_path: str | Path = "",
    measures_path: str | Path = "",
    adjustments_path: str | Path = "",
    price_year: int | str = 2024,
    financial_year: FinancialYearRule | None = "weighted",
    weights: dict[str, float] | None = None,
    basis: str = "gross",
    count_partly: bool = False,
) -> SocialValueReport:
    """Gather the social value report of ``locality``: its tenders' bids and its contracts'
    delivery up to the end of ``period``.

    ``period`` empty means the spec's reporting period: its label is shown and delivery is
    counted for the periods that had ended by its end date. A period may also be given as a
    financial year (``2024/25``), a quarter (``2024Q3``) or a year (``2024``).

    Files default to :data:`INPUT_FILES` beside the spec; measures to the shipped illustrative
    set. Paths given are read as given or, when relative and not found, from the project folder
    (as notebooks write them). Rows are kept where ``locality_code`` equals ``locality`` (all
    rows without that column).
    """
    from evalkit.config import locate

    defaults = _spec_defaults(spec_path)
    shown, end = _period(period, defaults)
    folder = defaults.folder
    policy = defaults.policy
    bids_file = locate(bids_path) if bids_path else folder / INPUT_FILES["bids"]
    if not bids_file.is_file():
        raise DataError(
            f"{bids_file}: bids table not found; expected a CSV or XLSX file of bids (pass "
            "bids_path=, or run `evalkit demo` for an example)"
        )
    adj_file = locate(adjustments_path) if adjustments_path else folder / INPUT_FILES["adjustments"]
    adjustments = _read(adj_file) if adj_file.is_file() else None
    measures = _read(locate(measures_path)) if measures_path else None
    weights = weights or {"price": 0.5, "quality": 0.4, "social_value": 0.1}
    notes = []
    bids = _filter_locality(_read(bids_file), locality)
    values = scores = sens = None
    if bids.empty:
        notes.append(f"No tender for this locality in {bids_file.name}.")
    else:
        values = social_value(
            bids,
            measures,
            adjustments=adjustments,
            price_year=price_year,
            financial_year=financial_year,
        )
        scores = combined_scores(values, weights, basis=basis)  # type: ignore[arg-type]
        sens = weighting_sensitivity(values, weights)
    delivery_file = locate(delivery_path) if delivery_path else folder / INPUT_FILES["delivery"]
    delivery = visible = None
    tables: dict[str, ContractTables] = {}
    withheld: set[tuple[str, str]] = set()
    if not delivery_file.is_file():
        notes.append("No delivery returns yet (no social value delivery file).")
    else:
        rows = _filter_locality(_read(delivery_file), locality)
        if end is not None and not rows.empty:
            rows, later = delivery_up_to(rows, end)
            if later:
                notes.append(
                    f"Delivery returns for periods that had not ended by {_day(end)} are not "
                    f"shown: {', '.join(later)}."
                )
        if rows.empty:
            until = f" up to {_day(end)}" if end else ""
            notes.append(f"No delivery returns for this locality{until}.")
        else:
            options = {
                "adjustments": adjustments,
                "price_year": price_year,
                "financial_year": financial_year,
                "count_partly": count_partly,
            }
            delivery = delivery_against_commitments(rows, measures, **options)
            tables = contract_tables(delivery, policy)
            published, withheld = published_by_period(rows, delivery, policy)
            pairs = pd.MultiIndex.from_frame(published[["contract", "period"]].astype(str))
            keep = published[~pairs.isin(list(withheld))]
            if not keep.empty:
                visible = delivery_against_commitments(keep, measures, **options)
    return SocialValueReport(
        locality=locality,
        locality_name=defaults.locality_name(locality),
        period=shown,
        up_to=end,
        price_year=str(price_year),
        values=values,
        scores=scores,
        sensitivity=sens,
        delivery=delivery,
        policy=policy,
        count_partly=count_partly,
        notes=tuple(notes),
        contract_tables=tables,
        withheld_periods=tuple(f"{c}, {p}" for c, p in sorted(withheld)),
        visible_delivery=visible,
    )


def social_value_report_html(
    spec_path: str,
    locality: str,
    period: str = "",
    **options: object,
) -> str:
    """:func:`social_value_report` as HTML (the notebook displays this). Keyword options as
    for :func:`social_value_report`; gross-only results raise EvidenceWarnings, which the
    report states in its text."""
    return social_value_report(spec_path, locality, period, **options).to_html()  # type: ignore[arg-type]
