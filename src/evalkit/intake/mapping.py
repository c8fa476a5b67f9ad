"""Apply a source's mapping: the user's columns to evalkit's roles, with declared values only.

For one source of a programme spec, :func:`map_source` takes the raw table as read and returns
a typed table that holds only the columns the plan uses (data minimisation: an unmapped
``email`` or ``nhs_number`` column never goes further), with:

- missing-value markers (``""``, ``"N/A"``, ``"Not known"``, ...) turned into missing values,
  as the source declares them;
- recodes applied (``Yes`` -> 1), and any value that no recode covers refused;
- dates read strictly in the declared format (never guessed);
- role columns renamed to the role (``Case Number`` -> ``person_id``), other columns kept under
  the user's own name;
- localities given as the code or the name declared in the spec, turned into the code;
- the group labels turned into ``participant`` / ``comparison``;
- numeric characteristics cut into the spec's bands.

Every problem raises :class:`~evalkit.exceptions.DataError` naming the file, the row as the
spreadsheet shows it, the column, the value and what was expected, and the spec field to change.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from evalkit.config import ProgrammeSpec, SourceSpec
from evalkit.config.plan import CharacteristicSpec
from evalkit.config.sources import DATE_ROLES, IDENTIFIER_ROLES, ROLES
from evalkit.exceptions import DataError
from evalkit.intake.schemas import Column, column_list, excerpt, validate_table

__all__ = [
    "UsedColumn",
    "band",
    "identifier_patterns",
    "locality_codes",
    "map_source",
    "used_columns",
]

GROUPS = ("participant", "comparison")


@dataclasses.dataclass(frozen=True)
class UsedColumn:
    """A column of the user's file that the plan uses: its rule and the spec field naming it."""

    column: Column
    field: str
    role: str | None = None


def _outcome_rules(spec: ProgrammeSpec, source: str, missing_ok: bool) -> list[UsedColumn]:
    out: list[UsedColumn] = []
    for i, o in enumerate(spec.outcomes):
        if spec.outcome_source(o) != source:
            continue
        low, high = o.range if o.range else (None, None)
        kind = {"binary": "binary", "count": "integer", "scale": "number", "money": "number"}
        rule = {"kind": kind[o.kind], "nullable": missing_ok, "low": low, "high": high}
        if o.kind == "count":
            rule["low"] = 0
        fields = [("after", o.after), ("before", o.before), ("column", o.column)]
        if spec.sources[source].kind == "readings":
            fields = [("column", o.column)]
        for name, col in fields:
            if col:
                out.append(UsedColumn(Column(col, **rule), f"outcomes[{i}].{name}"))  # type: ignore[arg-type]
        for j, area in enumerate(o.areas or ()):
            out.append(UsedColumn(Column(area, **rule), f"outcomes[{i}].areas[{j}]"))  # type: ignore[arg-type]
        if o.population:
            out.append(
                UsedColumn(Column(o.population, "number", low=0), f"outcomes[{i}].population")
            )
    return out


def _characteristic_rule(c: CharacteristicSpec) -> Column:
    if c.bands is not None:
        return Column(c.column, "number", nullable=True)
    if c.categories is not None:
        return Column(c.column, "category", nullable=True, choices=tuple(c.categories))
    return Column(c.column, "text", nullable=True)


def used_columns(spec: ProgrammeSpec, source: str) -> list[UsedColumn]:
    """Every column of ``source`` the plan uses, with its rule and the spec field that names it."""
    s = spec.sources[source]
    fmt = s.date_format
    out: list[UsedColumn] = []
    for role, col in s.columns.items():
        # Eligible people who were not served may have no start date: checked after the groups.
        required = ROLES[s.kind][role][0] and role not in ("end_date", "start_date")
        if role in DATE_ROLES:
            rule = Column(col, "date", nullable=not required, date_format=fmt)
        elif role == "amount":
            rule = Column(col, "number", low=0)
        elif role == "financial_year":
            rule = Column(col, "financial_year")
        elif role == "price_year":
            rule = Column(col, "integer", low=1990, high=2100)
        elif role == "occasion":
            rule = Column(col, "text", nullable=True)
        else:
            rule = Column(col, "text", nullable=not required)
        out.append(UsedColumn(rule, f"sources.{source}.columns.{role}", role))
    out += _outcome_rules(spec, source, missing_ok=True)
    if source == spec.people_source:
        for i, c in enumerate(spec.characteristics):
            out.append(UsedColumn(_characteristic_rule(c), f"characteristics[{i}].column"))
        if spec.designs.matching:
            for j, cov in enumerate(spec.designs.matching.covariates):
                if not any(u.column.name == cov for u in out):
                    out.append(
                        UsedColumn(
                            Column(cov, "text", nullable=True),
                            f"designs.matching.covariates[{j}]",
                        )
                    )
    # One rule per column (a column may serve two purposes): the first, most specific, wins.
    seen: dict[str, UsedColumn] = {}
    for used in out:
        seen.setdefault(used.column.name, used)
    return list(seen.values())


