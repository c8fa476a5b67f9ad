"""The zygote that forks report kernels: real processes, real kernels (no mocks).

A forked kernel is an ordinary Jupyter kernel in a process of its own whose parent is the zygote,
with the report libraries already imported; it dies with its zygote; a dead zygote is replaced
for the next report; forking can be turned off; only ipykernel commands are forked.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from evalkit.reports.kernels import KernelSession
from evalkit.reports.zygote import FORK_ENV, fork_enabled, forkable, split_command, zygote_for

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("kernels")]

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def test_only_ipykernel_commands_are_forked() -> None:
    python = "/opt/env/bin/python"
    assert split_command([python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]) == (
        [python],
        ["-f", "{connection_file}"],
    )
    # Interpreter options stay with the interpreter: the zygote is started with them.
    assert split_command(
        [python, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "x"]
    ) == (
        [python, "-Xfrozen_modules=off"],
        ["-f", "x"],
    )
    assert not forkable(["R", "--slave", "-e", "IRkernel::main()", "--args", "{connection_file}"])
    assert not forkable([python, "-m", "some_other_kernel", "-f", "x"])
    assert not forkable([python])


def test_fork_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(FORK_ENV, raising=False)
    assert fork_enabled() is hasattr(os, "fork")
    for off in ("0", "false", "No", "off"):
        monkeypatch.setenv(FORK_ENV, off)
        assert not fork_enabled()


def _ask(session: KernelSession, code: str) -> str:
    """Run ``code`` in the session's kernel; its standard output."""
    kc = session.km.blocking_client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        out: list[str] = []

        def keep(msg: dict) -> None:
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])

        reply = kc.execute_interactive(code, timeout=60, output_hook=keep)
        assert reply["content"]["status"] == "ok", reply["content"]
        return "".join(out)
    finally:
        kc.stop_channels()


def _gone(pid: int, within: float = 20) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.1)
    return False


@linux_only
def test_a_forked_kernel_is_pre_imported_dies_with_its_zygote_and_the_zygote_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(FORK_ENV, raising=False)
    monkeypatch.setenv("EVALKIT_TEST_MARK", "seen-by-the-kernel")
    session = KernelSession("evalkit", tmp_path, fork=True)
    try:
        assert session.alive()
        seen = _ask(
            session,
            "import os, sys\n"
            "print(os.getcwd(), os.getppid(), os.getpgid(0) == os.getpid(),\n"
            "      'statsmodels.api' in sys.modules, os.environ.get('EVALKIT_TEST_MARK'))",
        ).split()
        zygote = zygote_for(session.km.kernel_spec.argv, tmp_path)
        assert seen[0] == str(tmp_path)  # the report's folder
        assert seen[1] == str(zygote.process.pid)  # forked by the zygote
        assert seen[2:] == ["True", "True", "seen-by-the-kernel"]  # own group, imports, env
        kernel = session.pid
        assert kernel is not None

        os.kill(zygote.process.pid, signal.SIGKILL)
        assert _gone(kernel), "the kernel outlived its zygote"
        assert not session.alive()
    finally:
        session.shutdown()

    # The next report gets a new zygote, and a working kernel from it.
    again = KernelSession("evalkit", tmp_path, fork=True)
    try:
        new = zygote_for(again.km.kernel_spec.argv, tmp_path)
        assert new.process.pid != zygote.process.pid
        assert _ask(again, "print(1 + 1)").strip() == "2"
    finally:
        again.shutdown()
    assert again.pid is None or _gone(again.pid)
