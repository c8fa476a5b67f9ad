"""Disclosure policies: which counts are suppressed, how the others are rounded.

The built-in policies are data in ``reference/disclosure_policies.yaml`` with their sources;
programme specs define custom ones as a mapping of :class:`Policy` fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from evalkit.exceptions import ConfigError, ParameterError
from evalkit.reference import load_yaml

__all__ = ["Policy", "get_policy", "is_disclosive", "policy_names", "protect_count"]

_POLICY_FILE = "disclosure_policies.yaml"


def _round_to(n: int, base: int) -> int:
    """Round a non-negative integer to the nearest multiple of ``base`` (halves go up)."""
    return (n + base // 2) // base * base


class Policy(BaseModel):
    """A small-number policy: which counts are suppressed, how the rest are rounded.

    Counts from ``low`` to ``high`` are shown as ``symbol``; a zero is shown as 0 (``zero="keep"``)
    or suppressed (``zero="suppress"``); other counts are rounded to the nearest ``rounding``
    (1 means shown exactly); ``secondary`` adds secondary suppression to tables with totals.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "custom"
    label: str = "custom disclosure policy"
    authority: str = "this programme"
    low: int = Field(1, ge=1)
    high: int = Field(ge=1)
    rounding: int = Field(1, ge=1)
    symbol: str = Field("*", min_length=1)
    zero: Literal["keep", "suppress"] = "keep"
    secondary: bool = False
    source: str = "defined in the programme spec"
    notes: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) must not exceed high ({self.high})")
        first_shown = _round_to(self.high + 1, self.rounding)
        if first_shown <= self.high:
            raise ValueError(
                f"rounding to the nearest {self.rounding} would publish {self.high + 1} as "
                f"{first_shown}, inside the suppressed range; use a smaller rounding base"
            )
        if self.symbol.strip().replace(".", "").isdigit():
            raise ValueError(f"symbol {self.symbol!r} looks like a number; use text such as '*'")
        return self

    def suppresses(self, n: int) -> bool:
        """Whether the count ``n`` is suppressed by this policy."""
        return self.low <= n <= self.high or (n == 0 and self.zero == "suppress")

    def publish(self, n: int) -> int | str:
        """The published form of the count ``n``: the symbol, or ``n`` rounded."""
        return self.symbol if self.suppresses(n) else _round_to(n, self.rounding)

    def true_range(self, published: int) -> tuple[int, int]:
        """The smallest and largest true counts that this policy publishes as ``published``.

        The interval a reader can infer from a published count, e.g. 15 -> (13, 17) when
        counts are rounded to the nearest 5, 10 -> (8, 12) when 1-7 are suppressed, and
        0 -> (0, 0) when zeros are kept. Raises ValueError for a value the policy never
        publishes (such as 12 under rounding to 5).
        """
        r = self.rounding
        found = [
            n
            for n in range(max(0, published - r), published + r + 1)
            if self.publish(n) == published
        ]
        if not found:
            raise ValueError(f"{published} is not a count that this policy publishes")
        return min(found), max(found)

    def range_text(self) -> str:
        """The suppressed range in words, e.g. 'between 1 and 7'."""
        small = f"between {self.low} and {self.high}" if self.low < self.high else f"{self.low}"
        return f"0 or {small}" if self.zero == "suppress" else small

    def describe(self) -> str:
        """The rule in one plain-English sentence."""
        zero = "zeros are suppressed too" if self.zero == "suppress" else "a zero is shown as 0"
        rest = (
            f"other counts are rounded to the nearest {self.rounding}"
            if self.rounding > 1
            else "other counts are shown exactly"
        )
        second = (
            "; in tables with totals, more cells are suppressed so none can be worked out"
            if self.secondary
            else ""
        )
        return f'counts {self.range_text()} are shown as "{self.symbol}"; {zero}; {rest}{second}.'


@cache
def _builtin() -> dict[str, dict[str, Any]]:
    return load_yaml(_POLICY_FILE)


def policy_names() -> list[str]:
    """The names of the built-in policies (``custom`` policies are given as mappings)."""
    return list(_builtin())


def _invalid(err: ValidationError, what: str) -> ConfigError:
    first = err.errors()[0]
    field = ".".join(map(str, first["loc"])) or "policy"
    return ConfigError(
        f"{what}: field {field!r} {first['msg'].lower()}; got {first.get('input')!r}"
    )


def get_policy(policy: str | Mapping[str, Any] | Policy) -> Policy:
    """The :class:`Policy` named or described by ``policy``.

    ``policy`` is a built-in name (``nhs``, ``dfe``, ``ons_10_5``, ``ofqual``), a :class:`Policy`,
    or a mapping of Policy fields for a custom policy; a mapping may start from a built-in with
    ``extends: dfe`` and change some fields. Raises ConfigError for an unknown name or a bad field.
    """
    if isinstance(policy, Policy):
        return policy
    valid = ", ".join(policy_names())
    if isinstance(policy, str):
        key = policy.strip().lower()
        if key in _builtin():
            return Policy(name=key, **_builtin()[key])
        hint = (
            "a custom policy is given as a mapping of its fields (low, high, rounding, symbol, "
            "zero, secondary)"
            if key == "custom"
            else "or give a mapping of fields (low, high, rounding, symbol, zero, secondary) "
            "for a custom policy"
        )
        raise ConfigError(f"unknown disclosure policy {policy!r}; valid policies: {valid}; {hint}")
    if isinstance(policy, Mapping):
        fields = dict(policy)
        base: dict[str, Any] = {}
        if "extends" in fields:
            parent = get_policy(str(fields.pop("extends")))
            base = parent.model_dump()
            base["name"] = f"{parent.name} (adapted)"
        try:
            return Policy.model_validate(base | fields)
        except ValidationError as err:
            raise _invalid(err, "disclosure policy") from None
    raise ConfigError(
        f"disclosure policy must be a name ({valid}) or a mapping of fields; got {policy!r}"
    )


def _whole_count(value: Any, where: str, error: type[Exception]) -> int:
    """``value`` as a non-negative int, or ``error`` naming ``where`` and the value."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or value is None:
        raise error(f"{where}: value {value!r} is not a count; expected a whole number >= 0")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise error(
            f"{where}: value {value!r} is not a count; expected a whole number >= 0"
        ) from None
    if not np.isfinite(v) or v < 0 or v != int(v):
        raise error(f"{where}: value {value!r} is not a count; expected a whole number >= 0")
    return int(v)


def is_disclosive(n: int, policy: str | Mapping[str, Any] | Policy = "nhs") -> bool:
    """Whether publishing the count ``n`` would break ``policy`` (it must be suppressed)."""
    return get_policy(policy).suppresses(_whole_count(n, "n", ParameterError))


def protect_count(n: int, policy: str | Mapping[str, Any] | Policy = "nhs") -> int | str:
    """The publishable form of one count for use in a sentence: the symbol or the rounded count.

    >>> protect_count(3, "nhs"), protect_count(12, "nhs"), protect_count(3, "ofqual")
    ('*', 10, 'fewer than 5')
    """
    return get_policy(policy).publish(_whole_count(n, "n", ParameterError))
