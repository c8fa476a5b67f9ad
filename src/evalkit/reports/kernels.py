"""Jupyter kernels for report jobs: started by evalkit, watched, and (in fast mode) kept warm.

Each report runs in a kernel that evalkit starts itself (a :class:`KernelSession`) and hands to
papermill, so that evalkit knows the kernel's process: a watchdog kills it when the report's time
limit is reached, and its standard error is read line by line into the report's log, with the
kernel's start-up warning about unencrypted TCP transport left out.

Normal mode gives each report a kernel process of its own, never reused, whose imports are
already done: it is forked from the worker's *zygote*, a process that imported the report
libraries (:data:`PREIMPORT`) once (:mod:`evalkit.reports.zygote`). Nothing set by another
report (a variable, a module attribute, a matplotlib setting) can reach it. Where forking is off
(``EVALKIT_FORK=0``) or impossible, the kernel is started the ordinary way when the report needs
it, and imports for itself.

Fast mode (``evalkit run --fast``) keeps one warm kernel per worker (per worker thread on Dask)
and, between reports, clears it with ``%reset -f`` and closes every matplotlib figure, so that the
imports (pandas, statsmodels, matplotlib, evalkit) are paid once per worker instead of once per
report; state a report leaves outside its namespace (module attributes, matplotlib settings) can
reach the next. A kernel that failed, timed out or died is discarded and the next report gets a
new one.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import subprocess
import threading
import uuid
from multiprocessing.util import Finalize
from pathlib import Path
from typing import IO

from evalkit.reports.logs import is_noise
from evalkit.reports.zygote import ForkedKernel, fork_enabled, forkable, zygote_for

__all__ = [
    "ENGINE",
    "PREIMPORT",
    "KernelSession",
    "discard_warm_session",
    "fresh_session",
    "register_engine",
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


#: The modules the zygote imports before it forks report kernels: those the report notebooks
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


class KernelSession:
    """One Jupyter kernel process started by evalkit, with its standard error sent to a log.

    Parameters
    ----------
    kernel_name
        The Jupyter kernel spec to start (e.g. ``evalkit``).
    cwd
        The kernel's working folder (the project folder, which relative paths are read from).
    """

    def __init__(self, kernel_name: str, cwd: Path, *, fork: bool = False) -> None:
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
        if fork and fork_enabled() and forkable(self.km.kernel_spec.argv):
            self.km.kernel_id = str(uuid.uuid4())
            self.km.provisioner = _forked_provisioner()(
                kernel_id=self.km.kernel_id, kernel_spec=self.km.kernel_spec, parent=self.km
            )
            self.km.provisioner.zygote = zygote_for(self.km.kernel_spec.argv, self.cwd)
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


@functools.cache
def _forked_provisioner() -> type:
    """jupyter_client's local provisioner, launching the kernel by forking a zygote."""
    from jupyter_client.provisioning import LocalProvisioner

    class ForkedProvisioner(LocalProvisioner):
        zygote = None

        async def launch_kernel(self, cmd: list[str], **kwargs):
            cwd = str(kwargs.get("cwd") or os.getcwd())
            env = dict(kwargs.get("env") or os.environ)
            read, write = os.pipe()
            try:
                pid = self.zygote.fork(cmd, cwd, env, write)
            except RuntimeError:  # a zygote that cannot fork: start the kernel the usual way
                os.close(read)
                return await super().launch_kernel(cmd, **kwargs)
            finally:
                os.close(write)
            self.process = ForkedKernel(pid, os.fdopen(read, "rb"))
            self.pid = self.pgid = pid  # the child starts a session of its own
            self.cwd = cwd
            return self.connection_info

    return ForkedProvisioner


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


def _forget_parents_kernel() -> None:
    """In a child forked from a process that ran reports itself (a pool worker forked from the
    runner): the warm kernel of its thread belongs to the parent, so the child starts with none."""
    global _local
    _local = threading.local()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_parents_kernel)


def fresh_session(kernel_name: str, cwd: Path) -> KernelSession:
    """A kernel of the report's own, never used before: forked from this worker's zygote, with
    :data:`PREIMPORT` already imported (:mod:`evalkit.reports.zygote`), or started the ordinary
    way where forking is off or impossible. The caller shuts it down after the report."""
    return KernelSession(kernel_name, cwd, fork=True)


@functools.cache
def register_engine() -> str:
    """Register (once) papermill's nbclient engine, run on a kernel manager evalkit passes in
    (``km``), that writes the notebook to ``partial_path`` if it stops before the end."""
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
            partial = kwargs.pop("partial_path", None)
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
            except BaseException:
                # The notebook as far as it ran (where the kernel stopped, if it died): papermill
                # writes it only when every cell has run, and saving after every cell instead
                # costs a serialisation and a schema validation per cell.
                if partial:
                    from papermill.iorw import write_ipynb

                    write_ipynb(nb_man.nb, partial)
                raise
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()

    papermill_engines.register(ENGINE, _Engine)
    return ENGINE
