"""Unit costs: the shipped illustrative table and a reader for the GMCA Unit Cost Database.

The shipped table (``unit_costs.csv``) holds a few published unit costs, each with its source,
agency, unit and price year (``verified: false``: illustrative defaults, replace them with local
costs). The GMCA (New Economy) Unit Cost Database v3.0 is CC BY 4.0; its workbook has one sheet per
theme (Crime, Education & Skills, Employment & Economy, Housing, Health, Social Services) with a
cost code, detail, unit, agency, fiscal value and price year (``"2010/11"``) per row.
"""

from __future__ import annotations

import re
from os import PathLike

import numpy as np
import pandas as pd

from evalkit.econ.prices import FinancialYearRule, rebase
from evalkit.exceptions import DataError
from evalkit.reference import load_table

__all__ = ["GMCA_SHEETS", "read_gmca_unit_costs", "rebase_unit_costs", "unit_costs"]

#: The theme sheets of the GMCA Unit Cost Database workbook.
GMCA_SHEETS = (
    "Crime",
    "Education & Skills",
    "Employment & Economy",
    "Housing",
    "Health",
    "Social Services",
)

#: Header text (lower case, spaces collapsed) accepted for each column of the GMCA layout.
_HEADERS = {
    "cost_code": ("cost code", "code", "ref"),
    "detail": ("detail", "details", "description", "outcome detail"),
    "unit": ("unit", "unit of cost"),
    "agency": ("agency", "agency bearing cost", "agency / sector"),
    "fiscal_value": ("fiscal value", "fiscal cost", "fiscal value (£)", "value", "unit cost"),
    "price_year": ("price year", "price base", "year of price base", "price base year"),
}


def unit_costs() -> pd.DataFrame:
    """The shipped illustrative unit costs (``attrs['source']`` holds the file's record).

    Columns: name, agency, unit, amount (or amount_low / amount_high for published ranges),
    price_year, price_basis, source, verified, notes.
    """
    return load_table("unit_costs.csv", dtype={"price_year": "string"})


def rebase_unit_costs(
    table: pd.DataFrame,
    to_year: int | str,
    *,
    financial_year: FinancialYearRule | None = None,
    columns: tuple[str, ...] = ("amount", "amount_low", "amount_high"),
) -> pd.DataFrame:
    """A copy of ``table`` with its money columns rebased to ``to_year`` prices.

    Rows without a price year are refused (DataError naming the row) rather than passed through.
    """
    out = table.copy()
    present = [c for c in columns if c in out.columns]
    for row in out.index:
        year = out.at[row, "price_year"]
        if pd.isna(year) or str(year).strip() == "":
            raise DataError(
                f"unit cost row {row} ({out.at[row, 'name'] if 'name' in out else ''!s}) has no "
                "price year; expected one such as 2019 or '2015/16' before rebasing"
            )
        for col in present:
            value = out.at[row, col]
            if pd.notna(value):
                out.at[row, col] = rebase(
                    float(value), str(year), to_year, financial_year=financial_year
                )
    out["price_year"] = str(to_year)
    if "price_basis" in out.columns:
        out["price_basis"] = f"rebased with the GDP deflator (financial_year={financial_year!r})"
    return out


def _norm(text: object) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().lower()


def _money(value: object, where: str) -> float:
    if isinstance(value, int | float | np.number) and not isinstance(value, bool):
        if np.isfinite(value):
            return float(value)
        raise DataError(f"{where}: value {value!r} is missing; expected a money amount")
    text = re.sub(r"[£,\s]", "", str(value))
    try:
        return float(text)
    except ValueError:
        raise DataError(
            f"{where}: value {value!r} is not a money amount; expected e.g. 1234.56"
        ) from None


def _sheet(raw: pd.DataFrame, sheet: str, path: str) -> pd.DataFrame:
    header_row = None
    for i in range(min(len(raw), 20)):
        cells = {_norm(c) for c in raw.iloc[i] if pd.notna(c)}
        if cells & set(_HEADERS["cost_code"]) and cells & set(_HEADERS["fiscal_value"]):
            header_row = i
            break
    if header_row is None:
        raise DataError(
            f"{path}, sheet {sheet!r}: no header row with a cost code and a fiscal value column "
            "in the first 20 rows; expected the GMCA Unit Cost Database layout"
        )
    header = [_norm(c) for c in raw.iloc[header_row]]
    columns = {}
    for field, names in _HEADERS.items():
        found = [j for j, h in enumerate(header) if h in names]
        if not found:
            raise DataError(
                f"{path}, sheet {sheet!r}, row {header_row + 1}: no column for {field} "
                f"(expected a header such as {names[0]!r}); found "
                f"{[h for h in header if h != 'nan']}"
            )
        columns[field] = found[0]
    body = raw.iloc[header_row + 1 :]
    rows = []
    for i, values in body.iterrows():
        code = values.iloc[columns["cost_code"]]
        if pd.isna(code) or not str(code).strip():
            continue  # section headings and blank lines carry no cost code
        where = f"{path}, sheet {sheet!r}, row {i + 1}, column 'fiscal value'"
        rows.append(
            {
                "sheet": sheet,
                "cost_code": str(code).strip(),
                "detail": values.iloc[columns["detail"]],
                "unit": values.iloc[columns["unit"]],
                "agency": values.iloc[columns["agency"]],
                "fiscal_value": _money(values.iloc[columns["fiscal_value"]], where),
                "price_year": str(values.iloc[columns["price_year"]]).strip(),
            }
        )
    return pd.DataFrame(rows, columns=["sheet", *_HEADERS])


def read_gmca_unit_costs(
    path: str | PathLike[str], *, sheets: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """Read a workbook in the GMCA Unit Cost Database layout into one tidy table.

    Parameters
    ----------
    path
        The .xlsx workbook.
    sheets
        Sheets to read; default those of :data:`GMCA_SHEETS` present in the workbook.

    Returns
    -------
    pandas.DataFrame
        sheet, cost_code, detail, unit, agency, fiscal_value, price_year (as written, e.g.
        ``"2010/11"``; rebase with :func:`rebase_unit_costs` or
        :func:`~evalkit.econ.prices.rebase`).
    """
    try:
        book = pd.read_excel(  # keep "n/a" and blanks as written, so they are refused by name
            path, sheet_name=None, header=None, engine="openpyxl", keep_default_na=False
        )
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read unit cost workbook {str(path)!r}: {exc}") from None
    wanted = sheets if sheets is not None else tuple(s for s in GMCA_SHEETS if s in book)
    missing = [s for s in wanted if s not in book]
    if missing or not wanted:
        raise DataError(
            f"{str(path)!r} lacks sheet(s) {missing or list(GMCA_SHEETS)}; found {list(book)}"
        )
    frames = [_sheet(book[s], s, str(path)) for s in wanted]
    table = pd.concat(frames, ignore_index=True)
    table.attrs["source"] = {
        "source": f"GMCA Unit Cost Database layout, read from {path}",
        "licence": "CC BY 4.0 (GMCA / New Economy): attribute when publishing",
    }
    return table
