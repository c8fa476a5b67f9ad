"""Reflection templates as data: each question is mapped onto one of the four canonical slots.

Five templates ship with evalkit under ``evalkit/reference/templates/``: ``hls`` (the four HLS
questions), ``after_action_review``, ``gibbs``, ``what_so_what_now_what`` and
``most_significant_change``. A learning partner adds a template by writing a YAML file of the same
shape - no code - and passing its path, or by putting it in a folder named by the environment
variable ``EVALKIT_TEMPLATES`` (several folders separated by ``os.pathsep``).

A template file::

    name: team_huddle
    title: Team huddle
    questions:
      - {id: tried, prompt: "What did we try?", slot: what_we_tried, required: true}
      - {id: worry, prompt: "What worried you?", slot: null, private: true}

A question with ``slot: null`` is kept in the record's ``extra`` answers, which never leave the
store; ``private: true`` says so to the person answering. Several questions may fill one slot; their
answers are joined with a blank line.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from evalkit.exceptions import ConfigError, DataError
from evalkit.learning.records import SLOTS
from evalkit.reference import path_of

__all__ = ["TEMPLATES_ENV", "Question", "Template", "list_templates", "load_template"]

TEMPLATES_ENV = "EVALKIT_TEMPLATES"


class Question(BaseModel):
    """One prompt of a template and the canonical slot its answer fills."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    prompt: str = Field(min_length=1)
    help: str = ""
    slot: str | None = None
    required: bool = False
    private: bool = False

    @field_validator("slot")
    @classmethod
    def _slot(cls, value: str | None) -> str | None:
        if value is not None and value not in SLOTS:
            raise ValueError(f"slot must be one of {', '.join(SLOTS)} or null; got {value!r}")
        return value

    @model_validator(mode="after")
    def _private_has_no_slot(self) -> Question:
        if self.private and self.slot is not None:
            raise ValueError(
                f"question {self.id!r} is private but fills slot {self.slot!r}; "
                "private answers must have slot: null so that they are never shared"
            )
        return self


class Template(BaseModel):
    """A reflection template: its questions and how they map onto the four canonical slots."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    description: str = ""
    source: str = ""
    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Template:
        ids = [q.id for q in self.questions]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"question ids must be unique; repeated: {', '.join(repeated)}")
        return self

    def to_slots(self, answers: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
        """Map answers (question id -> text) onto ``(slots, extra)``.

        Raises DataError naming a required question left empty or an answer to an unknown question.
        """
        known = {q.id for q in self.questions}
        unknown = sorted(set(answers) - known)
        if unknown:
            raise DataError(
                f"template {self.name!r} has no question {unknown[0]!r}; "
                f"expected one of {', '.join(sorted(known))}"
            )
        slots: dict[str, list[str]] = {slot: [] for slot in SLOTS}
        extra: dict[str, str] = {}
        for q in self.questions:
            text = str(answers.get(q.id) or "").strip()
            if q.required and not text:
                raise DataError(
                    f"template {self.name!r}: question {q.id!r} ({q.prompt}) is required; "
                    "expected an answer, found it empty"
                )
            if not text:
                continue
            if q.slot is None:
                extra[q.id] = text
            else:
                slots[q.slot].append(text)
        return {slot: "\n\n".join(parts) for slot, parts in slots.items()}, extra


def _search_dirs() -> list[Path]:
    value = os.environ.get(TEMPLATES_ENV, "")
    return [Path(p) for p in value.split(os.pathsep) if p]


def _read(path: Path | Any, label: str) -> Template:
    try:
        with path.open("r", encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise ConfigError(f"template file {label} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"template file {label} must hold a mapping with name, title, questions")
    try:
        return Template.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(
            f"template file {label}: field {where!r} value {first.get('input')!r}: "
            f"{first['msg'].removeprefix('Value error, ')}"
        ) from None


def load_template(name_or_path: str | Path) -> Template:
    """A template by name (a shipped one, or one in ``EVALKIT_TEMPLATES``) or from a YAML path."""
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"}:
        if not candidate.is_file():
            raise ConfigError(f"template file {str(candidate)!r} does not exist")
        return _read(candidate, str(candidate))
    name = str(name_or_path)
    for folder in _search_dirs():
        for suffix in (".yaml", ".yml"):
            path = folder / f"{name}{suffix}"
            if path.is_file():
                return _read(path, str(path))
    try:
        shipped = path_of(f"templates/{name}.yaml")
    except ConfigError:
        raise ConfigError(
            f"unknown template {name!r}; expected one of {', '.join(list_templates())} "
            "or the path of a template YAML file"
        ) from None
    return _read(shipped, f"templates/{name}.yaml")


def list_templates() -> list[str]:
    """Names of the templates available: shipped ones and those in ``EVALKIT_TEMPLATES``."""
    names = {
        p.name.rsplit(".", 1)[0]
        for p in (resources.files("evalkit.reference") / "templates").iterdir()
        if p.name.endswith(".yaml")
    }
    for folder in _search_dirs():
        if folder.is_dir():
            names.update(p.stem for p in folder.glob("*.y*ml"))
    return sorted(names)
