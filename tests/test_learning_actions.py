"""Learning continuity on the edge of no data at all."""

from __future__ import annotations

import pandas as pd

from evalkit.learning.actions import continuity


def test_continuity_of_a_locality_with_no_reflections_is_empty_not_an_error() -> None:
    # A locality whose partners have not shared anything yet (the demo's Rutland).
    empty = pd.DataFrame(columns=["learning_cycle", "locality", "reflected_on", "status"])
    actions = pd.DataFrame(
        columns=[
            "id",
            "description",
            "owner_role",
            "due_on",
            "status",
            "follow_up_reflection_id",
            "cycle_id",
            "locality",
        ]
    )
    result = continuity(empty, actions, today="2025-03-31")
    assert result.quiet_cycles.empty
