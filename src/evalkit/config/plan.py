"""The evaluation plan in a spec: characteristics, outcomes, designs and the reporting period.

In the manner of an HM Treasury Magenta Book evaluation plan, a spec says which outcomes matter
(each with a plain-English definition, its kind and where its readings are), which designs may
estimate the service's impact on each, who the eligible population is and which period a report
covers. evalkit's report follows the plan: for each outcome it uses the strongest design the plan
and the data allow, states its level on the Maryland Scientific Methods Scale, and names any
planned design it could not use, with the reason.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from evalkit.config._base import Finite, Label, Model

__all__ = [
    "DESIGN_LEVELS",
    "CharacteristicSpec",
    "DesignsSpec",
    "EligibleSpec",
    "MatchingSpec",
    "OutcomeSpec",
    "PeriodSpec",
]

#: Person-level designs and series designs, with their Maryland level (strongest last).
DESIGN_LEVELS: dict[str, int] = {
    "before_after": 1,
    "matching": 2,
    "comparison_group": 3,
    "time_series": 2,
    "never_treated": 3,
}
PERSON_DESIGNS = ("before_after", "matching", "comparison_group")
SERIES_DESIGNS = ("time_series", "never_treated")


class CharacteristicSpec(Model):
    """A column for the reach and equity tables: categories as the user labels them, or bands."""

    name: Label
    column: Label
    categories: list[Label] | None = Field(default=None, max_length=1000)
    bands: list[Finite] | None = Field(default=None, max_length=100)
    unit: str = Field(default="", max_length=50)

    @model_validator(mode="after")
    def _bands(self) -> CharacteristicSpec:
        if self.bands is not None:
            if self.categories is not None:
                raise ValueError("give categories or bands, not both")
            if len(self.bands) < 1 or list(self.bands) != sorted(set(self.bands)):
                raise ValueError(
                    f"bands must be increasing cut points such as [16, 25, 35, 50]; got "
                    f"{self.bands}"
                )
        return self

    def band_labels(self) -> list[str]:
        """The labels of the bands: [16, 25, 35] -> 'under 16', '16-24', '25-34', '35 and over'."""
        cuts = [float(b) for b in self.bands or ()]
        fmt = lambda v: f"{v:g}"  # noqa: E731
        labels = [f"under {fmt(cuts[0])}"]
        for low, high in itertools.pairwise(cuts):
            top = high - 1 if all(float(c).is_integer() for c in cuts) else high
            labels.append(f"{fmt(low)}-{fmt(top)}" if top != low else fmt(low))
        labels.append(f"{fmt(cuts[-1])} and over")
        return labels


class OutcomeSpec(Model):
    """One outcome of the plan.

    On a ``people`` source, ``after`` (and optionally ``before``) name the user's columns. On a
    ``readings`` source (one row per person per assessment), ``column`` names the reading (or
    ``areas`` the columns of a multi-area tool) and ``before`` / ``after`` say which readings
    to compare: ``first``, ``last`` or an occasion value such as ``3``. On a ``series`` source,
    ``after`` names the count and ``population`` the column of the population it is a rate of.
    """

    name: Label
    definition: str = Field(min_length=1, max_length=2000)
    why: str = Field(default="", max_length=2000)
    kind: Literal["binary", "count", "scale", "money"]
    source: str | None = None
    after: str | None = None
    before: str | None = None
    column: str | None = None
    areas: list[str] | None = None
    polarity: Literal["higher_is_better", "lower_is_better"] = "higher_is_better"
    unit: str = Field(default="", max_length=50)
    target: Finite | None = None
    range: tuple[Finite, Finite] | None = None
    reliability: float | None = Field(default=None, gt=0, lt=1)
    norm_sd: Finite | None = Field(default=None, gt=0)
    cutoff: Finite | None = None
    population: str | None = None
    per: int = Field(default=10_000, ge=1, le=1_000_000_000)
    designs: list[str] | None = None

    @field_validator("designs")
    @classmethod
    def _known_designs(cls, value: list[str] | None) -> list[str] | None:
        for design in value or ():
            if design not in DESIGN_LEVELS:
                raise ValueError(
                    f"unknown design {design!r}; expected one of {', '.join(DESIGN_LEVELS)}"
                )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> OutcomeSpec:
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"range must be [low, high] with low < high; got {list(self.range)}")
        if self.target is not None and self.kind == "binary" and not 0 <= self.target <= 1:
            raise ValueError(
                f"a binary outcome's target is a share from 0 to 1 (0.7 for 70%); got {self.target}"
            )
        if self.kind != "scale" and (self.reliability or self.norm_sd or self.cutoff):
            raise ValueError("reliability, norm_sd and cutoff apply only to outcomes of kind scale")
        if self.areas is not None and self.kind != "scale":
            raise ValueError("areas (a multi-area tool) apply only to outcomes of kind scale")
        return self

    @property
    def higher_is_better(self) -> bool:
        return self.polarity == "higher_is_better"

    @property
    def unit_words(self) -> str:
        """The unit in words for sentences ('percentage points' for a binary outcome)."""
        if self.kind == "binary":
            return "percentage points"
        if self.kind == "money":
            return self.unit or "pounds"
        return self.unit or "points"


class MatchingSpec(Model):
    """A matched comparison: comparison-group people matched to those served on covariates."""

    covariates: list[str] = Field(min_length=1, max_length=100)
    caliper: float = Field(default=0.2, gt=0, le=10)


class DesignsSpec(Model):
    """Which designs the plan allows. The report uses, per outcome, the strongest that works.

    - ``before_after``: change for the people served (level 1: change, never impact);
    - ``comparison_group``: difference-in-differences against eligible people not served
      (level 3), needs the people source's ``group`` role and a ``before`` reading;
    - ``matching``: served people matched on covariates to people not served (level 2);
    - ``time_series``: interrupted time series of a series outcome at the locality's launch
      (level 2), needs ``launches``;
    - ``never_treated``: the locality's series against the comparison localities that never had
      the service, before and after launch (difference-in-differences, level 3);
    - ``staggered``: the programme-wide effect of a launch spread over time (Callaway and
      Sant'Anna), in the report comparing localities.
    """

    before_after: bool = True
    comparison_group: bool = False
    matching: MatchingSpec | None = None
    time_series: bool = False
    never_treated: bool = False
    staggered: bool = False
    seasonality: bool = True

    def enabled(self) -> dict[str, bool]:
        """Whether the plan allows each outcome design (the keys of ``DESIGN_LEVELS``)."""
        return {
            "before_after": self.before_after,
            "matching": self.matching is not None,
            "comparison_group": self.comparison_group,
            "time_series": self.time_series,
            "never_treated": self.never_treated,
        }


class EligibleSpec(Model):
    """Who was eligible, for the reach table: a comparison group, a file of counts, or none.

    A population file has columns ``locality``, ``characteristic``, ``category`` and ``count``:
    the number eligible in each category of each characteristic named in the spec.
    """

    source: Literal["comparison_group", "file", "none"] = "none"
    file: Path | None = None
    description: str = ""

    @model_validator(mode="after")
    def _file(self) -> EligibleSpec:
        if (self.source == "file") != (self.file is not None):
            raise ValueError("eligible.file is needed when, and only when, source is 'file'")
        return self


class PeriodSpec(Model):
    """The reporting period: its label and dates. People are selected by when support started."""

    label: str = Field(min_length=1, max_length=200)
    start: dt.date | None = None
    end: dt.date | None = None
    select: Literal["started", "active", "all"] = "started"

    @model_validator(mode="after")
    def _order(self) -> PeriodSpec:
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        if self.select != "all" and (self.start is None or self.end is None):
            raise ValueError(
                "start and end dates are needed to select records by the period; or set "
                "select: all to cover everyone since launch"
            )
        return self

    def describe(self) -> str:
        """Which records the period covers, in words."""
        if self.select == "all":
            return "everyone served since the service began"
        verb = "started support" if self.select == "started" else "were supported at any time"
        return f"people who {verb} between {_day(self.start)} and {_day(self.end)}"


def _day(value: dt.date | None) -> str:
    return "" if value is None else f"{value.day} {value:%B %Y}"
