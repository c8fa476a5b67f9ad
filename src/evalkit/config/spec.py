"""The programme spec: one YAML file per commissioned programme, which is its evaluation plan.

:func:`load_spec` reads and validates one; every problem is a
:class:`~evalkit.exceptions.ConfigError` naming the file, the field, the value and what was
expected (with a suggestion for a misspelt field name). Sections are parsed once into typed
models (sources, outcomes, designs, cost-benefit, disclosure) and passed on as such.

Relative paths in a spec are read from the project folder: the nearest folder at or above the spec
that holds a ``notebooks/`` folder (or the ``root`` the spec names). Every path the spec names
(data, reflections, notebooks, report and processed folders) must lie inside that folder unless
the spec says ``allow_outside: true``, so that a spec from elsewhere cannot read or write outside
the project. Numbers have bounds and text a maximum length (see :mod:`evalkit.config._base`).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from evalkit.config._base import Finite, Model
from evalkit.config.plan import (
    PERSON_DESIGNS,
    SERIES_DESIGNS,
    CharacteristicSpec,
    DesignsSpec,
    EligibleSpec,
    OutcomeSpec,
    PeriodSpec,
)
from evalkit.config.sources import SourceSpec
from evalkit.econ.cba_spec import CostBenefitSpec
from evalkit.exceptions import ConfigError
from evalkit.reference import known_locality_name

__all__ = [
    "DisclosureSpec",
    "ProgrammeSpec",
    "ReportSpec",
    "SensitivitySpec",
]

#: ONS codes of UK local authorities: county, unitary, district, metropolitan, London borough
#: (England), Welsh principal areas, Scottish council areas, Northern Irish districts.
ONS_CODE = re.compile(r"^(E06|E07|E08|E09|E10|W06|S12|N09)\d{6}$")
#: Custom areas (neighbourhood teams, hubs): a short code of letters, digits, - and _.
CUSTOM_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")


class ReportSpec(Model):
    """A notebook run once per locality (``scope: locality``) or once for the whole programme."""

    name: str = Field(pattern=r"^[a-z0-9_]+$", max_length=100)
    notebook: Path
    title: str = Field(default="Evaluation report", min_length=1, max_length=200)
    scope: Literal["locality", "programme"] = "locality"


class DisclosureSpec(Model):
    """Which small-number policy every published table passes through."""

    policy: str | dict[str, Any] = "nhs"

    @field_validator("policy")
    @classmethod
    def _known(cls, policy: str | dict[str, Any]) -> str | dict[str, Any]:
        from evalkit.disclosure import get_policy

        try:
            get_policy(policy)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return policy


class SensitivitySpec(Model):
    """Uncertainty about the cost-benefit inputs: a plausible range for each uncertain parameter.

    The same ranges give the one-way (tornado) analysis and, drawn uniformly, the Monte Carlo.
    Keys name model parameters as :func:`evalkit.econ.monte_carlo` does, such as
    ``"engagement_rate"`` or ``"<outcome name>.success_rate"``.
    """

    ranges: dict[str, tuple[Finite, Finite]] = {}
    draws: int = Field(default=5000, ge=100, le=1_000_000)
    seed: int = Field(default=1, ge=0, le=2**32 - 1)

    @field_validator("ranges")
    @classmethod
    def _ordered(cls, ranges: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for key, (low, high) in ranges.items():
            if not low < high:
                raise ValueError(
                    f"range for {key!r} must be [low, high] with low < high; got {[low, high]}"
                )
        return ranges


class _Plan(ValueError):
    """A cross-field problem of the plan, carrying the field it is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")


def _localities(value: Any, field: str) -> dict[str, str]:
    """Codes with names: from the spec where given, else from the shipped reference."""
    if isinstance(value, list):
        value = {code: None for code in value}
    if not isinstance(value, dict):
        raise _Plan(field, "expected a list of codes or a mapping of code: name")
    out: dict[str, str] = {}
    for code, name in value.items():
        code = str(code)
        if re.fullmatch(r"[EWSN]\d+", code) and len(code) != 9:
            raise _Plan(
                f"{field}.{code}",
                f"{code!r} looks like an ONS code but has {len(code) - 1} digits; ONS local "
                "authority codes are a letter and 8 digits (such as E07000123)",
            )
        if not (ONS_CODE.match(code) or CUSTOM_CODE.match(code)):
            raise _Plan(
                f"{field}.{code}",
                "expected an ONS local authority code (such as E07000041) or a short code of "
                "letters, digits, - and _ for a custom area",
            )
        name = name or known_locality_name(code)
        if not name:
            kind = "ONS code" if ONS_CODE.match(code) else "custom area"
            raise _Plan(
                f"{field}.{code}",
                f"{kind} {code!r} is not in evalkit's list of local authorities, so give its "
                f"name: '{code}: <name>'",
            )
        out[code] = str(name)
    return out


