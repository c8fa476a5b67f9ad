"""The social value report of one locality's tenders and contracts, as HTML for the pipeline.

``notebooks/social_value.ipynb`` calls :func:`social_value_report_html` and nothing else. This
module is the pipeline's side of social value: it reads the programme spec (disclosure policy,
reporting period, locality names) and the input files, and hands DataFrames to
:mod:`evalkit.social_value`, which does the sums. Inputs sit beside the programme spec unless
named (:data:`INPUT_FILES`): ``social_value_bids.csv``, ``social_value_delivery.csv`` (optional),
``social_value_measures.csv`` (the financial proxies, each with its source and price year;
optional: without it evalkit's illustrative set is used and the report says so) and
``social_value_adjustments.csv`` (optional: without it only gross value is shown); any of them
may be an XLSX workbook instead, read with :func:`evalkit.intake.read_table`.

The report shows every proxy used with its source and price year, the price base and the
Green Book discounting of multi-year commitments, and checks the people-counting delivery claims
against the people the evaluation records as served (:func:`evalkit.social_value.check_claims`,
reading the processed records through :meth:`evalkit.reports.context.ReportContext.table`).

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
from evalkit.exceptions import ConfigError, DataError
from evalkit.intake.readers import read_table
from evalkit.plots import figure_html
from evalkit.reference import source_of
from evalkit.social_value import (
    BidScores,
    ClaimCheck,
    ContractTables,
    DeliveryResult,
    SocialValueResult,
    WeightingSensitivity,
    check_claims,
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
    "measures": "social_value_measures.csv",
    "adjustments": "social_value_adjustments.csv",
}
_DEFLATOR = "gdp_deflator_2024_100.csv"


@dataclass(frozen=True)
class SocialValueReport(Result):
    """What the social value report shows for one locality up to the end of one period.

    ``period`` is the reporting period as shown (the spec's label, or the period asked for);
    ``up_to`` the last day of delivery shown (None: every return). ``proxies`` lists each
    financial proxy used (bids and delivery); ``own_measures`` is True when they came from the
    user's measures table, False for evalkit's illustrative set. ``claims`` sets the delivery
    claims beside what the evaluation measured (None when it could not, ``claims_note`` says why).
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
    proxies: pd.DataFrame | None = None
    own_measures: bool = False
    financial_year: FinancialYearRule | None = None
    claims: ClaimCheck | None = None
    claims_note: str = ""

    def summary(self) -> str:
        """The bids and the publishable delivery figures in plain English."""
        parts = [r.summary() for r in (self.values, self.scores, self.visible_delivery) if r]
        if self.withheld_periods:
            parts.append(
                f"Delivery value totals are withheld for {'; '.join(self.withheld_periods)} "
                "because counts of people were suppressed."
            )
        if self.claims is not None:
            parts.append(self.claims.summary())
        elif self.claims_note:
            parts.append(self.claims_note)
        return " ".join(parts) or f"No social value tenders or contracts for {self.locality_name}."

    def to_html(self) -> str:
        """The report as HTML: every user string escaped, people counts protected."""
        e = html.escape
        out = [f"<h2>Social value: {e(self.locality_name)} ({e(self.locality)})</h2>"]
        if self.period:
            out.append(f"<p>Reporting period: {e(self.period)}.</p>")
        out += [f"<p class='evalkit-note'>{e(n)}</p>" for n in self.notes]
        if self.proxies is not None and not self.proxies.empty:
            out.append(_proxies_html(self))
        if self.values is not None and self.scores is not None:
            out.append(_bids_html(self.values, self.scores, self.sensitivity, self.policy))
        if self.delivery is not None:
            out.append(_delivery_html(self, self.delivery))
            out.append(_claims_html(self))
        return "\n".join(out)

    def _repr_html_(self) -> str:
        return self.to_html()


def _table_html(df: pd.DataFrame, policy: Any) -> str:
    """A table of money, scores or statuses (no counts of people), checked by disclosure control."""
    checked = protect(df, policy, counts=[], warn=False)
    return checked.to_html(index=False, classes="evalkit-table", na_rep="not assessed")


def _yes_no(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "not stated"
    return "yes" if bool(value) else "no"


def _pounds(x: float) -> str:
    """Pounds, with pence below £100."""
    return f"£{x:,.2f}" if abs(x) < 100 else money(x)


def _price_base_words(report: SocialValueReport) -> str:
    proxies = report.proxies
    year = report.price_year
    rebased = proxies is not None and bool(proxies["rebased"].any())
    if not rebased:
        return (
            f"Every proxy is already in {year} prices, so no price adjustment is made: all "
            f"values are in {year} prices."
        )
    record = source_of(_DEFLATOR)
    fy = {
        "weighted": " A financial-year price base such as 2016/17 counts as nine months of its "
        "first calendar year and three of the next.",
        "start": " A financial-year price base such as 2016/17 counts as its first calendar year.",
    }.get(str(report.financial_year), "")
    as_given = (
        f" Proxies already in {year} prices are used as given."
        if not proxies["rebased"].all()
        else ""
    )
    return (
        f"All values are in {year} prices. Proxies in other price years are brought to {year} "
        f"prices with the GDP deflator ({record['source'].rstrip('.')}, {record['vintage']} vintage, "
        f"{record['base']}): value in {year} prices = value x deflator for {year} / deflator for "
        f"the proxy's price year.{fy}{as_given}"
    )


def _proxies_html(report: SocialValueReport) -> str:
    e = html.escape
    proxies = report.proxies
    assert proxies is not None
    year = report.price_year
    shown = pd.DataFrame(
        {
            "Outcome": proxies["outcome"],
            "Unit": proxies["unit"],
            "Value per unit": proxies["proxy_value"].map(_pounds),
            "Price year": proxies["price_year"].astype(str),
            f"Value per unit in {year} prices": proxies["proxy_rebased"].map(_pounds),
            "Source": proxies["source"],
            "Licence": proxies["licence"],
            "Checked against the source": proxies["verified"].map(_yes_no),
        }
    )
    whose = (
        "The proxies are the ones supplied with this programme's social value inputs, each with "
        "its source and price year."
        if report.own_measures
        else "No proxies were supplied with this programme, so evalkit's small illustrative set "
        "is used (public sources, quoted with attribution). Replace it with your own licensed "
        "proxies for a real tender."
    )
    unchecked = shown["Checked against the source"].eq("no")
    caveat = (
        " Proxies marked 'no' under 'Checked against the source' have not been checked against "
        "their source document: check them before relying on the figures."
        if unchecked.any()
        else ""
    )
    return "\n".join(
        [
            "<h3>Financial proxies used</h3>",
            f"<p>A financial proxy is the value in pounds of one unit of an outcome. {e(whose)}"
            f"{e(caveat)}</p>",
            _table_html(shown, report.policy),
            f"<p>{e(_price_base_words(report))}</p>",
        ]
    )


def _by_year_html(values: SocialValueResult, tender: str, policy: Any) -> str:
    """Each bid's commitments by contract year: undiscounted, the discount factor, present value."""
    rows = values.by_year[values.by_year["tender"] == tender]
    if rows["year"].nunique() < 2:
        return ""
    shown = pd.DataFrame(
        {
            "Bidder": rows["bidder"],
            "Year of the contract": rows["year"] + 1,
            "Gross value in the year": rows["gross_undiscounted"].map(money),
            "Discount factor": rows["discount_factor"].map("{:.4f}".format),
            "Gross present value": rows["gross_present_value"].map(money),
        }
    )
    return (
        "<details><summary>Commitments by contract year, discounted to the start of the "
        "contract</summary>" + _table_html(shown, policy) + "</details>"
    )


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
        out.append(_by_year_html(values, tender, policy))
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


def _proxies(
    values: SocialValueResult | None, delivery: DeliveryResult | None
) -> pd.DataFrame | None:
    """The proxies used by the bids and the delivery returns, once each."""
    frames = [r.proxies for r in (values, delivery) if r is not None]
    if not frames:
        return None
    return pd.concat(frames, ignore_index=True).drop_duplicates("measure", ignore_index=True)


def _people_served(spec_path: str | Path, locality: str) -> tuple[pd.DataFrame | None, str]:
    """The people the evaluation records as served in ``locality`` (its processed records of
    participants, read as every report reads them), or None and why not."""
    from evalkit.reports.context import context

    if not spec_path:
        return None, (
            "Delivery claims are not checked against the evaluation: without a programme spec "
            "there are no records of the people served."
        )
    try:
        ctx = context(str(spec_path), locality)
        people = ctx.table(ctx.spec.people_source)
    except (ConfigError, DataError):
        return None, (
            "Delivery claims are not checked against the evaluation: its records of the people "
            "served here have not been prepared yet (run the evaluation first)."
        )
    if "group" in people:
        people = people[people["group"] == "participant"]
    return people, ""


def _claims_html(report: SocialValueReport) -> str:
    e = html.escape
    out = ["<h3>Delivery claims checked against the evaluation</h3>"]
    claims = report.claims
    if claims is None:
        out.append(f"<p>{e(report.claims_note)}</p>")
        return "\n".join(out)
    out.append(
        "<p>Each delivery claim that counts people is set beside the people the evaluation "
        "records as served here: a claim to have helped more people than the service served "
        "cannot be right as it stands. Claims are compared whatever their evidence. Counts "
        "are rounded or suppressed as the disclosure policy requires.</p>"
    )
    flags = claims.flags()
    if flags:
        out.append(
            "<div class='evalkit-callout'><p><strong>Claims that exceed what the evaluation "
            "measured</strong></p><ul>" + "".join(f"<li>{e(f)}</li>" for f in flags) + "</ul></div>"
        )
    rest = claims.summary()
    for f in flags:
        rest = rest.replace(f, "").strip()
    if rest:
        out.append(f"<p>{e(rest)}</p>")
    return "\n".join(out)


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
    measures_file = locate(measures_path) if measures_path else folder / INPUT_FILES["measures"]
    if measures_path and not measures_file.is_file():
        raise DataError(
            f"{measures_file}: measures table not found; expected a CSV or XLSX file of financial "
            "proxies, each with its source and price year"
        )
    measures = _read(measures_file) if measures_file.is_file() else None
    weights = weights or {"price": 0.5, "quality": 0.4, "social_value": 0.1}
    notes = []
    bids = _filter_locality(_read(bids_file), locality)
    values = scores = sens = None
    if bids.empty:
        notes.append("No tender for this locality in the bids table.")
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
    delivery = visible = claims = None
    claims_note = ""
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
            served, claims_note = _people_served(spec_path, locality)
            if served is not None:
                claims = check_claims(
                    delivery, served, area=defaults.locality_name(locality), policy=policy
                )
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
        proxies=_proxies(values, delivery),
        own_measures=measures is not None,
        financial_year=financial_year,
        claims=claims,
        claims_note=claims_note,
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
