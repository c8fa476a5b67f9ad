"""The validated shape of a local cost-benefit model spec (also the ``cost_benefit:`` section of a
programme spec). Misspelt or unexpected fields are errors naming their path."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from evalkit.econ.agencies import agency_name
from evalkit.econ.discounting import discount_schedule
from evalkit.econ.optimism_bias import confidence_grade_bias
from evalkit.econ.prices import deflator_index
from evalkit.exceptions import ConfigError, EvalkitError

__all__ = ["CohortSpec", "CostBenefitSpec", "CostSpec", "OutcomeSpec", "ValuesSpec", "parse_spec"]

Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
#: The largest amount of money, people or years a model takes: beyond these a value is a typing
#: slip, and sums of such values overflow to infinity in the arithmetic of a model.
MAX_AMOUNT = 1e12
MAX_PEOPLE = 1e9
MAX_YEARS = 200
Money = Annotated[float, Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT, allow_inf_nan=False)]
Year = Annotated[int, Field(ge=0, le=MAX_YEARS)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=2000)


def _known(fn, value, field: str):
    try:
        return fn(value, field=field)
    except EvalkitError as exc:  # pydantic reports ValueError with the field path
        raise ValueError(str(exc)) from None


class _Biased(_Strict):
    optimism_bias: Share | None = None
    confidence_grade: int | None = None

    @model_validator(mode="after")
    def _one_bias(self):
        if (self.optimism_bias is None) == (self.confidence_grade is None):
            got = (
                "neither"
                if self.optimism_bias is None
                else f"both (optimism_bias {self.optimism_bias:g}, confidence_grade "
                f"{self.confidence_grade})"
            )
            raise ValueError(
                "give exactly one of optimism_bias (a share such as 0.15) or confidence_grade "
                f"(1-6); got {got}"
            )
        if self.confidence_grade is not None:
            _known(confidence_grade_bias, self.confidence_grade, "confidence_grade")
        return self

    @property
    def bias(self) -> float:
        """The optimism-bias share, from the grade table if a grade was given."""
        if self.optimism_bias is not None:
            return self.optimism_bias
        return confidence_grade_bias(self.confidence_grade)


class CohortSpec(_Strict):
    year: Year
    size: float = Field(ge=0, le=MAX_PEOPLE, allow_inf_nan=False)


class CostSpec(_Biased):
    name: Name
    year: Year
    amount: float = Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False)
    agency: str | None = None

    @field_validator("agency")
    @classmethod
    def _agency(cls, v: str | None) -> str | None:
        return None if v is None else _known(agency_name, v, "agency")


class FiscalValueSpec(_Strict):
    agency: str
    amount: Money
    cashable: bool = True

    @field_validator("agency")
    @classmethod
    def _agency(cls, v: str) -> str:
        return _known(agency_name, v, "agency")


class ValuesSpec(_Strict):
    fiscal: list[FiscalValueSpec] = Field(default_factory=list)
    economic: Money = 0.0
    social: Money = 0.0
    #: Where the values per success come from (a unit cost database and its table, a study),
    #: shown beside them in reports. Values are in the model's ``price_year``.
    source: str | None = Field(default=None, max_length=500)


class OutcomeSpec(_Biased):
    name: Name
    success_rate: Share
    deadweight: Share
    #: The measured outcome whose impact estimate gave ``success_rate`` (whoever builds the
    #: model resolves the name). Such successes are net of what would have happened anyway
    #: already, so deadweight 0 does not make the result gross.
    measured_by: str | None = None
    lag_years: int = Field(default=0, ge=0, le=MAX_YEARS)
    duration_years: int = Field(default=1, ge=1, le=MAX_YEARS)
    drop_off: Share = 0.0
    values: ValuesSpec


class CostBenefitSpec(_Strict):
    price_year: int | str
    discount: str | float = "standard"
    horizon_years: int = Field(ge=1, le=MAX_YEARS)
    cohorts: list[CohortSpec] = Field(min_length=1, max_length=MAX_YEARS)
    engagement_rate: Share
    costs: list[CostSpec] = Field(min_length=1, max_length=1000)
    outcomes: list[OutcomeSpec] = Field(min_length=1, max_length=1000)

    @field_validator("discount")
    @classmethod
    def _discount(cls, v: str | float) -> str | float:
        try:
            discount_schedule(v)
        except EvalkitError as exc:
            raise ValueError(str(exc)) from None
        return v

    @field_validator("price_year")
    @classmethod
    def _price_year(cls, v: int | str) -> int | str:
        try:
            deflator_index(v, financial_year="start", name="price_year")
        except EvalkitError as exc:
            raise ValueError(str(exc)) from None
        return v

    @model_validator(mode="after")
    def _fits_horizon(self):
        h = self.horizon_years
        names = [o.name for o in self.outcomes] + [c.name for c in self.costs]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(
                f"names of outcomes and costs must be unique (they key sensitivity parameters); "
                f"repeated: {', '.join(map(repr, dupes))}"
            )
        for i, cost in enumerate(self.costs):
            if cost.year >= h:
                raise ValueError(
                    f"costs.{i} ({cost.name!r}) year {cost.year} lies beyond horizon_years={h} "
                    f"(years 0-{h - 1}); expected a year below {h} or a longer horizon"
                )
        last_cohort = max(c.year for c in self.cohorts)
        for i, out in enumerate(self.outcomes):
            last = last_cohort + out.lag_years + out.duration_years - 1
            if last >= h:
                raise ValueError(
                    f"horizon_years={h} (years 0-{h - 1}) is shorter than the benefit profile of "
                    f"outcomes.{i} ({out.name!r}): the cohort of year {last_cohort} with lag "
                    f"{out.lag_years} and duration {out.duration_years} benefits until year "
                    f"{last}; expected horizon_years >= {last + 1}"
                )
        if sum(c.amount for c in self.costs) <= 0:
            raise ValueError("costs must add up to more than 0 for a return on investment")
        return self


def _describe(error: dict[str, Any]) -> str:
    path = ".".join(str(p) for p in error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unexpected field (misspelt?)"
    shown = error.get("input")
    text = repr(shown[:60] if isinstance(shown, str) else shown)
    text = text if len(text) <= 60 else text[:57] + "..."
    got = "" if isinstance(shown, dict | list) else f" (got {text})"
    return f"{path}: {message}{got}" if path else f"{message}{got}"


def parse_spec(spec: Any, *, source: str = "cost_benefit spec") -> CostBenefitSpec:
    """Validate a spec mapping, or raise ConfigError listing each problem with its field path."""
    if isinstance(spec, CostBenefitSpec):
        return spec
    if not isinstance(spec, dict):
        raise ConfigError(f"{source} must be a mapping of fields; got {type(spec).__name__}")
    try:
        return CostBenefitSpec.model_validate(spec)
    except ValidationError as exc:
        errors = exc.errors()
        problems = "; ".join(_describe(e) for e in errors[:3])
        more = f" (and {len(errors) - 3} more problem(s))" if len(errors) > 3 else ""
        raise ConfigError(f"{source}: {problems}{more}") from None
