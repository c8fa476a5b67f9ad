"""Logs of a run: one log per locality (``_logs/<report>/<code>.log``) and a run log.

The run log ``_logs/run.log`` gets one block per run: when it started, how (workers, scheduler,
mode), then a line per report (ran, skipped or failed, seconds, and for failures the cell and
error), then the totals. ``failures.json`` beside the index lists the failures of the last run.

The kernel's start-up warning that it "is running over TCP without encryption" carries no
information for an analyst (the kernel listens on the local machine only); it is kept out of the
logs and the terminal.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalkit._io import atomic_write_text

if TYPE_CHECKING:  # pragma: no cover
    from evalkit.reports.execute import JobOutcome

__all__ = ["FAILURES", "RUN_LOG", "NoiseFilter", "is_noise", "write_failures", "write_run_log"]

RUN_LOG = Path("_logs") / "run.log"
FAILURES = "failures.json"

_NOISE = ("Kernel is running over TCP without encryption",)


def is_noise(line: str) -> bool:
    """Whether a log line is the kernel's transport warning (or other known noise)."""
    return any(text in line for text in _NOISE)


class NoiseFilter(logging.Filter):
    """A logging filter that drops :func:`is_noise` records."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not is_noise(record.getMessage())


def _stamp(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def write_run_log(
    folder: Path,
    outcomes: Iterable[JobOutcome],
    *,
    started: float,
    finished: float,
    settings: dict[str, Any],
) -> Path:
    """Append this run's block to ``_logs/run.log`` under ``folder``; return the log's path."""
    outcomes = list(outcomes)
    lines = [
        f"=== run started {_stamp(started)}: "
        + ", ".join(f"{k}={v}" for k, v in settings.items() if v is not None)
    ]
    for o in outcomes:
        line = f"{o.status:8s} {o.key:40s} {o.seconds:8.2f} s"
        if o.status == "failed":
            line += f"  cell {o.cell}: {o.error}"
        lines.append(line)
    counts = {s: sum(o.status == s for o in outcomes) for s in ("ok", "skipped", "failed")}
    lines.append(
        f"=== run finished {_stamp(finished)} in {finished - started:.1f} s: "
        f"{counts['ok']} ran, {counts['skipped']} skipped (unchanged), {counts['failed']} failed"
    )
    path = folder / RUN_LOG
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


def write_failures(folder: Path, failures: list[dict[str, Any]]) -> Path:
    """Write ``failures.json`` (the failures of the last run, possibly none) atomically."""
    return atomic_write_text(folder / FAILURES, json.dumps(failures, indent=2, default=str) + "\n")
