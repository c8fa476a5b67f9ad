"""Jupyter kernels for report jobs: started by evalkit, watched, and (in fast mode) kept warm.

Each report runs in a kernel that evalkit starts itself (a :class:`KernelSession`) and hands to
papermill, so that evalkit knows the kernel's process: a watchdog kills it when the report's time
limit is reached, and its standard error is read line by line into the report's log, with the
kernel's start-up warning about unencrypted TCP transport left out.

Normal mode gives each report a fresh kernel of its own, never reused, whose imports are already
done: each worker (each worker thread on Dask) keeps one *spare* kernel that was started and had
the report libraries imported (:data:`PREIMPORT`) while the previous report ran; a report takes
the spare and a replacement starts warming in the background (:func:`fresh_session`). The imports
run in the kernel's own process, silently and outside its history, and bind no names, so a
report sees the state of a fresh kernel that has already imported those modules: nothing set by
another report (a variable, a matplotlib setting) can reach it. ``EVALKIT_PREWARM=0`` turns the
spares off (a kernel started when the report needs it, as before).

Fast mode (``evalkit run --fast``) keeps one warm kernel per worker (per worker thread on Dask)
and, between reports, clears it with ``%reset -f`` and closes every matplotlib figure, so that the
imports (pandas, statsmodels, matplotlib, evalkit) are paid once per worker instead of once per
report; state a report leaves outside its namespace (module attributes, matplotlib settings) can
reach the next. A kernel that failed, timed out or died is discarded and the next report gets a
new one.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import signal
import subprocess
import threading
from multiprocessing.util import Finalize
from pathlib import Path
from typing import IO

from evalkit.reports.logs import is_noise

__all__ = [
    "ENGINE",
    "PREIMPORT",
    "PREWARM_ENV",
    "KernelSession",
    "discard_spare",
    "discard_warm_session",
    "fresh_session",
    "prewarm_enabled",
    "register_engine",
    "shutdown_spares",
    "warm_session",
]

#: The papermill engine name under which evalkit's engine (papermill's nbclient engine, run on a
#: kernel that evalkit started) is registered.
ENGINE = "evalkit"

_RESET = (
    "get_ipython().run_line_magic('reset', '-f')\n"
    "import sys as _sys\n"
    "if 'matplotlib.pyplot' in _sys.modules:\n"
    "    _sys.modules['matplotlib.pyplot'].close('all')\n"
    "del _sys\n"
)


#: The modules a spare kernel imports before it is given a report: those the report notebooks
#: import (directly, or lazily through evalkit's sections and charts). Missing ones are skipped.
PREIMPORT = (
    "pandas",
    "pyarrow.parquet",
    "scipy.stats",
    "statsmodels.api",
    "matplotlib",
    "seaborn",
    "evalkit.reports",
    "evalkit.reports.sections",
)
#: Set to ``0`` to start each report's kernel when the report needs it (no spare kernels).
PREWARM_ENV = "EVALKIT_PREWARM"

# Imports only: no name is bound in the kernel's namespace, nothing is configured.
_WARM = (
    "def _evalkit_preimport():\n"
    "    import importlib\n"
    "    for name in {modules!r}:\n"
    "        try:\n"
    "            importlib.import_module(name)\n"
    "        except ImportError:\n"
    "            pass\n"
    "_evalkit_preimport()\n"
    "del _evalkit_preimport\n"
)


class KernelSession:
    """One Jupyter kernel process started by evalkit, with its standard error sent to a log.

    Parameters
    ----------
    kernel_name
        The Jupyter kernel spec to start (e.g. ``evalkit``).
    cwd
        The kernel's working folder (the project folder, which relative paths are read from).
    """

    def __init__(self, kernel_name: str, cwd: Path) -> None:
        from jupyter_client import KernelManager

        self.kernel_name = kernel_name
        self.cwd = Path(cwd)
        self.reports = 0
        self._log: IO[str] | None = None
        self._lock = threading.Lock()
        # nbclient drives the kernel through an asynchronous client: with a blocking one it could
        # not notice a dead kernel while it waits for output.
        self.km = KernelManager(
            kernel_name=kernel_name, client_class="jupyter_client.asynchronous.AsyncKernelClient"
        )
        self.km.start_kernel(cwd=str(self.cwd), stderr=subprocess.PIPE)
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int | None:
        """The kernel's process id."""
        process = getattr(self.km.provisioner, "process", None)
        return process.pid if process is not None else None

    def _read_stderr(self) -> None:
        process = self.km.provisioner.process
        for raw in iter(process.stderr.readline, b""):
            line = raw.decode("utf-8", errors="replace")
            if is_noise(line):
                continue
            with self._lock:
                if self._log is not None:
                    self._log.write(line)
                    self._log.flush()

    @contextlib.contextmanager
    def logging_to(self, path: Path):
        """Send the kernel's standard error to ``path`` (appending) for the block."""
        with open(path, "a", encoding="utf-8") as fh:
            with self._lock:
                self._log = fh
            try:
                yield
            finally:
                with self._lock:
                    self._log = None

    def alive(self) -> bool:
        """Whether the kernel process is still running."""
        return bool(self.km.has_kernel and self.km.is_alive())

    def kill(self) -> None:
        """Kill the kernel process now (the watchdog's way of ending a report over its time)."""
        if self.pid is not None:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)

    def preimport(self, modules: tuple[str, ...] = PREIMPORT, timeout: float = 120) -> None:
        """Import ``modules`` in the kernel, silently (no output, no history, no names bound)."""
        self._run_quietly(_WARM.format(modules=tuple(modules)), timeout)

    def _run_quietly(self, code: str, timeout: float) -> None:
        # A client of the kernel's manager: it knows the kernel is alive while it starts up.
        kc = self.km.blocking_client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=timeout)
            msg_id = kc.execute(code, silent=True, store_history=False)
            while True:
                reply = kc.get_shell_msg(timeout=timeout)
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"the kernel could not run {code.splitlines()[0]!r}")
        finally:
            kc.stop_channels()

    def reset(self, timeout: float = 60) -> None:
        """Clear the kernel's namespace and figures before the next report (fast mode)."""
        from jupyter_client import BlockingKernelClient

        kc = BlockingKernelClient()
        kc.load_connection_info(self.km.get_connection_info())
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=timeout)
            reply = kc.execute_interactive(_RESET, timeout=timeout, store_history=False)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"could not reset the warm kernel: {reply['content']}")
        finally:
            kc.stop_channels()

    def shutdown(self) -> None:
        """Stop the kernel (quickly) and release its resources."""
        with contextlib.suppress(Exception):
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=True)
        with contextlib.suppress(Exception):
            self.km.cleanup_resources()


