"""Report kernels forked from a pre-imported process: a process of its own per report, no imports.

A report's kernel spends most of its start-up importing pandas, statsmodels, matplotlib and
evalkit. Each worker therefore keeps one *zygote* (the name Android gives the same idea): a Python
process, started once with the kernel spec's own interpreter, that imports those modules
(:data:`evalkit.reports.kernels.PREIMPORT`, with IPython and ipykernel) and then waits. For each
report the worker asks it to fork; the child becomes an ordinary ipykernel (``IPKernelApp``) on
a connection file the worker's kernel manager wrote, in the report's working folder, with the
report's environment, and runs that one report over the Jupyter protocol like any other kernel.
It is killed when the report ends. Copy-on-write means the imported modules cost neither time
nor memory again, and nothing one report sets (a variable, a module attribute, a matplotlib
setting) can reach another: each child starts from the zygote's untouched state.

Fork safety, deliberately:

* the zygote has no threads and no event loop, ZeroMQ context or open socket other than its
  request socket (the child creates its own when it becomes a kernel);
* BLAS libraries are limited to one thread (``OPENBLAS_NUM_THREADS`` and friends, set before
  numpy loads), so no BLAS thread pool exists at a fork (reports run one per core anyway);
* polars, which statsmodels imports when it is installed and which starts threads as it loads,
  is kept out of the zygote and can be imported afresh by a report in its own process
  (statsmodels then does not recognise polars frames: reports pass it pandas ones); the only
  other thread, jemalloc's background thread (loaded with pyarrow), is one jemalloc itself
  makes safe across a fork;
* ``MPLBACKEND`` is set to the inline backend before matplotlib is imported, as ipykernel does,
  so the child's matplotlib is configured as a fresh kernel's;
* each child starts a new session (its own process group, killed as a whole, as jupyter_client
  does for kernels it starts) and dies if the zygote dies (Linux ``PR_SET_PDEATHSIG``); the
  zygote dies if its worker dies.

Where ``os.fork`` is missing (Windows), or the kernel spec is not an ipykernel started with
``python -m ipykernel_launcher``, or ``EVALKIT_FORK=0`` is set, reports get a kernel started the
ordinary way (:class:`evalkit.reports.kernels.KernelSession` without a zygote).

The worker talks to its zygote over a ``SOCK_SEQPACKET`` Unix socket pair: one message per
request (the kernel command, folder and environment as JSON, with the pipe for the kernel's
standard error passed as a file descriptor), one reply with the child's process id.
"""

from __future__ import annotations

import array
import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.util import Finalize
from pathlib import Path
from typing import IO, Any

from evalkit.reports.guard import parent_death_signal

__all__ = [
    "FORK_ENV",
    "ForkedKernel",
    "Zygote",
    "fork_enabled",
    "forkable",
    "split_command",
    "zygote_for",
]

#: Set to ``0`` to start each report's kernel the ordinary way instead of forking it.
FORK_ENV = "EVALKIT_FORK"
_LAUNCHER = ["-m", "ipykernel_launcher"]
_ONE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_INLINE = "module://matplotlib_inline.backend_inline"
_MAX_MESSAGE = 1 << 20
#: Modules that start thread pools when imported, which a fork would leave broken: kept out of
#: the zygote (importing them there fails quietly) and importable afresh in each child.
_AFTER_FORK_ONLY = ("polars",)
#: What an ipykernel imports as it starts (its debugger alone is 0.3 s): done once, in the zygote.
_KERNEL_MODULES = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.debugger",
    "ipykernel.comm",
    "matplotlib_inline.backend_inline",
)


def fork_enabled() -> bool:
    """Whether report kernels are forked from a zygote (``os.fork`` exists; not ``EVALKIT_FORK=0``)."""
    setting = os.environ.get(FORK_ENV, "1").strip().lower()
    return hasattr(os, "fork") and setting not in ("0", "false", "no", "off")


