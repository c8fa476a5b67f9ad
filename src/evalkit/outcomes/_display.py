"""How values found in the data are shown in error messages (private)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["shown"]


def shown(value: Any) -> str:
    """``repr`` of a value as the user wrote it: numpy scalars shown as plain Python numbers."""
    return repr(value.item() if isinstance(value, np.generic) else value)
