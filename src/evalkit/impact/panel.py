"""Reshape person-level before/after readings into the panel that difference-in-differences needs."""

from __future__ import annotations

import pandas as pd

from evalkit._validate import require_columns

__all__ = ["stack_pre_post"]


def stack_pre_post(
    df: pd.DataFrame,
    pre: str,
    post: str,
    *,
    group: str = "group",
    treated: str = "participant",
    person: str = "person_id",
    outcome: str = "y",
) -> pd.DataFrame:
    """One row per person and period from one row per person with a reading before and after.

    People missing either reading are left out. The result has ``person``, ``group``,
    ``treated`` (1 where ``group`` equals ``treated``), ``post`` (0 before, 1 after) and the
    reading in ``outcome``: ready for ``did(panel, outcome, "treated", "post", cluster=person)``.
    """
    require_columns(df, [pre, post, group, person], source="stack_pre_post()")
    both = df.dropna(subset=[pre, post])
    base = both[[person, group]].assign(treated=(both[group] == treated).astype(int))
    before = base.assign(post=0, **{outcome: both[pre].astype(float).to_numpy()})
    after = base.assign(post=1, **{outcome: both[post].astype(float).to_numpy()})
    return pd.concat([before, after], ignore_index=True)
