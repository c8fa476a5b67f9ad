"""Nothing about a particular programme lives in evalkit's code: the demo is one spec among many.

The column names of both example programmes' exports are collected from their generators; none
may appear in evalkit's source outside ``src/evalkit/demo/`` (where the examples live). Role
names (``person_id``, ``start_date`` ...) are evalkit's own vocabulary and are allowed.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from evalkit.config.sources import ROLES
from evalkit.demo import family_support, homelessness_prevention

SRC = Path(__file__).resolve().parents[1] / "src" / "evalkit"
#: evalkit's own words that an example also uses as a column name.
OWN_WORDS = {role for roles in ROLES.values() for role in roles} | {
    "locality_code",  # the partition key intake writes
    "group",  # the role of the group column
    "programme",  # a reflection's field
    "period",
    "role",
    "author",
    "template",
    "status",
    "consent",
    "confidence",
    "learning_cycle",
    "sharing_scope",
    "system_scale",
    # statistical and calendar words: the columns a design builds and a series' frequency
    "time",
    "post",
    "quarter",
    "month",
    "year",
    "Month",
    "Year",
    "NHS Number",  # the identifier redaction recognises, cited from the NHS Data Dictionary
}


@cache
def _example_columns() -> frozenset[str]:
    fs = family_support.generate()
    names = {
        str(c)
        for table in (fs.service_users, fs.reviews, fs.timeseries, fs.costs)
        for c in table.columns
    }
    hp = homelessness_prevention.generate()
    for value in vars(hp).values():
        if hasattr(value, "columns"):
            names |= {str(c) for c in value.columns}
    return frozenset(names - OWN_WORDS)


def _sources() -> list[Path]:
    demo = SRC / "demo"
    return [p for p in SRC.rglob("*.py") if demo not in p.parents]


def test_the_examples_have_columns_to_look_for() -> None:
    names = _example_columns()
    assert {"wellbeing_start", "population_0_17", "area_relationships"} <= names
    assert "Accommodation Secured" in names or "Client Ref" in names


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_example_column_is_named_in_evalkit_code(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = [
        name
        for name in sorted(_example_columns())
        if re.search(r"""["'`]""" + re.escape(name) + r"""["'`]""", text)
    ]
    assert not found, f"{path.relative_to(SRC)} names example column(s) {found}"