class ProgrammeSpec(Model):
    """A validated programme spec. Build with :func:`~evalkit.config.load_spec`."""

    programme: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    commissioner: str = Field(default="", max_length=500)
    reporting_period: PeriodSpec
    localities: dict[str, str] = Field(min_length=1)
    comparison_localities: dict[str, str] = {}
    launches: dict[str, dt.date] = {}
    sources: dict[str, SourceSpec] = Field(min_length=1)
    characteristics: list[CharacteristicSpec] = []
    eligible: EligibleSpec | None = None
    outcomes: list[OutcomeSpec] = []
    designs: DesignsSpec = DesignsSpec()
    reports: list[ReportSpec] = [
        ReportSpec(name="programme_report", notebook=Path("notebooks/programme_report.ipynb"))
    ]
    reflections: Path | None = None
    disclosure: DisclosureSpec = DisclosureSpec()
    cost_benefit: CostBenefitSpec | None = None
    sensitivity: SensitivitySpec = SensitivitySpec()
    # When commissioner and provider will review the service: a date, or words such as
    # "each March, with the partnership board". The evaluation plan (evalkit plan) states it.
    review: dt.date | str | None = Field(default=None, union_mode="left_to_right")
    kernel: str = "evalkit"
    timeout_seconds: int = Field(default=600, gt=0, le=7 * 24 * 3600)
    root: Path | None = None
    output_dir: Path = Path("reports")
    processed_dir: Path = Path("data/processed")
    #: Whether the spec's paths (data, reflections, notebooks, outputs) may lie outside the
    #: project folder; by default every one must lie inside it.
    allow_outside: bool = False
    #: Regular expressions of the programme's own identifiers (case numbers such as FS000123),
    #: removed from reflection text like an email address or a phone number. When left out,
    #: they are learned from the shape of the people source's identifiers at import.
    identifier_patterns: list[str] = Field(default=[], max_length=20)
    # Set by load_spec: where the spec came from and the folder relative paths are read from.
    source: Path | None = None

    @field_validator("reporting_period", mode="before")
    @classmethod
    def _period(cls, value: Any) -> Any:
        return {"label": value, "select": "all"} if isinstance(value, str) else value

    @field_validator("identifier_patterns")
    @classmethod
    def _patterns(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"{pattern[:60]!r} is not a regular expression ({exc}); expected a pattern "
                    r"such as 'FS\d{6}'"
                ) from None
            if len(pattern) > 200 or compiled.match(""):
                raise ValueError(
                    f"{pattern[:60]!r} would match empty text or is over 200 characters; "
                    r"expected the shape of one identifier, such as 'FS\d{6}'"
                )
        return patterns

    @field_validator("localities", "comparison_localities", mode="before")
    @classmethod
    def _codes(cls, value: Any, info: Any) -> dict[str, str]:
        return _localities(value, info.field_name)

    @model_validator(mode="after")
    def _plan(self) -> ProgrammeSpec:
        names: dict[str, str] = {}
        for code, name in {**self.localities, **self.comparison_localities}.items():
            key = " ".join(name.casefold().split())
            if key in names:
                raise _Plan(
                    f"localities.{code}",
                    f"the name {name!r} is also the name of {names[key]!r} (they differ only in "
                    "capitals or spaces); list each area once and recode other spellings of its "
                    "name in the source's recodes",
                )
            names[key] = code
        both = set(self.localities) & set(self.comparison_localities)
        if both:
            raise _Plan(
                "comparison_localities",
                f"{sorted(both)[0]!r} is also a locality of the programme; a never-treated "
                "comparison cannot have the service",
            )
        declared = {*self.localities, *self.localities.values(), *self.comparison_localities}
        for name, source in self.sources.items():
            if source.locality is not None and source.locality not in declared:
                raise _Plan(
                    f"sources.{name}.locality",
                    f"{source.locality!r} is not a locality of the spec; expected one of "
                    f"{', '.join(self.localities)}",
                )
        people = [n for n, s in self.sources.items() if s.kind == "people"]
        if len(people) != 1:
            raise _Plan("sources", f"expected exactly one source of kind 'people'; got {people}")
        for kind in ("series", "costs"):
            named = [n for n, s in self.sources.items() if s.kind == kind]
            if len(named) > 1:
                raise _Plan("sources", f"at most one source of kind {kind!r}; got {named}")
        names = [o.name for o in self.outcomes]
        for name in names:
            if names.count(name) > 1:
                raise _Plan("outcomes", f"outcome name {name!r} is used twice")
        for i, outcome in enumerate(self.outcomes):
            self._check_outcome(f"outcomes[{i}]", outcome)
        self._check_designs()
        self._check_value_for_money()
        self._check_inside()
        eligible = self.eligible.source if self.eligible else None
        if eligible == "comparison_group" and not self.people.groups.get("comparison"):
            raise _Plan(
                "eligible.source",
                "'comparison_group' needs groups.comparison in the people source (the "
                "label your file gives eligible people who were not served)",
            )
        return self

    def spec_paths(self) -> dict[str, Path]:
        """Every path the spec names, by the field that names it."""
        paths: dict[str, Path | None] = {
            **{f"sources.{n}.file": s.file for n, s in self.sources.items()},
            "eligible.file": self.eligible.file if self.eligible else None,
            "reflections": self.reflections,
            **{f"reports[{i}].notebook": r.notebook for i, r in enumerate(self.reports)},
            "output_dir": self.output_dir,
            "processed_dir": self.processed_dir,
        }
        return {field: p for field, p in paths.items() if p is not None}

    def _check_inside(self) -> None:
        """Every path inside the project folder, unless the spec says ``allow_outside: true``."""
        if self.allow_outside or self.root is None:
            return
        root = self.root.resolve()
        for field, relative in self.spec_paths().items():
            try:
                where = self.path(relative).resolve()
            except (OSError, ValueError) as exc:
                raise _Plan(field, f"{str(relative)[:80]!r} is not a path ({exc})") from None
            if not where.is_relative_to(root):
                raise _Plan(
                    field,
                    f"{str(relative)[:80]!r} lies outside the project folder {str(root)[:80]!r}; "
                    "expected a path inside it (or set allow_outside: true to read or write "
                    "there on purpose)",
                )

    def _check_outcome(self, field: str, o: OutcomeSpec) -> None:
        source_name = o.source or self.people_source
        if source_name not in self.sources:
            raise _Plan(
                f"{field}.source",
                f"{source_name!r} is not a source; expected one of {', '.join(self.sources)}",
            )
        kind = self.sources[source_name].kind
        if kind == "costs":
            raise _Plan(f"{field}.source", "an outcome cannot be read from a costs source")
        if kind in ("people", "series") and (o.column or o.areas):
            raise _Plan(
                field, f"column and areas are for readings sources; on a {kind} source use after"
            )
        if kind in ("people", "series") and not o.after:
            raise _Plan(f"{field}.after", f"the column holding the outcome in {source_name!r}")
        if kind == "readings" and bool(o.column) == bool(o.areas):
            raise _Plan(
                field,
                "on a readings source give column (one reading) or areas (a multi-area "
                "tool), not both",
            )
        if kind == "series" and (o.kind != "count" or o.before):
            raise _Plan(
                field,
                "an outcome of a series source is a count per period (kind: count) with no "
                "before column",
            )
        if o.kind == "scale" and kind != "series" and o.range is None:
            raise _Plan(f"{field}.range", "a scale needs its range, such as [7, 35]")
        allowed = SERIES_DESIGNS if kind == "series" else PERSON_DESIGNS
        for design in o.designs or ():
            if design not in allowed:
                raise _Plan(
                    f"{field}.designs",
                    f"{design!r} does not apply to a {kind} outcome; expected one of "
                    f"{', '.join(allowed)}",
                )

    def _check_value_for_money(self) -> None:
        """A cost-benefit outcome ``measured_by`` a plan outcome that impact can be measured on."""
        if self.cost_benefit is None:
            return
        plan = {o.name: o for o in self.outcomes}
        for i, cba in enumerate(self.cost_benefit.outcomes):
            if cba.measured_by is None:
                continue
            o = plan.get(cba.measured_by)
            field = f"cost_benefit.outcomes[{i}].measured_by"
            if o is None:
                raise _Plan(
                    field,
                    f"{cba.measured_by!r} is not an outcome of the plan; expected one of "
                    f"{', '.join(map(repr, plan))}",
                )
            if self.outcome_kind(o) == "series" or o.kind not in ("binary", "count"):
                raise _Plan(
                    field,
                    f"{o.name!r} is a {o.kind} outcome of a {self.outcome_kind(o)} source; the "
                    "successes of a cost-benefit outcome come from a yes/no outcome (the share "
                    "who achieve it) or a count (events avoided per person) of the people served",
                )

    def _check_designs(self) -> None:
        d = self.designs
        comparison = bool(self.people.groups.get("comparison"))
        if (d.comparison_group or d.matching) and not comparison:
            which = "comparison_group" if d.comparison_group else "matching"
            raise _Plan(
                f"designs.{which}",
                "needs people not served: map the people source's 'group' column and list "
                "groups.comparison (the labels of eligible people who were not served)",
            )
        before = [
            o.name
            for o in self.outcomes
            if (self.outcome_kind(o) == "people" and o.before)
            or (self.outcome_kind(o) == "readings" and (o.before or "first") != (o.after or "last"))
        ]
        if d.comparison_group and not before:
            raise _Plan(
                "designs.comparison_group",
                "difference-in-differences compares change before and after, so it needs an "
                "outcome with a reading before the service: a before column on the people "
                "source, or a readings outcome compared on two occasions",
            )
        if d.time_series or d.never_treated or d.staggered:
            which = next(n for n in ("time_series", "never_treated", "staggered") if getattr(d, n))
            if not any(s.kind == "series" for s in self.sources.values()):
                raise _Plan(f"designs.{which}", "needs a source of kind 'series'")
            missing = [c for c in self.localities if c not in self.launches]
            if missing:
                raise _Plan(
                    f"designs.{which}",
                    f"needs the launch date of every locality; launches has none for "
                    f"{missing[0]!r}",
                )
        if d.never_treated and not self.comparison_localities:
            raise _Plan(
                "designs.never_treated",
                "needs comparison_localities (areas that never had the service) in the series",
            )

    # -- what the pipeline asks of a spec ---------------------------------------------------

    @property
    def people_source(self) -> str:
        """The name of the people source."""
        return next(n for n, s in self.sources.items() if s.kind == "people")

    @property
    def people(self) -> SourceSpec:
        """The people source."""
        return self.sources[self.people_source]

    def source_of(self, kind: str) -> str | None:
        """The name of the (first) source of a kind, if any."""
        return next((n for n, s in self.sources.items() if s.kind == kind), None)

    def outcome_source(self, outcome: OutcomeSpec) -> str:
        """The name of the source an outcome is read from."""
        return outcome.source or self.people_source

    def outcome_kind(self, outcome: OutcomeSpec) -> str:
        """The kind of the source an outcome is read from (people, readings or series)."""
        return self.sources[self.outcome_source(outcome)].kind

    @property
    def eligible_population(self) -> EligibleSpec:
        """Who was eligible: as declared, else the comparison group if there is one, else none."""
        if self.eligible is not None:
            return self.eligible
        has_comparison = bool(self.people.groups.get("comparison"))
        return EligibleSpec(source="comparison_group" if has_comparison else "none")

    def locality_name(self, code: str) -> str:
        """The name of a locality or comparison locality."""
        return self.localities.get(code) or self.comparison_localities.get(code) or code

    @property
    def project_root(self) -> Path:
        """The folder relative paths are read from."""
        return self.root or Path.cwd()

    def path(self, relative: Path | str) -> Path:
        """A path of the spec made absolute against the project folder."""
        p = Path(relative)
        return p if p.is_absolute() else self.project_root / p

    @property
    def output_folder(self) -> Path:
        """``reports/<programme>/``: where the HTML reports, index and manifest go."""
        return self.path(self.output_dir) / self.programme

    @property
    def processed_folder(self) -> Path:
        """``data/processed/<programme>/``: the validated, pseudonymised, partitioned data."""
        return self.path(self.processed_dir) / self.programme

    def data_files(self) -> dict[str, Path]:
        """The data files the spec names, by source name, as absolute paths.

        A source read by a query (``query:``) has no file and is not listed; see
        :meth:`query_sources`.
        """
        files = {name: self.path(s.file) for name, s in self.sources.items() if s.file is not None}
        if self.eligible is not None and self.eligible.file is not None:
            files["eligible"] = self.path(self.eligible.file)
        return files

    def query_sources(self) -> dict[str, SourceSpec]:
        """The sources read from a database by an SQL query, by name."""
        return {name: s for name, s in self.sources.items() if s.query is not None}