_local = threading.local()


def warm_session(kernel_name: str, cwd: Path) -> KernelSession:
    """This worker thread's warm kernel for ``kernel_name`` in ``cwd``, started if needed.

    The kernel is reset when it has run a report before, and replaced when it has died or was
    started for another kernel spec or folder. It is shut down when the worker process exits.
    """
    session: KernelSession | None = getattr(_local, "session", None)
    if session is not None and (
        session.kernel_name != kernel_name or session.cwd != Path(cwd) or not session.alive()
    ):
        discard_warm_session()
        session = None
    if session is None:
        session = KernelSession(kernel_name, cwd)
        _local.session = session
        Finalize(session, session.shutdown, exitpriority=10)
    elif session.reports:
        try:
            session.reset()
        except Exception:  # a kernel that cannot be reset is replaced, not trusted
            discard_warm_session()
            return warm_session(kernel_name, cwd)
    return session


def discard_warm_session() -> None:
    """Shut down this worker thread's warm kernel, if any (after a failure or a timeout)."""
    session: KernelSession | None = getattr(_local, "session", None)
    _local.session = None
    if session is not None:
        session.shutdown()


class _Spare:
    """A kernel being started and pre-imported in a background thread, for the next report."""

    def __init__(self, kernel_name: str, cwd: Path) -> None:
        self.kernel_name = kernel_name
        self.cwd = Path(cwd)
        self.session: KernelSession | None = None
        self._thread = threading.Thread(target=self._warm, daemon=True)
        self._thread.start()

    def _warm(self) -> None:
        session = None
        try:
            session = KernelSession(self.kernel_name, self.cwd)
            with _spares_lock:
                _spares.add(session)
            session.preimport()
            self.session = session
        except Exception:  # the report then starts a kernel of its own, as without spares
            if session is not None:
                _forget(session)
                session.shutdown()

    def take(self, kernel_name: str, cwd: Path) -> KernelSession | None:
        """The warmed kernel, if it is for ``kernel_name`` in ``cwd`` and alive; else None."""
        self._thread.join()
        session, self.session = self.session, None
        if session is None:
            return None
        _forget(session)
        if session.kernel_name == kernel_name and session.cwd == Path(cwd) and session.alive():
            return session
        session.shutdown()
        return None

    def discard(self) -> None:
        """Shut the spare down (waiting for it to finish starting)."""
        self._thread.join()
        session, self.session = self.session, None
        if session is not None:
            _forget(session)
            session.shutdown()