def _where(path: str, s: SourceSpec) -> str:
    return f"{path} (sheet {s.sheet!r})" if s.sheet else path


def _missing_to_na(df: pd.DataFrame, markers: list[str]) -> pd.DataFrame:
    marks = {m.strip().casefold() for m in markers} | {""}

    def clean(value: object) -> object:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return None
        if isinstance(value, str) and value.strip().casefold() in marks:
            return None
        return value

    return df.apply(lambda col: col.map(clean)).astype(object)


def _recode(
    df: pd.DataFrame, s: SourceSpec, source: str, where: str, first_row: int
) -> pd.DataFrame:
    for column, codes in s.recodes.items():
        if column not in df.columns:
            continue
        lookup = {str(k).strip().casefold(): v for k, v in codes.items()}
        values = df[column]
        present = values.notna()
        keys = values[present].map(lambda v: str(v).strip().casefold())
        unknown = keys[~keys.isin(list(lookup))]
        if not unknown.empty:
            row = int(unknown.index[0]) + first_row
            raise DataError(
                f"{where}, row {row}, column {column!r}: value {excerpt(values[unknown.index[0]])} is "
                f"not covered by sources.{source}.recodes.{column}; expected one of "
                f"{', '.join(map(repr, codes))} or a missing-value marker "
                f"({', '.join(map(repr, s.missing))})"
            )
        recoded = values.astype(object).copy()
        recoded[present] = keys.map(lookup).astype(object)
        df[column] = recoded
    return df


def locality_codes(
    df: pd.DataFrame, spec: ProgrammeSpec, where: str, col: str, first_row: int
) -> pd.DataFrame:
    """``df`` with its ``locality`` column (codes or declared names) as ``locality_code``."""
    declared = {**spec.localities, **spec.comparison_localities}
    lookup = {code.casefold(): code for code in declared}
    lookup |= {name.casefold(): code for code, name in declared.items()}
    keys = df["locality"].map(lambda v: str(v).strip().casefold())
    codes = keys.map(lookup)
    unknown = codes.isna()
    if unknown.any():
        from evalkit.config.spec import ONS_CODE

        # An ONS code the spec does not list is another area's row: left out (a spec may cover
        # some of the areas in an export). Anything else is a value the plan cannot place.
        other_area = df["locality"].astype(str).str.strip().str.match(ONS_CODE.pattern)
        bad = unknown & ~other_area
        if bad.any():
            first = bad.idxmax()
            names = ", ".join(f"{c} ({n})" for c, n in list(declared.items())[:6])
            raise DataError(
                f"{where}, row {int(first) + first_row}, column {col!r}: value "
                f"{excerpt(df.at[first, 'locality'])} is not a locality of the spec; expected a code or "
                f"name declared under localities (such as {names})"
            )
    out = df.assign(locality_code=codes).drop(columns="locality")
    return out[~unknown]


def _groups(df: pd.DataFrame, s: SourceSpec, source: str, where: str, first_row: int):
    lookup = {
        label.strip().casefold(): group for group in GROUPS for label in s.groups.get(group, [])
    }
    keys = df["group"].map(lambda v: str(v).strip().casefold())
    groups = keys.map(lookup)
    bad = groups.isna()
    if bad.any():
        first = bad.idxmax()
        labels = [lab for g in GROUPS for lab in s.groups.get(g, [])]
        raise DataError(
            f"{where}, row {int(first) + first_row}, column {s.columns['group']!r}: value "
            f"{excerpt(df.at[first, 'group'])} is not a label under sources.{source}.groups; expected "
            f"one of {', '.join(map(repr, labels))}"
        )
    return df.assign(group=groups)


def band(values: pd.Series, characteristic: CharacteristicSpec) -> pd.Series:
    """Numbers cut at the characteristic's cut points: [25, 35] -> under 25, 25-34, 35 and over.

    Each band includes its lower cut point and excludes the next; missing values stay missing.
    """
    edges = [-np.inf, *map(float, characteristic.bands or ()), np.inf]
    labels = characteristic.band_labels()
    return pd.cut(values.astype(float), edges, right=False, labels=labels).astype("string")


def _band(df: pd.DataFrame, spec: ProgrammeSpec) -> pd.DataFrame:
    for c in spec.characteristics:
        if c.bands is not None and c.column in df.columns:
            df[c.column] = band(df[c.column], c)
    return df


