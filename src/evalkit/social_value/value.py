"""The social value of bids: gross (quantity x proxy) and net of deadweight, displacement and
attribution, in one price year, per pound of contract value and as a share of it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit._results import Result
from evalkit.econ.discounting import discount_factors, discount_schedule
from evalkit.econ.prices import FinancialYearRule, parse_price_year, rebase
from evalkit.exceptions import DataError, EvidenceWarning, ParameterError
from evalkit.intake.schemas import Column
from evalkit.social_value._tables import Table, check_table, pounds
from evalkit.social_value.measures import (
    check_adjustments,
    check_measures,
    illustrative_measures,
)

__all__ = [
    "BID_COLUMNS",
    "PROXY_COLUMNS",
    "SocialValueResult",
    "money",
    "priced_lines",
    "proxies_used",
    "rebase_factors",
    "social_value",
]

#: The columns of a bids table (a column that may be empty may also be left out).
BID_COLUMNS = (
    Column("tender", "text"),
    Column("bidder", "text"),
    pounds("price"),
    Column("measure", "text"),
    Column("quantity", "number", low=0),
    Column("quality", "number", nullable=True, low=0),
    Column("year", "integer", nullable=True, low=0, hint="0 is the first year of the contract"),
    Column("locality_code", "text", nullable=True),
)
_BID_LEVEL = ("price", "quality", "locality_code")


def money(x: float) -> str:
    """Pounds to the nearest pound, minus sign before the pound sign."""
    return f"-£{-x:,.0f}" if x < 0 else f"£{x:,.0f}"


def _measures(measures: pd.DataFrame | None) -> pd.DataFrame:
    return illustrative_measures() if measures is None else check_measures(measures)


def rebase_factors(
    measures: pd.DataFrame, price_year: int | str, financial_year: FinancialYearRule | None
) -> dict[str, float]:
    """The factor taking each measure's proxy from its own price year to ``price_year``.

    A proxy already in ``price_year`` prices is used as given (factor 1, no deflator needed);
    any other is rebased with :func:`evalkit.econ.rebase` (GDP deflator). Proxies are never
    summed across price years without rebasing.

    Raises
    ------
    ParameterError
        A price year the deflator does not cover, or a financial year without
        ``financial_year`` (naming the measure).
    """
    target = str(parse_price_year(price_year, name="price_year"))
    factors = {}
    for measure, year in measures.set_index("measure")["price_year"].items():
        if str(year) == target:
            factors[measure] = 1.0
            continue
        try:
            factors[measure] = float(rebase(1.0, year, price_year, financial_year=financial_year))
        except ParameterError as exc:
            raise ParameterError(
                f"measure {measure!r} (proxy price year {year}): {exc}; give the proxy in a "
                "price year the deflator covers, or report in its own price year"
            ) from None
    return factors


#: The columns of :func:`proxies_used`, in order.
PROXY_COLUMNS = (
    "measure",
    "outcome",
    "unit",
    "proxy_value",
    "price_year",
    "proxy_rebased",
    "rebased",
    "source",
    "licence",
    "verified",
)


def proxies_used(
    measures: pd.DataFrame, factors: dict[str, float], price_year: int | str
) -> pd.DataFrame:
    """One row per measure used: its proxy as given (value, price year, source, licence,
    whether checked against the source) and in ``price_year`` prices (``proxy_rebased``;
    ``rebased`` is False where the proxy was already in that price year)."""
    out = measures.copy()
    if "verified" not in out:
        out["verified"] = pd.NA
    out["proxy_rebased"] = out["proxy_value"] * out["measure"].map(factors)
    out["rebased"] = out["measure"].map(factors) != 1.0
    out = out[list(PROXY_COLUMNS)].reset_index(drop=True)
    out.attrs = {"price_year": str(parse_price_year(price_year, name="price_year"))}
    return out


def priced_lines(
    table: Table,
    quantity_columns: tuple[str, ...],
    measures: pd.DataFrame | None,
    adjustments: pd.DataFrame | None,
    price_year: int | str,
    financial_year: FinancialYearRule | None,
) -> tuple[pd.DataFrame, list[str]]:
    """Join each row of ``table`` to its measure, rebase the proxy and value each quantity.

    Adds ``proxy_rebased``, ``gross_<q>`` for each quantity column ``q`` and, when the measure
    has adjustments, ``net_factor`` and ``net_<q>`` (NaN with ``net_assessed`` False when not).
    Returns the lines (``attrs['proxies']``: :func:`proxies_used`) and the measures used that
    have no adjustments.

    Raises
    ------
    DataError
        A measure not in the measures table (naming the row and the known measures).
    ParameterError
        A proxy price year outside the deflator, or a financial year without ``financial_year``
        (naming the measure).
    """
    book = _measures(measures)
    lines = table.frame
    known = set(book["measure"])
    unknown = ~lines["measure"].isin(known)
    if unknown.any():
        i = int(unknown.to_numpy().argmax())
        raise DataError(
            f"{table.where(i)}, column 'measure': value {lines['measure'].iloc[i]!r} is not in "
            f"the measures table ({book.attrs.get('source', 'measures')}); expected one of "
            f"{', '.join(map(repr, sorted(known)))}"
        )
    keep = ["measure", "theme", "outcome", "unit", "counts_people", "proxy_value", "price_year"]
    lines = lines.merge(book[keep], on="measure", how="left", validate="many_to_one")
    used = book[book["measure"].isin(set(lines["measure"]))]
    factors = rebase_factors(used, price_year, financial_year)
    lines["proxy_rebased"] = lines["proxy_value"] * lines["measure"].map(factors)
    lines.attrs["proxies"] = proxies_used(used, factors, price_year)
    for q in quantity_columns:
        lines[f"gross_{q}"] = lines[q] * lines["proxy_rebased"]
    missing: list[str] = sorted(set(lines["measure"]))
    lines["net_assessed"] = False
    lines["net_factor"] = np.nan
    if adjustments is not None:
        adj = check_adjustments(adjustments)
        adj["net_factor"] = (
            (1 - adj["deadweight"]) * (1 - adj["displacement"]) * (1 - adj["attribution"])
        )
        cols = ["deadweight", "displacement", "attribution", "net_factor"]
        mapped = lines[["measure"]].merge(adj[["measure", *cols]], on="measure", how="left")
        for col in cols:
            lines[col] = mapped[col].to_numpy(dtype=float)
        lines["net_assessed"] = lines["net_factor"].notna()
        missing = sorted(set(lines.loc[~lines["net_assessed"], "measure"]))
    for q in quantity_columns:
        lines[f"net_{q}"] = lines[f"gross_{q}"] * lines["net_factor"]
    return lines, missing


@dataclass(frozen=True)
class SocialValueResult(Result):
    """Gross and net social value of each bid in one price year.

    ``bids`` has one row per bid: tender, bidder, price, quality, ``gross_social_value``,
    ``net_social_value`` (NaN where ``net_available`` is False), ``gross_per_pound`` and
    ``net_per_pound`` (social value per pound of contract value), ``gross_share_of_price`` and
    ``net_share_of_price`` (the same as a percentage of the contract value). ``lines`` has one
    row per commitment. ``proxies`` has one row per measure used
    (:func:`proxies_used`). ``by_year`` has one row per bid and contract year: ``gross_undiscounted``
    and ``net_undiscounted`` (in ``price_year`` prices), ``discount_factor`` and
    ``gross_present_value``, ``net_present_value``.
    """

    bids: pd.DataFrame
    lines: pd.DataFrame
    price_year: str
    net_available: bool
    unassessed_measures: tuple[str, ...]
    discounting: str
    method: str
    proxies: pd.DataFrame
    by_year: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """One row per bid (see the class notes)."""
        return self.bids.copy()

    def summary(self) -> str:
        """Each bid's gross and (where assessed) net social value in plain English."""
        parts = []
        for row in self.bids.itertuples():
            text = (
                f"{row.bidder} ({row.tender}) commits gross social value of "
                f"{money(row.gross_social_value)} (£{row.gross_per_pound:.2f} per £1 of its "
                f"{money(row.price)} price)"
            )
            if row.net_available:
                text += (
                    f"; net of deadweight, displacement and attribution "
                    f"{money(row.net_social_value)} (£{row.net_per_pound:.2f} per £1)"
                )
            else:
                text += "; net social value not assessed, so only the gross figure is available"
            parts.append(text + ".")
        caveat = (
            ""
            if self.net_available
            else " Gross figures count every committed outcome at full proxy value, including "
            "what would have happened anyway: they overstate what a contract adds."
        )
        return (
            f"Social value in {self.price_year} prices. "
            + " ".join(parts)
            + f" {self.discounting}"
            + caveat
        )


