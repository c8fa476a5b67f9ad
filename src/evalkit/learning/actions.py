"""Following actions through, and keeping the rhythm of learning cycles.

Open and overdue actions, cycles that have gone quiet, and actions that no later reflection
followed up. These are prompts for a conversation, not ratings: nothing here scores a person or a
team, and nothing is coloured red, amber or green.

Commitments ("what we will change") become actions only when people say who takes them forward
and by when: :func:`commitments` lists each shared commitment and the action that tracks it (if
any), and :func:`track_commitment` records that action. evalkit never invents an owner or a due
date, so a commitment nobody has taken on is shown as "not yet tracked as an action", never hidden
behind "no open actions".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd

from evalkit._results import Result
from evalkit._validate import require_columns
from evalkit.exceptions import DataError, ParameterError

if TYPE_CHECKING:
    from evalkit.learning.store import ReflectionStore

__all__ = [
    "Continuity",
    "commitments",
    "continuity",
    "open_actions",
    "overdue_actions",
    "track_commitment",
]

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
    #: Learning cycles known (recorded or named by a reflection), finished ones included;
    #: None when not counted.
    n_cycles: int | None = None

    def summary(self) -> str:
        cycles = len(self.quiet_cycles)
        actions = len(self.not_followed_up)
        if self.n_cycles == 0:
            # Nothing to be quiet: say so, rather than a healthy-looking "0 cycles were quiet".
            return (
                f"As of {self.today}, no learning cycle has been recorded, so there is no rhythm "
                "of reflection to keep going yet."
                + (
                    f" {actions} action{'s' if actions != 1 else ''} past "
                    f"{'its' if actions == 1 else 'their'} due date had no follow-up reflection."
                    if actions
                    else ""
                )
            )
        quiet = (
            "no learning cycle still running went without a reflection"
            if cycles == 0 and self.n_cycles
            else f"{cycles} learning cycle{'s' if cycles != 1 else ''} had no reflection"
        )
        return (
            f"As of {self.today}, {quiet} in the last {self.weeks} weeks, and {actions} action"
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
    names = set(last.index)
    if cycles is not None and not cycles.empty:
        names |= set(cycles["cycle_id"])
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
    return Continuity(int(weeks), day.isoformat(), quiet, pending, n_cycles=len(names))


_COMMITMENT_COLUMNS = (
    "id",
    "learning_cycle",
    "locality",
    "period",
    "role",
    "commitment",
    "action_id",
    "action_status",
    "owner_role",
    "due_on",
    "tracked",
)


def commitments(reflections: pd.DataFrame, actions: pd.DataFrame) -> pd.DataFrame:
    """Each "what we will change" commitment and the action that tracks it, if any.

    Parameters
    ----------
    reflections
        Shared reflections (:meth:`ReflectionStore.shareable`: redacted text only), with ``id``,
        ``learning_cycle``, ``locality``, ``period``, ``role`` and ``what_we_will_change``.
    actions
        Actions (:meth:`ReflectionStore.actions`); an action tracks a commitment when its
        ``reflection_id`` is the reflection's id (the latest such action when there are several).

    Returns
    -------
    DataFrame
        One row per reflection with a non-empty commitment, in id order: ``id``,
        ``learning_cycle``, ``locality``, ``period``, ``role``, ``commitment`` (redacted text),
        ``action_id``, ``action_status``, ``owner_role``, ``due_on`` (empty when untracked) and
        ``tracked``.
    """
    require_columns(
        reflections,
        ["id", "learning_cycle", "locality", "period", "role", "what_we_will_change"],
        source="reflections",
    )
    require_columns(actions, [*_ACTION_COLUMNS, "reflection_id"], source="actions")
    text = reflections["what_we_will_change"].fillna("").astype(str).str.strip()
    out = reflections.loc[text != "", ["id", "learning_cycle", "locality", "period", "role"]]
    out = out.assign(commitment=text[text != ""]).sort_values("id")
    linked = actions[actions["reflection_id"].notna()].sort_values("id")
    linked = linked.drop_duplicates("reflection_id", keep="last").rename(
        columns={"id": "action_id", "status": "action_status"}
    )
    linked = linked.assign(reflection_id=linked["reflection_id"].astype("int64"))
    out = out.assign(reflection_id=out["id"].astype("int64")).merge(
        linked[["reflection_id", "action_id", "action_status", "owner_role", "due_on"]],
        on="reflection_id",
        how="left",
    )
    out["action_id"] = pd.array(out["action_id"], dtype="Int64")
    out["tracked"] = out["action_id"].notna().to_numpy(dtype=bool)
    for column in ("action_status", "owner_role", "due_on"):
        out[column] = out[column].fillna("").astype(str)
    return out.reindex(columns=list(_COMMITMENT_COLUMNS)).reset_index(drop=True)


def track_commitment(
    store: ReflectionStore,
    reflection_id: int,
    *,
    owner_role: str,
    due_on: dt.date | str,
    by: str,
) -> int:
    """Record a shared reflection's "what we will change" commitment as an action; return its id.

    The action's description is the commitment's REDACTED text; it carries the reflection's
    programme, locality and learning cycle and links back to it (``reflection_id``). A person
    says who takes it forward (``owner_role``: a role, never a name) and by when. A commitment
    already tracked is not tracked twice: the id of its existing action is returned.

    Raises
    ------
    DataError
        The reflection is not shared (reviewed, shareable and consented) or commits to nothing.
    """
    rid = int(reflection_id)
    shared = store.shareable(audience="cycle")
    found = shared[shared["id"] == rid]
    if found.empty:
        raise DataError(
            f"reflection {rid} is not shared (reviewed, shareable and consented); only a shared "
            "commitment can be tracked as an action"
        )
    row = found.iloc[0]
    text = str(row["what_we_will_change"] or "").strip()
    if not text:
        raise DataError(f"reflection {rid} says nothing under what we will change")
    existing = store.actions()
    existing = existing[existing["reflection_id"] == rid]
    if not existing.empty:
        return int(existing["id"].iloc[-1])
    return store.add_action(
        {
            "programme": row["programme"],
            "locality": row["locality"],
            "description": text,
            "owner_role": owner_role,
            "due_on": due_on,
            "learning_cycle": row["learning_cycle"] or "",
            "reflection_id": rid,
        },
        by=by,
    )
