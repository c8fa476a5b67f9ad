"""Where a programme's data are and what their columns mean: the spec's ``sources:`` section.

Each source is one file (CSV, a sheet of an XLSX workbook, or parquet), or the rows an SQL query
returns from a database (``query:``, with the database's URL in the environment variable that
``url_env:`` names, never in the spec), of one *kind*:

- ``people``: one row per person served (and, optionally, per eligible person not served);
- ``readings``: one row per person per assessment (intake, reviews, exit), as outcome tools
  and wellbeing scales export them;
- ``series``: one row per locality per period (month, quarter, year): a count for a whole area;
- ``costs``: one row per locality, financial year and item of spend.

A source maps evalkit's *roles* to the user's own column names (``columns: {person_id: Client
Ref}``) and declares how values are written: the date format, the markers of a missing value and
any recodes of labels to values (``Yes`` -> 1). A file with no locality column (a service in one
area) names its locality once: ``locality: E07000041``. Rows that are not records (a totals row
at the foot of a sheet) or that the plan leaves out (referrals not taken up) are named by a label
in a column: ``exclude: {Status: [Not taken up], Client ID: [TOTAL]}``. Nothing is assumed: a
date that does not fit the declared format, or a label that no recode covers, is an error naming
the file, row and column.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from evalkit.config._base import Model

__all__ = ["DATE_FORMATS", "ROLES", "SourceKind", "SourceSpec"]

SourceKind = Literal["people", "readings", "series", "costs"]

#: Date formats a source may declare, as the user writes them -> strptime patterns.
#: Day and month may be written with or without a leading zero (3/4/2024 or 03/04/2024).
DATE_FORMATS: dict[str, str] = {
    "yyyy-mm-dd": "%Y-%m-%d",
    "dd/mm/yyyy": "%d/%m/%Y",
    "dd-mm-yyyy": "%d-%m-%Y",
    "dd.mm.yyyy": "%d.%m.%Y",
    "dd/mm/yy": "%d/%m/%y",
    "mm/dd/yyyy": "%m/%d/%Y",
    "yyyy/mm/dd": "%Y/%m/%d",
    "dd mon yyyy": "%d %b %Y",
}

#: For each kind of source, evalkit's roles: name -> (required, what the column holds).
ROLES: dict[str, dict[str, tuple[bool, str]]] = {
    "people": {
        "person_id": (True, "the person's identifier (pseudonymised at intake)"),
        "household_id": (False, "the household or family identifier (pseudonymised at intake)"),
        "locality": (True, "the locality: a code or a name declared under localities"),
        "group": (False, "who was served and who was eligible but not served"),
        "referral_date": (False, "the date of referral"),
        "start_date": (True, "the date support started"),
        "end_date": (False, "the date support ended (empty while open)"),
    },
    "readings": {
        "person_id": (True, "the person's identifier, as in the people source"),
        "locality": (False, "the locality (taken from the people source when left out)"),
        "occasion": (False, "which assessment: a number (1, 2, 3 ...) or a label"),
        "date": (True, "the date of the reading"),
    },
    "series": {
        "locality": (True, "the locality: a code or a name declared in the spec"),
        "period": (True, "the first day of the period (month, quarter or year)"),
    },
    "costs": {
        "locality": (True, "the locality the spending was for"),
        "financial_year": (True, "the financial year, written 2024/25"),
        "item": (False, "what the money was spent on"),
        "amount": (True, "the amount in pounds"),
        "price_year": (False, "the price year of the amount (default: cost_benefit.price_year)"),
    },
}

#: Roles whose values identify a person and are replaced by a keyed hash at intake.
IDENTIFIER_ROLES: dict[str, str] = {"person_id": "p-", "household_id": "h-"}
#: Roles that hold dates.
DATE_ROLES = frozenset({"referral_date", "start_date", "end_date", "date", "period"})


#: The name of an environment variable (``EVALKIT_WAREHOUSE_URL``).
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SourceSpec(Model):
    """One data file, or one SQL query on a database, and the meaning of its columns.

    Give ``file`` (a path relative to the project folder) or ``query`` (SQL text) with
    ``url_env``, the name of the environment variable that holds the database's SQLAlchemy URL
    (such as ``postgresql+psycopg://user:password@host/db``): the URL, and the password in it,
    stay out of the spec and out of git.
    """

    kind: SourceKind
    file: Path | None = None
    query: str | None = Field(default=None, min_length=1)
    url_env: str | None = None
    sheet: str | None = None
    header_row: int = Field(default=1, ge=1, le=1000)
    columns: dict[str, str]
    date_format: str = "yyyy-mm-dd"
    missing: list[str] = [""]
    recodes: dict[str, dict[str, int | float | str]] = {}
    groups: dict[Literal["participant", "comparison"], list[str]] = {}
    frequency: Literal["month", "quarter", "year"] | None = None
    locality: str | None = None
    exclude: dict[str, list[str]] = {}
    description: str = ""

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, value: str) -> str:
        if value not in DATE_FORMATS:
            raise ValueError(
                f"unknown date format; expected one of {', '.join(map(repr, DATE_FORMATS))}"
            )
        return value

    @field_validator("file")
    @classmethod
    def _file_type(cls, value: Path | None) -> Path | None:
        if value is not None and value.suffix.lower() not in (
            ".csv",
            ".txt",
            ".xlsx",
            ".xlsm",
            ".parquet",
        ):
            raise ValueError("expected a .csv, .xlsx or .parquet file")
        return value

    @model_validator(mode="after")
    def _file_or_query(self) -> SourceSpec:
        if self.file is not None and self.query is not None:
            raise ValueError(
                "file and query are both given; expected one of them: file (a CSV, XLSX or "
                "parquet file) or query (SQL run on the database named by url_env)"
            )
        if self.file is None and self.query is None:
            raise ValueError(
                "file or query is required; expected file (a CSV, XLSX or parquet file) or "
                "query (SQL run on the database named by url_env)"
            )
        if self.query is not None and self.url_env is None:
            raise ValueError(
                "url_env is required with query; expected the name of the environment variable "
                "that holds the database URL (such as url_env: EVALKIT_WAREHOUSE_URL)"
            )
        if self.url_env is not None and not ENV_NAME.match(self.url_env):
            # The value is not shown: it may be the URL itself, password and all.
            what = "holds a URL" if "://" in self.url_env else "is not a variable name"
            raise ValueError(
                f"url_env {what}; expected the name of the environment variable that holds the "
                "database URL (such as EVALKIT_WAREHOUSE_URL), so that the URL and its password "
                "stay out of the spec"
            )
        if self.query is None and self.url_env is not None:
            raise ValueError("url_env is given without query; expected it only with a query")
        if self.query is not None and (self.sheet is not None or self.header_row != 1):
            which = "sheet" if self.sheet is not None else "header_row"
            raise ValueError(f"{which} applies to a file, not to a query; remove it")
        return self

    @field_validator("groups", mode="before")
    @classmethod
    def _labels_as_lists(cls, value: object) -> object:
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _roles(self) -> SourceSpec:
        roles = ROLES[self.kind]
        unknown = [r for r in self.columns if r not in roles]
        if unknown:
            raise ValueError(
                f"columns: {unknown[0]!r} is not a role of a {self.kind} source; expected roles "
                f"{', '.join(roles)} (each mapped to the column name in your file)"
            )
        if self.locality is not None and "locality" in self.columns:
            raise ValueError(
                "give locality (every row belongs to one locality) or columns.locality, not both"
            )
        given = {*self.columns, *(["locality"] if self.locality else [])}
        missing = [r for r, (required, _) in roles.items() if required and r not in given]
        if missing:
            what = roles[missing[0]][1]
            raise ValueError(
                f"columns: role {missing[0]!r} ({what}) is required for a {self.kind} source; "
                f"add '{missing[0]}: <your column name>'"
            )
        if self.sheet is not None and (
            self.file is not None and self.file.suffix.lower() not in (".xlsx", ".xlsm")
        ):
            raise ValueError(f"sheet {self.sheet!r} given but {self.file} is not a workbook")
        if self.groups and "group" not in self.columns:
            raise ValueError("groups given but no column has the role 'group'")
        if "group" in self.columns and not self.groups.get("participant"):
            raise ValueError(
                "columns: 'group' is mapped, so groups.participant must list the label(s) your "
                "file uses for people served (and groups.comparison those eligible, not served)"
            )
        if self.kind == "series" and self.frequency is None:
            raise ValueError("a series source needs frequency: month, quarter or year")
        return self

    def column(self, role: str) -> str | None:
        """The user's column that holds ``role``, if mapped."""
        return self.columns.get(role)
