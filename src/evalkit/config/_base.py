"""The base of every spec model: strict (unknown fields are errors), frozen and bounded."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["MAX_TEXT", "Finite", "Label", "Model"]

#: The longest text any field of a spec holds (an SQL query, a description).
MAX_TEXT = 20_000
#: A short name shown in reports: an outcome, a characteristic, a cost, a label.
Label = Annotated[str, Field(min_length=1, max_length=200)]
#: A finite number (no .inf or .nan written in the spec).
Finite = Annotated[float, Field(allow_inf_nan=False)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=MAX_TEXT)
