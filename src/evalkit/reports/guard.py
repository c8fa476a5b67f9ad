"""Guards of a run: nothing lost between runs, nothing left running after one.

* **One writer at a time.** :func:`programme_lock` holds an exclusive lock on the programme's spec
  file while a run prepares the data and while it merges its reports into ``manifest.json`` and
  ``index.html``. Two runs of one programme at once (say, on different localities) both run their
  reports in parallel; each then merges into the manifest as it is at that moment, so neither
  loses the other's entries. The lock is ``flock(2)``: the operating system releases it when the
  holder dies, so a killed run never leaves it held.
* **Workers die with the runner.** The workers of :func:`process_pool` ignore Ctrl-C (the runner
  handles it) and get SIGTERM when the runner dies, even by ``kill -9`` (Linux's parent-death
  signal, ``prctl(PR_SET_PDEATHSIG)``; elsewhere a thread that watches the runner). On SIGTERM a
  worker kills the processes it started (its Jupyter kernel) and exits.
* **Ctrl-C stops the run.** Inside :func:`stop_workers_on_interrupt`, Ctrl-C terminates the
  workers (which stop their kernels) and raises :class:`KeyboardInterrupt` in the runner, which
  the command line reports in one line.
* **Scratch folders are not left behind.** A run's temporary folder is named
  ``evalkit-run-<pid>-...`` (:func:`scratch_folder`); a folder whose run is no longer alive (it was
  killed) is removed by the next run (:func:`remove_stale_scratch`).
* **A report folder that cannot be written** is found before any kernel starts
  (:func:`check_writable`).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import FrameType
from typing import NoReturn

from evalkit.exceptions import PipelineError

__all__ = [
    "SCRATCH_PREFIX",
    "check_writable",
    "parent_death_signal",
    "process_pool",
    "programme_lock",
    "remove_stale_scratch",
    "scratch_folder",
    "stop_workers_on_interrupt",
]

#: Temporary folders of runs: ``evalkit-run-<pid of the runner>-<random>``.
SCRATCH_PREFIX = "evalkit-run-"
_SCRATCH = re.compile(rf"{re.escape(SCRATCH_PREFIX)}(\d+)-.+")
#: ``prctl`` option that sends the calling process a signal when its parent dies (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


@contextlib.contextmanager
def programme_lock(spec_path: Path, *, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the programme's lock (an exclusive ``flock`` on its spec file) for the block.

    ``waiting`` is called once if another run holds the lock, before waiting for it. On a
    platform or file system without ``flock`` the block runs unlocked.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with open(spec_path, "rb") as fh:
        locked = True
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                waiting()
            fcntl.flock(fh, fcntl.LOCK_EX)
        except OSError:  # pragma: no cover - a file system without locks
            locked = False
        try:
            yield
        finally:
            if locked:
                fcntl.flock(fh, fcntl.LOCK_UN)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def scratch_folder() -> str:
    """A new temporary folder for this run, named after the runner's process id."""
    return tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-")


def remove_stale_scratch(root: str | Path | None = None) -> list[Path]:
    """Remove the temporary folders of runs that are no longer alive; return them.

    ``root`` is where to look (default: the system's temporary folder, as for
    :func:`scratch_folder`). Folders of live runs, and of other users, are left alone.
    """
    removed = []
    for path in Path(root or tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*"):
        match = _SCRATCH.fullmatch(path.name)
        if match and path.is_dir() and not _alive(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)
            if not path.exists():
                removed.append(path)
    return removed


def _why_not_writable(folder: Path) -> str | None:
    """Why files cannot be written in ``folder`` (created if need be), or None if they can."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, not a folder"
    if existing != folder:
        return None if os.access(existing, os.W_OK | os.X_OK) else f"{existing} is read-only"
    try:
        fd, probe = tempfile.mkstemp(prefix=".evalkit-probe-", dir=folder)
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    os.close(fd)
    os.unlink(probe)
    return None


def check_writable(folders: Iterable[Path], where: str) -> None:
    """Raise :class:`PipelineError` naming the first of ``folders`` that cannot be written.

    Nothing is created: a folder that does not exist yet passes when its nearest existing parent
    is a writable folder. ``where`` says which setting names the folder.
    """
    for folder in sorted(set(folders)):
        problem = _why_not_writable(folder)
        if problem:
            raise PipelineError(
                f"report folder {folder} cannot be written ({problem}); expected a folder "
                f"evalkit may write to ({where}); no report was run"
            )


def _children(pid: int) -> list[int]:
    """The process ids of ``pid``'s children (Linux's ``/proc``; none found elsewhere)."""
    found = []
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:  # it has just exited
                continue
            # "pid (command) state ppid ...": the command may hold spaces and brackets.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _worker_stopped(signum: int, frame: FrameType | None = None) -> NoReturn:
    """Kill what this worker started (its kernel), then exit at once."""
    for pid in _children(os.getpid()):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    os._exit(128 + signum)


def _watch_runner(runner: int) -> None:
    while _alive(runner):
        time.sleep(1)
    _worker_stopped(signal.SIGTERM)


def parent_death_signal(signum: int) -> bool:
    """Ask Linux to send ``signum`` to this process when its parent dies; whether it could."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):  # pragma: no cover - no prctl in this libc
        return False


def _worker_started(runner: int) -> None:
    """Initializer of a pool worker: leave Ctrl-C to the runner and die with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_stopped)
    if not parent_death_signal(signal.SIGTERM):
        threading.Thread(target=_watch_runner, args=(runner,), daemon=True).start()
    if not _alive(runner):  # it died before the signal was asked for
        _worker_stopped(signal.SIGTERM)


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool of ``workers`` whose workers leave Ctrl-C to this process and die with it."""
    return ProcessPoolExecutor(
        max_workers=workers, initializer=_worker_started, initargs=(os.getpid(),)
    )


def _terminate_workers() -> None:
    for child in multiprocessing.active_children():
        with contextlib.suppress(OSError):
            child.terminate()


@contextlib.contextmanager
def stop_workers_on_interrupt() -> Iterator[None]:
    """In the block, Ctrl-C (SIGINT) terminates this process's workers, then interrupts it.

    Only the main thread receives signals; elsewhere the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupted(signum: int, frame: FrameType | None) -> NoReturn:
        _terminate_workers()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)
