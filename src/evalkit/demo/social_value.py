"""The demo's social value inputs: tenders, bids, delivery returns and adjustments.

The files are shipped in :mod:`evalkit.reference` (fictional; the adjustments are demo
assumptions) and copied beside the demo spec under the names the social value report looks for
by default (:data:`evalkit.reports.social_value.INPUT_FILES`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from evalkit._io import atomic_path
from evalkit.reference import path_of

__all__ = ["SHIPPED", "write_demo_inputs"]

#: The shipped demo file of each social value input.
SHIPPED = {
    "bids": "demo_social_value_bids.csv",
    "delivery": "demo_social_value_delivery.csv",
    "adjustments": "demo_social_value_adjustments.csv",
}


def write_demo_inputs(directory: str | Path) -> dict[str, Path]:
    """Write the demo tenders, bids, delivery returns and adjustments into ``directory``.

    Files: ``social_value_bids.csv``, ``social_value_delivery.csv`` and
    ``social_value_adjustments.csv``, written atomically. Returns the path of each by kind.
    """
    from evalkit.reports.social_value import INPUT_FILES

    out = {}
    for kind, shipped in SHIPPED.items():
        target = Path(directory) / INPUT_FILES[kind]
        with path_of(shipped).open("rb") as src, atomic_path(target) as tmp, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst)
        out[kind] = target
    return out