_spares: set[KernelSession] = set()
_spares_lock = threading.Lock()


def _forget(session: KernelSession) -> None:
    with _spares_lock:
        _spares.discard(session)


def shutdown_spares() -> None:
    """Shut down every spare kernel of this process (at exit, and on Dask workers after a run,
    so that no kernel imported with today's code waits idle for tomorrow's run)."""
    with _spares_lock:
        left = list(_spares)
        _spares.clear()
    for session in left:
        session.shutdown()


def _forget_parents_spares() -> None:
    """In a child forked from a process with spares (a pool worker forked from a process that
    ran reports itself): the spares, their threads and their lock belong to the parent. A lock
    held by a warming thread at the fork would stay held in the child for ever, so the child
    starts with none of them."""
    global _spares, _spares_lock, _local
    _spares = set()
    _spares_lock = threading.Lock()
    _local = threading.local()


os.register_at_fork(after_in_child=_forget_parents_spares)
atexit.register(shutdown_spares)
# A pool worker process ends through multiprocessing, which runs its finalizers, not atexit.
Finalize(None, shutdown_spares, exitpriority=10)


def prewarm_enabled() -> bool:
    """Whether reports get pre-imported spare kernels (``EVALKIT_PREWARM`` is not ``0``)."""
    return os.environ.get(PREWARM_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def fresh_session(kernel_name: str, cwd: Path) -> KernelSession:
    """A kernel of the report's own, never used before, with :data:`PREIMPORT` already imported.

    It is this worker thread's spare when that was started for ``kernel_name`` in ``cwd`` (waiting
    for it to finish warming if need be), else a kernel started now. Either way, a spare for the
    next report starts warming in the background. The caller shuts the kernel down after the
    report. With ``EVALKIT_PREWARM=0``, simply a kernel started now.
    """
    if not prewarm_enabled():
        return KernelSession(kernel_name, cwd)
    spare: _Spare | None = getattr(_local, "spare", None)
    _local.spare = None
    session = spare.take(kernel_name, cwd) if spare is not None else None
    if session is None:
        session = KernelSession(kernel_name, cwd)
    _local.spare = _Spare(kernel_name, cwd)
    return session


def discard_spare() -> None:
    """Shut down this worker thread's spare kernel, if any."""
    spare: _Spare | None = getattr(_local, "spare", None)
    _local.spare = None
    if spare is not None:
        spare.discard()


@functools.cache
def register_engine() -> str:
    """Register (once) papermill's nbclient engine, run on a kernel manager evalkit passes in."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger

    class _Engine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            stdout_file=None,
            stderr_file=None,
            start_timeout=60,
            execution_timeout=None,
            **kwargs,
        ):
            km = kwargs.pop("km")
            kwargs.pop("input_path", None)
            client = PapermillNotebookClient(
                nb_man,
                km=km,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
                **kwargs,
            )
            try:
                return client.execute()
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()

    papermill_engines.register(ENGINE, _Engine)
    return ENGINE