def discounting_words(schedule: str | float, last_year: int) -> str:
    """How multi-year commitments are discounted, in plain English: the schedule's name, the
    rates that reach ``last_year`` and the convention of :mod:`evalkit.econ.discounting` (year 0,
    the first year, not discounted; each year's rate applies to the step into that year)."""
    if last_year == 0:
        return "Every commitment falls in the first year of the contract, so none is discounted."
    sched = discount_schedule(schedule)
    rates = "; ".join(
        f"{rate:.2%} a year up to year {hi}" if hi is not None else f"{rate:.2%} a year after that"
        for lo, hi, rate in sched.bands
        if lo <= last_year
    )
    step = f"{1 + sched.bands[0][2]:.4g}"
    return (
        "Commitments for later years of a contract are discounted to their present value at the "
        f"start of the contract, as the HM Treasury Green Book does: {rates}. The "
        "first year of the contract (year 0 in the Green Book's counting) is not discounted, and "
        "each year's commitment counts as one amount for that year: the second year's commitment "
        f"is divided by {step}, the third year's by {step} x {step}, and so on."
    )


def _plain(value: object) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    return f"{value:g}" if isinstance(value, float | int) else repr(value)


def _bid_level(table: Table) -> pd.DataFrame:
    """One row per (tender, bidder); DataError if price or quality differ within a bid."""
    frame = table.frame
    present = [c for c in _BID_LEVEL if c in frame]
    for col in present:
        firsts = frame.groupby(["tender", "bidder"], sort=False)[col].transform("first")
        same = (frame[col] == firsts) | (frame[col].isna() & firsts.isna())
        if not same.all():
            i = int((~same).to_numpy().argmax())
            raise DataError(
                f"{table.where(i)}, column {col!r}: value {_plain(frame[col].iloc[i])} differs from "
                f"{_plain(firsts.iloc[i])} given earlier for {frame['bidder'].iloc[i]!r} in tender "
                f"{frame['tender'].iloc[i]!r}; expected one {col} per bid"
            )
    return frame.groupby(["tender", "bidder"], sort=False)[present].first().reset_index()


