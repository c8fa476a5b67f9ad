"""The shape shared by every result object: a frozen dataclass with ``to_frame`` and ``summary``.

Subclass :class:`Result` with ``@dataclass(frozen=True)``; scalar fields become the columns of
``to_frame()`` (DataFrame and other non-scalar fields are left out), and ``summary()`` returns
plain English. ``_repr_html_`` shows the table in Jupyter.
"""

from __future__ import annotations

import dataclasses
import numbers
from typing import Any

import pandas as pd

__all__ = ["Result"]


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | bool | numbers.Number)


@dataclasses.dataclass(frozen=True)
class Result:
    """Base class for evalkit's result objects."""

    def to_dict(self) -> dict[str, Any]:
        """The scalar fields as a dict (tables and nested objects left out)."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if _is_scalar(getattr(self, f.name))
        }

    def to_frame(self) -> pd.DataFrame:
        """The scalar fields as a one-row DataFrame."""
        return pd.DataFrame([self.to_dict()])

    def summary(self) -> str:  # pragma: no cover - each subclass says it in its own words
        raise NotImplementedError

    def __str__(self) -> str:
        try:
            return self.summary()
        except NotImplementedError:
            return repr(self)

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)