def split_command(argv: list[str]) -> tuple[list[str], list[str]] | None:
    """A kernel spec's command ``python [OPTIONS] -m ipykernel_launcher ARGS`` as the
    interpreter with its options and the kernel's arguments; None for any other kernel."""
    for at in range(1, len(argv) - 1):
        if argv[at : at + 2] == _LAUNCHER:
            return argv[:at], argv[at + 2 :]
    return None


def forkable(argv: list[str]) -> bool:
    """Whether a kernel spec's command is an ipykernel a zygote can become."""
    return split_command(argv) is not None


# ---------------------------------------------------------------------------------------------
# The worker's side


class ForkedKernel:
    """A kernel process forked by a zygote, with the parts of ``subprocess.Popen`` that
    jupyter_client's local provisioner uses (``pid``, ``poll``, ``wait``, signals, ``stderr``).

    The zygote, not this process, is the kernel's parent and collects its exit status, so the
    status is not known here: :meth:`poll` returns 0 once the process is gone.
    """

    def __init__(self, pid: int, stderr: IO[bytes] | None) -> None:
        self.pid = pid
        self.stdin = self.stdout = None
        self.stderr = stderr
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                stat = Path(f"/proc/{self.pid}/stat").read_text()
                gone = stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")
            except OSError:
                gone = not _exists(self.pid)
            if gone:
                self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout or 0)
            time.sleep(0.02)
        return 0

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Zygote:
    """A pre-imported Python process that forks report kernels on request.

    Parameters
    ----------
    python
        The interpreter of the kernel spec with its options (``argv`` before ``-m``): the
        zygote runs it, so its children are what that kernel spec would have started.
    cwd
        The zygote's working folder (each child moves to its report's folder).
    """

    def __init__(self, python: list[str], cwd: Path) -> None:
        self.python = list(python)
        self._lock = threading.Lock()
        self._ready = False
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = dict(os.environ)
        for name in _ONE_THREAD:
            env.setdefault(name, "1")
        env.setdefault("MPLBACKEND", _INLINE)
        try:
            self.process = subprocess.Popen(
                [*python, "-m", "evalkit.reports.zygote", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                cwd=str(cwd),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        finally:
            theirs.close()
        self._socket = ours

    def alive(self) -> bool:
        """Whether the zygote is still running."""
        return self.process.poll() is None

    def _wait_ready(self, timeout: float) -> None:
        if self._ready:
            return
        self._socket.settimeout(timeout)
        try:
            message = self._socket.recv(_MAX_MESSAGE)
        except OSError as exc:
            raise RuntimeError(f"the report kernels' zygote did not start: {exc}") from None
        if message != b"ready":
            raise RuntimeError(f"the report kernels' zygote did not start: {self._stderr_tail()}")
        self._ready = True

    def _stderr_tail(self) -> str:
        with contextlib.suppress(Exception):
            self.process.kill()
            text = self.process.stderr.read().decode("utf-8", errors="replace").strip()
            return text.splitlines()[-1] if text else "it exited"
        return "it exited"

    def fork(
        self, argv: list[str], cwd: str, env: dict[str, str], stderr: int, timeout: float = 120
    ) -> int:
        """Fork a kernel running ``argv`` (``python -m ipykernel_launcher -f FILE``) in ``cwd``
        with ``env``, its standard output and error on the file descriptor ``stderr``; its pid."""
        command = split_command(argv)
        if command is None:
            raise RuntimeError(f"not an ipykernel command: {argv[:4]}")
        request = json.dumps({"argv": command[1], "cwd": cwd, "env": env}).encode()
        fds = array.array("i", [stderr])
        with self._lock:
            self._wait_ready(timeout)
            self._socket.settimeout(timeout)
            try:
                self._socket.sendmsg([request], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
                reply = json.loads(self._socket.recv(_MAX_MESSAGE) or b"{}")
            except (OSError, ValueError) as exc:
                raise RuntimeError(f"the report kernels' zygote stopped: {exc}") from None
        if "pid" not in reply:
            raise RuntimeError(f"the report kernels' zygote could not fork: {reply.get('error')}")
        return int(reply["pid"])

    def close(self) -> None:
        """Stop the zygote (its children die with it)."""
        with contextlib.suppress(Exception):
            self._socket.close()
        with contextlib.suppress(Exception):
            self.process.kill()
            self.process.wait(timeout=5)
        with contextlib.suppress(Exception):
            self.process.stderr.close()


_zygotes: dict[tuple[tuple[str, ...], str], Zygote] = {}
_zygotes_lock = threading.Lock()


def zygote_for(argv: list[str], cwd: Path) -> Zygote:
    """This process's zygote for the kernel command ``argv`` (started now if none is alive)."""
    python = split_command(argv)[0]
    key = (tuple(python), str(cwd))
    with _zygotes_lock:
        zygote = _zygotes.get(key)
        if zygote is None or not zygote.alive():
            if zygote is not None:
                zygote.close()
            zygote = _zygotes[key] = Zygote(python, cwd)
        return zygote


def shutdown_zygotes() -> None:
    """Stop every zygote this process started (at exit, and on Dask workers after a run)."""
    with _zygotes_lock:
        left = list(_zygotes.values())
        _zygotes.clear()
    for zygote in left:
        zygote.close()


def _forget_parents_zygotes() -> None:
    """In a child forked from a process with zygotes (a pool worker forked from a process that
    ran reports itself): they and their lock belong to the parent."""
    global _zygotes, _zygotes_lock
    _zygotes = {}
    _zygotes_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_parents_zygotes)
atexit.register(shutdown_zygotes)
# A pool worker process ends through multiprocessing, which runs its finalizers, not atexit.
Finalize(None, shutdown_zygotes, exitpriority=10)


# ---------------------------------------------------------------------------------------------
# The zygote's side: ``python -m evalkit.reports.zygote FD``


def _preimport() -> None:
    import importlib

    from evalkit.reports.kernels import PREIMPORT

    for name in (*PREIMPORT, *_KERNEL_MODULES):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def _become_kernel(request: dict[str, Any], out: int, sock: socket.socket) -> None:
    """In the forked child: become an ipykernel for one report (never returns)."""
    code = 1
    try:
        sock.close()
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        parent_death_signal(signal.SIGKILL)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(null)
        os.close(out)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.path[0] = os.getcwd()
        for name in _AFTER_FORK_ONLY:  # a report may still import it, fresh, in its own process
            if sys.modules.get(name, False) is None:
                del sys.modules[name]
        sys.argv = ["ipykernel_launcher", *request["argv"]]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=request["argv"])
        code = 0
    except BaseException:  # reported on the kernel's standard error
        import traceback

        with contextlib.suppress(Exception):
            traceback.print_exc()
            sys.stderr.flush()
    finally:
        os._exit(code)


def _reap() -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def serve(fd: int) -> None:
    """The zygote: import, say ready, then fork a kernel per request until the socket closes."""
    sock = socket.socket(fileno=fd)
    parent_death_signal(signal.SIGKILL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the runner's to handle
    for name in _AFTER_FORK_ONLY:  # statsmodels imports polars if it can
        sys.modules.setdefault(name, None)  # type: ignore[assignment]
    _preimport()
    if threading.active_count() > 1:  # pragma: no cover - a module started a thread
        sys.stderr.write(f"evalkit zygote: {threading.active_count()} threads after imports\n")
    sock.send(b"ready")
    sock.settimeout(0.2)
    while True:
        _reap()
        try:
            message, ancillary, _flags, _addr = sock.recvmsg(
                _MAX_MESSAGE, socket.CMSG_SPACE(array.array("i").itemsize)
            )
        except TimeoutError:
            continue
        if not message:  # the worker closed its end
            return
        fds = array.array("i")
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
        try:
            request = json.loads(message)
            out = fds[0] if fds else os.open(os.devnull, os.O_WRONLY)
            pid = os.fork()
            if pid == 0:
                _become_kernel(request, out, sock)
            os.close(out)
            sock.send(json.dumps({"pid": pid}).encode())
        except Exception as exc:  # the worker starts an ordinary kernel instead
            sock.send(json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode())


if __name__ == "__main__":
    serve(int(sys.argv[1]))