def map_source(spec: ProgrammeSpec, source: str, raw: pd.DataFrame, path: str) -> pd.DataFrame:
    """The typed, minimised table of one source (see the module's description)."""
    s = spec.sources[source]
    where = _where(path, s)
    first_row = int(raw.attrs.get("first_row", 2))
    used = used_columns(spec, source)
    absent = [u for u in used if u.column.name not in raw.columns]
    if absent:
        u = absent[0]
        held = "the query's result" if s.query is not None else "the file"
        raise DataError(
            f"{where}: column {u.column.name!r} named in spec field {u.field} is not in {held}; "
            f"{held} has: {column_list(raw.columns)}"
        )
    raw = _exclude(raw, s, source, where)
    excluded = raw.attrs["excluded"]
    df = raw[[u.column.name for u in used]].copy()
    df = _missing_to_na(df, s.missing)
    df = _recode(df, s, source, where, first_row)
    rules = [
        dataclasses.replace(
            u.column,
            hint=f"see spec field {u.field}"
            + (f" and sources.{source}.date_format" if u.column.kind == "date" else ""),
        )
        for u in used
    ]
    typed = validate_table(df, rules, source=where, row_offset=first_row, original=raw)
    typed = typed.rename(columns={col: role for role, col in s.columns.items()})
    if s.locality is not None:  # a file from one locality only: every row is that locality's
        typed["locality"] = s.locality
    if "locality" in typed.columns:
        typed = locality_codes(typed, spec, where, s.columns.get("locality", "locality"), first_row)
    if "group" in typed.columns:
        typed = _groups(typed, s, source, where, first_row)
    elif s.kind == "people":
        typed = typed.assign(group="participant")
    if s.kind == "people":
        _check_people(typed, s, where, first_row)
    if source == spec.people_source:
        typed = _band(typed, spec)
    typed.attrs["excluded"] = excluded
    return typed


def _exclude(raw: pd.DataFrame, s: SourceSpec, source: str, where: str) -> pd.DataFrame:
    """``raw`` without the rows the source excludes (a totals row, referrals not taken up)."""
    keep = pd.Series(True, index=raw.index)
    for column, labels in s.exclude.items():
        if column not in raw.columns:
            raise DataError(
                f"{where}: column {column!r} named in spec field sources.{source}.exclude is not "
                f"in the file; the file has: {column_list(raw.columns)}"
            )
        marks = {str(label).strip().casefold() for label in labels}
        keys = raw[column].map(lambda v: str(v).strip().casefold())
        keep &= ~keys.isin(marks)
    out = raw[keep]
    out.attrs = {**raw.attrs, "excluded": int((~keep).sum())}
    return out


def _row_of(df: pd.DataFrame, mask: pd.Series, first_row: int) -> int:
    return int(mask.idxmax()) + first_row


def _check_people(df: pd.DataFrame, s: SourceSpec, where: str, first_row: int) -> None:
    """One row per person; people served have a start date; support ends after it starts."""
    column = s.columns["person_id"]
    repeated = df["person_id"].duplicated(keep=False) & df["person_id"].notna()
    if repeated.any():
        who = df.loc[repeated.idxmax(), "person_id"]
        rows = [int(i) + first_row for i in df.index[df["person_id"] == who]]
        raise DataError(
            f"{where}, column {column!r}: {excerpt(who)} is on rows {', '.join(map(str, rows[:10]))}; "
            "expected one row per person (for a re-referral keep one row, or give the second "
            "referral its own identifier)"
        )
    if "start_date" in df.columns:
        missing = df["start_date"].isna() & (df["group"] == "participant")
        if missing.any():
            raise DataError(
                f"{where}, row {_row_of(df, missing, first_row)}, column "
                f"{s.columns['start_date']!r}: value is empty; expected the date support started "
                "for everyone served (eligible people not served may leave it empty)"
            )
    if "end_date" in df.columns and "start_date" in df.columns:
        backwards = df["end_date"] < df["start_date"]
        if backwards.any():
            first = backwards.idxmax()
            raise DataError(
                f"{where}, row {int(first) + first_row}, column {s.columns['end_date']!r}: "
                f"support ended on {df.at[first, 'end_date']:%d/%m/%Y}, before it started on "
                f"{df.at[first, 'start_date']:%d/%m/%Y}; expected an end date on or after the start"
            )


def identifier_patterns(spec: ProgrammeSpec) -> list[str]:
    """Regular expressions of the programme's own identifiers, for redacting reflection text.

    The spec's ``identifier_patterns`` where given; else the shapes of the values in the people
    source's identifier columns (person and household: ``FS000123`` gives ``FS\\d{6}``, see
    :func:`evalkit.learning.redaction.identifier_shapes`), read from its file. A source read
    by a query gives none (the database is not queried for this).
    """
    from evalkit.intake.readers import read_table
    from evalkit.learning.redaction import identifier_shapes

    if spec.identifier_patterns:
        return list(spec.identifier_patterns)
    s = spec.people
    if s.file is None:
        return []
    raw = read_table(spec.path(s.file), sheet=s.sheet, header_row=s.header_row)
    columns = [s.columns[r] for r in IDENTIFIER_ROLES if r in s.columns and s.columns[r] in raw]
    return identifier_shapes(v for c in columns for v in raw[c].dropna().head(10_000))
