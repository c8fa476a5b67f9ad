"""The workflow of a reflection: its states and the moves allowed between them.

Plain data and plain functions, with no database: the store asks :func:`check_move` before it
changes a status and :func:`status_changes` for what else changes with it.

========================  =============================================================
state                     moves allowed (``TRANSITIONS``)
========================  =============================================================
``draft``                 ``submitted``, ``withdrawn``
``submitted``             ``redaction_pending``, ``withdrawn``
``redaction_pending``     ``reviewed``, ``withdrawn``
``reviewed``              ``shareable``, ``redaction_pending``, ``withdrawn``
``shareable``             ``reviewed``, ``redaction_pending``, ``withdrawn``
``withdrawn``             none: final
========================  =============================================================

Three rules sit beside the table:

- the store moves a ``submitted`` reflection on to ``redaction_pending`` at once, as
  ``system:redaction`` (the automatic redaction pass; :data:`AUTOMATIC`);
- ``shareable`` needs the author's consent (:class:`~evalkit.exceptions.PrivacyError` without it);
- withdrawing also sets consent to no; changing the text of a ``reviewed`` or ``shareable``
  reflection sends it back to ``redaction_pending`` (:func:`after_text_change`).

So a reflection reaches ``shareable`` only through a person's review, and only with consent.
"""

from __future__ import annotations

from evalkit.exceptions import ParameterError, PrivacyError
from evalkit.learning.records import STATUSES

__all__ = [
    "AUTOMATIC",
    "FINAL",
    "INITIAL",
    "TRANSITIONS",
    "after_text_change",
    "allowed_moves",
    "check_editable",
    "check_move",
    "initial_status",
    "is_shared",
    "status_changes",
]

#: Allowed moves: state -> the states it may move to. ``withdrawn`` is final.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("submitted", "withdrawn"),
    "submitted": ("redaction_pending", "withdrawn"),
    "redaction_pending": ("reviewed", "withdrawn"),
    "reviewed": ("shareable", "redaction_pending", "withdrawn"),
    "shareable": ("reviewed", "redaction_pending", "withdrawn"),
    "withdrawn": (),
}
#: The state nothing leaves.
FINAL = "withdrawn"
#: Moves the store makes by itself straight after a reflection enters a state.
AUTOMATIC: dict[str, str] = {"submitted": "redaction_pending"}
#: States a new reflection may be created in.
INITIAL: tuple[str, ...] = ("draft", "submitted")
#: States in which a person has reviewed the current text.
_REVIEWED: tuple[str, ...] = ("reviewed", "shareable")

if set(TRANSITIONS) != set(STATUSES):  # pragma: no cover - a guard for whoever edits the table
    raise AssertionError("TRANSITIONS must have one entry per status of records.STATUSES")


def allowed_moves(status: str) -> tuple[str, ...]:
    """The states a reflection in ``status`` may move to."""
    if status not in TRANSITIONS:
        raise ParameterError(f"status must be one of {', '.join(STATUSES)}; got {status!r}")
    return TRANSITIONS[status]


def check_move(current: str, new: str, *, consent: bool, rid: int | str = "") -> None:
    """Refuse a move the workflow does not allow, with a message that says what is allowed.

    Raises
    ------
    ParameterError
        ``new`` is not a status, or not a move allowed from ``current``.
    PrivacyError
        ``new`` is ``shareable`` but the author did not consent.
    """
    allowed = allowed_moves(current)
    if new not in TRANSITIONS:
        raise ParameterError(f"status must be one of {', '.join(STATUSES)}; got {new!r}")
    which = f"reflection {rid}" if rid != "" else "a reflection"
    if new not in allowed:
        options = ", ".join(allowed) or f"none ({FINAL} is final)"
        raise ParameterError(
            f"{which}: status cannot move from {current!r} to {new!r}; allowed: {options}"
        )
    if new == "shareable" and not consent:
        raise PrivacyError(
            f"{which} cannot be made shareable: consent is 'no'; "
            "expected consent 'yes' from its author"
        )


def status_changes(new: str) -> dict[str, str]:
    """The columns a move to ``new`` sets (as stored: consent '0' or '1')."""
    changes = {"status": new}
    if new == FINAL:
        changes["consent"] = "0"
    return changes


def initial_status(status: str) -> str:
    """The state a new reflection is stored in; ``redaction_pending`` counts as ``submitted``.

    A new reflection cannot start reviewed, shareable or withdrawn (PrivacyError).
    """
    if status == "redaction_pending":
        return "submitted"
    if status not in INITIAL:
        raise PrivacyError(
            f"a new reflection must start as 'draft' or 'submitted'; got status "
            f"{status!r}: it becomes reviewed or shareable only through review()"
        )
    return status


def after_text_change(status: str) -> str | None:
    """Where a reflection goes when its text changes: back to review if it had been reviewed."""
    return "redaction_pending" if status in _REVIEWED else None


def check_editable(status: str, rid: int | str = "") -> None:
    """Refuse any change to a withdrawn reflection (PrivacyError)."""
    if status == FINAL:
        raise PrivacyError(f"reflection {rid} is withdrawn; it cannot be changed")


def is_shared(status: str, consent: bool) -> bool:
    """True when a reflection may leave the store: shareable and consented."""
    return status == "shareable" and bool(consent)