def social_value(
    bids: pd.DataFrame,
    measures: pd.DataFrame | None = None,
    *,
    adjustments: pd.DataFrame | None = None,
    price_year: int | str = 2024,
    financial_year: FinancialYearRule | None = None,
    schedule: str | float = "standard",
) -> SocialValueResult:
    """Gross and net social value of each bid, in ``price_year`` prices.

    Parameters
    ----------
    bids
        One row per commitment (a CSV or XLSX file as :func:`evalkit.intake.read_table` reads
        it, or a DataFrame made by hand): ``tender``, ``bidder``, ``price``
        (the bid's contract value, repeated on each of its rows), ``measure``, ``quantity``;
        optionally ``quality`` (the bid's quality score), ``year`` (contract year of the
        commitment, 0 = first) and ``locality_code``.
    measures
        Measures table (see :func:`~evalkit.social_value.check_measures`); default the
        shipped illustrative set.
    adjustments
        Deadweight, displacement and attribution per measure
        (:func:`~evalkit.social_value.check_adjustments`). Without them, or for measures
        they do not cover, only gross value is available and an EvidenceWarning says so.
    price_year
        Price base of the results; each proxy is rebased from its own price year with
        :func:`evalkit.econ.rebase` (GDP deflator).
    financial_year
        How financial-year price bases map onto the calendar deflator (``"start"`` or
        ``"weighted"``); required when any proxy has one.
    schedule
        Green Book discount schedule used when ``bids`` has a ``year`` column.

    Notes
    -----
    For bid :math:`b` with commitments :math:`i` (quantity :math:`q_i`, proxy :math:`p_i` in
    price year :math:`y_i`, contract year :math:`t_i`):

    :math:`G_b = \\sum_i q_i p_i \\frac{D(Y)}{D(y_i)} \\delta_{t_i}` (gross) and
    :math:`N_b = \\sum_i q_i p_i \\frac{D(Y)}{D(y_i)} \\delta_{t_i}(1-d_i)(1-s_i)(1-a_i)` (net),

    with :math:`D` the GDP deflator, :math:`\\delta_t` the Green Book discount factor (1 when no
    years are given), and deadweight :math:`d`, displacement :math:`s`, attribution :math:`a`
    as in the SROI guide (Cabinet Office 2012). Per pound: :math:`G_b / price_b`; share:
    :math:`100\\, G_b / price_b` per cent.

    References
    ----------
    Cabinet Office (2012), *A guide to social return on investment* (deadweight, displacement,
    attribution). HM Treasury (2022), *The Green Book* (discounting; GDP deflator rebasing).
    Public Services (Social Value) Act 2012; Procurement Act 2023.

    Raises
    ------
    DataError
        Unknown measures, negative quantities, missing columns, a price that differs within a
        bid (each naming the file, row, column and value).
    ParameterError
        A proxy price year the deflator cannot rebase (naming the measure).
    """
    target = str(parse_price_year(price_year, name="price_year"))
    table = check_table(bids, BID_COLUMNS, what="bids table")
    lines, missing = priced_lines(
        table, ("quantity",), measures, adjustments, price_year, financial_year
    )
    proxies = lines.attrs.pop("proxies")
    if "year" in lines and lines["year"].notna().any():
        if lines["year"].isna().any():
            i = int(lines["year"].isna().to_numpy().argmax())
            raise DataError(
                f"{table.where(i)}, column 'year': the value is empty but other commitments give "
                "a contract year; expected a whole number of years from the start of the contract "
                "(0 for the first year) on every row, or on none"
            )
        years = lines["year"].to_numpy(int)
        lines["discount_factor"] = discount_factors(years, schedule)
        discounting = discounting_words(schedule, int(years.max()))
    else:
        lines["year"] = 0
        lines["discount_factor"] = 1.0
        discounting = (
            "Commitments carry no contract year, so they are not discounted: each is valued as "
            "if delivered in the first year of the contract."
        )
    for basis in ("gross", "net"):
        lines[f"{basis}_undiscounted"] = lines[f"{basis}_quantity"]
        lines[f"{basis}_value"] = lines[f"{basis}_quantity"] * lines["discount_factor"]
    lines = lines.drop(columns=["gross_quantity", "net_quantity"])
    by_year = (
        lines.groupby(["tender", "bidder", "year"], sort=False)
        .agg(
            gross_undiscounted=("gross_undiscounted", "sum"),
            net_undiscounted=("net_undiscounted", lambda v: v.sum(min_count=len(v))),
            discount_factor=("discount_factor", "first"),
            gross_present_value=("gross_value", "sum"),
            net_present_value=("net_value", lambda v: v.sum(min_count=len(v))),
        )
        .reset_index()
        .sort_values(["tender", "bidder", "year"], kind="stable", ignore_index=True)
    )
    per_bid = _bid_level(table)
    grouped = lines.groupby(["tender", "bidder"], sort=False)
    sums = grouped[["gross_value", "net_value"]].sum(min_count=1)
    sums["net_available"] = grouped["net_assessed"].all()
    out = per_bid.merge(sums.reset_index(), on=["tender", "bidder"])
    out = out.rename(columns={"gross_value": "gross_social_value", "net_value": "net_social_value"})
    out.loc[~out["net_available"], "net_social_value"] = np.nan
    for basis in ("gross", "net"):
        out[f"{basis}_per_pound"] = out[f"{basis}_social_value"] / out["price"]
        out[f"{basis}_share_of_price"] = 100 * out[f"{basis}_per_pound"]
    if missing:
        what = (
            "no adjustments table was given"
            if adjustments is None
            else f"the adjustments table does not cover {', '.join(map(repr, missing))}"
        )
        warnings.warn(
            f"only gross social value is available for some bids: {what}. Gross value counts "
            "outcomes that would have happened anyway (deadweight), moved from elsewhere "
            "(displacement) or owed to others (attribution); label it gross and do not present "
            "it as the contract's impact.",
            EvidenceWarning,
            stacklevel=2,
        )
    return SocialValueResult(
        bids=out,
        lines=lines,
        price_year=target,
        net_available=bool(out["net_available"].all()),
        unassessed_measures=tuple(missing),
        discounting=discounting,
        proxies=proxies,
        by_year=by_year,
        method=(
            "gross = sum of quantity x proxy rebased with the GDP deflator"
            + (f" (financial years: {financial_year})" if financial_year else "")
            + "; net = gross x (1 - deadweight) x (1 - displacement) x (1 - attribution) per "
            "measure"
        ),
    )
