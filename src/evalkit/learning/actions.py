"""Following actions through, and keeping the rhythm of learning cycles.

Open and overdue actions, cycles that have gone quiet, and actions that no later reflection
followed up. These are prompts for a conversation, not ratings: nothing here scores a person or a
team, and nothing is coloured red, amber or green.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from evalkit._results import Result
from evalkit._validate import require_columns
from evalkit.exceptions import ParameterError

__all__ = ["Continuity", "continuity", "open_actions", "overdue_actions"]

_ACTION_COLUMNS = ("id", "description", "owner_role", "due_on", "status")


def _today(today: dt.date | str | None) -> dt.date:
    if today is None:
        return dt.date.today()
    try:
        return pd.Timestamp(today).date()
    except ValueError:
        raise ParameterError(f"today must be a date such as '2024-09-30'; got {today!r}") from None


def open_actions(
    actions: pd.DataFrame, *, today: dt.date | str | None = None, locality: str | None = None
) -> pd.DataFrame:
    """Actions still open, soonest due first, with ``days_to_due`` (negative once overdue)."""
    require_columns(actions, _ACTION_COLUMNS, source="actions")
    day = _today(today)
    out = actions[actions["status"] == "open"].copy()
    if locality is not None and "locality" in out.columns:
        out = out[out["locality"] == locality]
    due = pd.to_datetime(out["due_on"]).dt.date
    out["days_to_due"] = [(d - day).days for d in due]
    out["overdue"] = out["days_to_due"] < 0
    return out.sort_values(["days_to_due", "id"]).reset_index(drop=True)


def overdue_actions(
    actions: pd.DataFrame, *, today: dt.date | str | None = None, locality: str | None = None
) -> pd.DataFrame:
    """Open actions whose due date has passed."""
    opened = open_actions(actions, today=today, locality=locality)
    return opened[opened["overdue"]].reset_index(drop=True)


@dataclasses.dataclass(frozen=True)
class Continuity(Result):
    """Where learning has paused: quiet cycles and actions never followed up."""

    weeks: int
    today: str
    quiet_cycles: pd.DataFrame
    not_followed_up: pd.DataFrame

    def summary(self) -> str:
        cycles = len(self.quiet_cycles)
        actions = len(self.not_followed_up)
        return (
            f"As of {self.today}, {cycles} learning cycle{'s' if cycles != 1 else ''} had no "
            f"reflection in the last {self.weeks} weeks, and {actions} action"
            f"{'s' if actions != 1 else ''} past {'its' if actions == 1 else 'their'} due date "
            f"had no follow-up reflection. "
            "These are prompts to check in, not judgements."
        )


def continuity(
    reflections: pd.DataFrame,
    actions: pd.DataFrame,
    cycles: pd.DataFrame | None = None,
    *,
    weeks: int = 8,
    today: dt.date | str | None = None,
) -> Continuity:
    """Find learning cycles with no reflection for ``weeks`` weeks and actions never followed up.

    Parameters
    ----------
    reflections
        Reflections with ``learning_cycle``, ``locality`` and ``reflected_on`` (withdrawn ones are
        ignored if a ``status`` column is present).
    actions
        Actions (:meth:`ReflectionStore.actions`).
    cycles
        Learning cycles (:meth:`ReflectionStore.cycles`); cycles with an ``ended_on`` date are
        finished and not flagged. Cycles seen only in reflections are included too.
    weeks
        How long without a reflection counts as quiet.
    today
        The reference date (default: today).
    """
    if int(weeks) < 1:
        raise ParameterError(f"weeks must be a whole number of at least 1; got {weeks!r}")
    day = _today(today)
    require_columns(
        reflections, ["learning_cycle", "locality", "reflected_on"], source="reflections"
    )
    live = reflections
    if "status" in live.columns:
        live = live[live["status"] != "withdrawn"]
    live = live[live["learning_cycle"].astype(str) != ""]
    if live.empty:  # pandas gives an aggregate of nothing no columns; say what we expect
        last = pd.DataFrame(
            {"locality": pd.Series(dtype=object), "last_reflection": pd.Series(dtype=object)},
            index=pd.Index([], name="learning_cycle"),
        )
    else:
        last = (
            live.assign(reflected_on=pd.to_datetime(live["reflected_on"]).dt.date)
            .groupby("learning_cycle")
            .agg(locality=("locality", "first"), last_reflection=("reflected_on", "max"))
        )
    if cycles is not None and not cycles.empty:
        known = cycles.set_index("cycle_id")
        ended = known["ended_on"].fillna("").astype(str) != ""
        for cycle_id, row in known[~ended].iterrows():
            if cycle_id not in last.index:
                last.loc[cycle_id] = (row["locality"], None)
        last = last.drop(index=[c for c in known[ended].index if c in last.index])
    cutoff = day - dt.timedelta(weeks=int(weeks))
    is_quiet = [pd.isna(d) or d < cutoff for d in last["last_reflection"]]
    # a boolean Series, not a list: an empty list would select columns, not rows
    quiet = last[pd.Series(is_quiet, index=last.index, dtype=bool)].copy()
    quiet["weeks_since"] = pd.array(
        [None if pd.isna(d) else (day - d).days // 7 for d in quiet["last_reflection"]],
        dtype="Int64",
    )
    quiet = quiet.rename_axis("learning_cycle").reset_index()
    require_columns(actions, [*_ACTION_COLUMNS, "follow_up_reflection_id"], source="actions")
    due = pd.to_datetime(actions["due_on"]).dt.date
    pending = actions[
        (actions["status"] != "dropped")
        & actions["follow_up_reflection_id"].isna()
        & pd.Series([d < day for d in due], index=actions.index, dtype=bool)
    ].reset_index(drop=True)
    return Continuity(int(weeks), day.isoformat(), quiet, pending)
