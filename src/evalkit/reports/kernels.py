"""Jupyter kernels for report jobs: started by evalkit, watched, and (in fast mode) kept warm.

Each report runs in a kernel that evalkit starts itself (a :class:`KernelSession`) and hands to
papermill, so that evalkit knows the kernel's process: a watchdog kills it when the report's time
limit is reached, and its standard error is read line by line into the report's log, with the
kernel's start-up warning about unencrypted TCP transport left out.

Normal mode starts a fresh kernel per report. Fast mode (``evalkit run --fast``) keeps one warm
kernel per worker (per worker thread on Dask) and, between reports, clears it with ``%reset -f``
and closes every matplotlib figure, so that the imports (pandas, statsmodels, matplotlib, evalkit)
are paid once per worker instead of once per report. A kernel that failed, timed out or died is
discarded and the next report gets a new one.
"""

from __future__ import annotations

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

__all__ = ["ENGINE", "KernelSession", "discard_warm_session", "register_engine", "warm_session"]

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
