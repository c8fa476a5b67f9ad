"""Programme specs: one YAML file per commissioned programme, validated on load.

A spec names the programme, its localities (ONS codes of English upper-tier local authorities),
its data files, the notebooks to run per locality, its outcome indicators, the disclosure policy
and its cost-benefit inputs. :func:`load_spec` reads and validates one; every problem is reported
as a :class:`~evalkit.exceptions.ConfigError` naming the file, the field, the value and what was
expected (with a suggestion for misspelt field names).

Relative paths in a spec are read from the project folder: the nearest folder at or above the spec
that holds a ``notebooks/`` folder (or the ``root`` the spec names).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from evalkit.exceptions import ConfigError, DataError
from evalkit.outcomes import Indicator
from evalkit.reference import locality_name

__all__ = [
    "DataFiles",
    "DistanceSpec",
    "ProgrammeSpec",
    "ReportSpec",
    "WellbeingSpec",
    "find_root",
    "load_spec",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataFiles(_Model):
    """The programme's input files (CSV or XLSX), relative to the project folder."""

    service_users: Path
    reviews: Path | None = None
    timeseries: Path | None = None
    costs: Path | None = None
    reflections: Path | None = None


class ReportSpec(_Model):
    """A notebook run once per locality (``scope: locality``) or once for the whole programme."""

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    notebook: Path
    title: str = "Evaluation report"
    scope: Literal["locality", "programme"] = "locality"


class WellbeingSpec(_Model):
    """A wellbeing scale measured at the start and the end of support."""

    scale: Literal["swemwbs", "wemwbs", "custom"] = "swemwbs"
    pre: str
    post: str
    reliability: float = Field(gt=0, lt=1)
    sd: float | None = Field(default=None, gt=0)
    higher_is_better: bool = True
    cutoff: float | None = None


class DistanceSpec(_Model):
    """A multi-area distance-travelled tool: the area columns, scored at each review."""

    areas: list[str] = Field(min_length=1)
    low: float = 1
    high: float = 10
    person: str = "person_id"
    review_number: str = "review_number"
    date: str = "review_date"


class DisclosureSpec(_Model):
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


def _locality_code(value: str) -> str:
    try:
        locality_name(value)
    except DataError as exc:
        raise ValueError(str(exc)) from None
    return value


LocalityCode = Annotated[str, AfterValidator(_locality_code)]


class SensitivitySpec(_Model):
    """Uncertainty about the cost-benefit inputs: a plausible range for each uncertain parameter.

    The same ranges give the one-way (tornado) analysis and, drawn uniformly, the Monte Carlo.
    Keys name model parameters as :func:`evalkit.econ.monte_carlo` does, such as
    ``"engagement_rate"`` or ``"<outcome name>.success_rate"``.
    """

    ranges: dict[str, tuple[float, float]] = {}
    draws: int = Field(default=5000, ge=100, le=1_000_000)
    seed: int = 1

    @field_validator("ranges")
    @classmethod
    def _ordered(cls, ranges: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for key, (low, high) in ranges.items():
            if not low < high:
                raise ValueError(
                    f"range for {key!r} must be [low, high] with low < high; got {[low, high]}"
                )
        return ranges


class ProgrammeSpec(_Model):
    """A validated programme spec. Build with :func:`load_spec`."""

    programme: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    description: str = ""
    commissioner: str = ""
    reporting_period: str
    localities: list[LocalityCode] = Field(min_length=1)
    comparison_localities: list[LocalityCode] = []
    data: DataFiles
    reports: list[ReportSpec] = [
        ReportSpec(name="programme_report", notebook=Path("notebooks/programme_report.ipynb"))
    ]
    disclosure: DisclosureSpec = DisclosureSpec()
    indicators: list[Indicator] = []
    wellbeing: WellbeingSpec | None = None
    distance_travelled: DistanceSpec | None = None
    cost_benefit: dict[str, Any] | None = None
    sensitivity: SensitivitySpec = SensitivitySpec()
    pseudonymise: dict[str, str] = {"person_id": "p-", "family_id": "f-"}
    kernel: str = "evalkit"
    timeout_seconds: int = Field(default=600, gt=0)
    root: Path | None = None
    output_dir: Path = Path("reports")
    processed_dir: Path = Path("data/processed")
    # Set by load_spec: where the spec came from and the folder relative paths are read from.
    source: Path | None = None

    @field_validator("localities", "comparison_localities")
    @classmethod
    def _unique(cls, codes: list[str]) -> list[str]:
        seen: set[str] = set()
        for code in codes:
            if code in seen:
                raise ValueError(f"locality {code!r} is listed twice")
            seen.add(code)
        return codes

    @field_validator("cost_benefit")
    @classmethod
    def _cost_benefit(cls, section: dict[str, Any] | None) -> dict[str, Any] | None:
        if section is not None:
            from evalkit.econ import CostBenefitModel

            try:
                CostBenefitModel.from_dict(section)
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
        return section

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
        """The named input files that the spec gives, as absolute paths."""
        return {
            name: self.path(value)
            for name, value in self.data.model_dump().items()
            if value is not None
        }


def find_root(spec_path: Path) -> Path:
    """The nearest folder at or above the spec that holds ``notebooks/``, else the spec's folder."""
    start = spec_path.resolve().parent
    for folder in (start, *start.parents):
        if (folder / "notebooks").is_dir():
            return folder
    return start


def _suggest(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _model_for(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: Any = ProgrammeSpec
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return None
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        for candidate in candidates:
            inner = getattr(candidate, "__args__", None)
            pool = [candidate, *(inner or ())]
            found = next(
                (c for c in pool if isinstance(c, type) and issubclass(c, BaseModel)), None
            )
            if found is not None:
                model = found
                break
        else:
            return None
    return model


def _format_error(path: Path, error: dict[str, Any]) -> str:
    loc = tuple(error["loc"])
    field = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")
    value = error.get("input")
    if error["type"] == "extra_forbidden":
        model = _model_for(loc)
        options = list(model.model_fields) if model else []
        return (
            f"{path}: unknown field {field!r}{_suggest(str(loc[-1]), options)}; "
            f"expected one of: {', '.join(o for o in options if o != 'source')}"
        )
    if error["type"] == "missing":
        return f"{path}: required field {field!r} is missing"
    message = error["msg"].removeprefix("Value error, ")
    return f"{path}: field {field!r} has value {value!r}: {message}"


def load_spec(path: str | Path) -> ProgrammeSpec:
    """Read and validate a programme spec; raise ConfigError naming file, field and value."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: programme spec not found; expected a YAML file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the spec as UTF-8"
        ) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of fields at the top level; got {raw!r:.60}")
    root = Path(raw["root"]) if isinstance(raw.get("root"), str) else None
    root = (path.resolve().parent / root).resolve() if root else find_root(path)
    try:
        spec = ProgrammeSpec.model_validate({**raw, "root": root, "source": path.resolve()})
    except ValidationError as exc:
        # Misspelt names first: a misspelt field also shows up as a missing one.
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        first = _format_error(path, errors[0])
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ConfigError(first + more) from None
    return spec
