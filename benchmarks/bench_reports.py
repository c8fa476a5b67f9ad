"""Benchmark: the demo report for 24 localities, the naive way and the evalkit way, same machine.

(a) naive: a serial shell loop of the ``papermill`` CLI then ``jupyter nbconvert --to html
    --no-input`` per locality (the data already prepared by evalkit's intake, so both read the
    same parquet partitions);
(b) ``evalkit run SPEC --force`` (the default: a kernel process of its own per report, forked
    from the worker's pre-imported zygote; a process pool sized to the machine);
(b0) the same with ``EVALKIT_FORK=0`` (a kernel started the ordinary way for each report, which
    imports for itself: what platforms without fork get);
(c) ``evalkit run SPEC --force --fast`` (one warm kernel per worker, reused).

Then every upper-tier local authority in England (149 served and 4 never served, the comparison
areas: 153) with every report of the demo spec (evaluation report, learning review and social
value per served locality, and the comparison): a first run in the default mode, and a rerun
with nothing changed (every report skipped by its cache key). The memory of every worker, zygote
and kernel is sampled from /proc while evalkit runs: peak resident (VmHWM, which for a forked
kernel counts the pages it shares with its zygote) and the largest private memory.

The machine's load (``/proc/loadavg``) is printed before and after: on a shared machine the
figures are only comparable within one run.

Run: ``.venv/bin/python benchmarks/bench_reports.py`` (about 15 minutes on 2 cores);
``--localities N`` for fewer than 24 localities, ``--no-scale`` to leave out the 153 localities. Everything is
written to a temporary folder, removed at the end; nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# A benchmark-only pseudonymisation key (an environment variable, as a user would set one).
os.environ.setdefault("EVALKIT_PSEUDONYM_KEY", "evalkit-benchmark-key-not-a-secret")


def project(root: Path, extra_localities: int, only_main_report: bool = False) -> Path:
    """A demo project (notebooks + data) under ``root``; returns the spec path.

    With ``only_main_report`` the spec keeps only the evaluation report (one per locality), so
    that evalkit runs the same notebooks as the naive loop.
    """
    import yaml

    from evalkit import demo

    shutil.copytree(REPO / "notebooks", root / "notebooks")
    spec_path = demo.write(root / "data" / "raw" / "demo", extra_localities=extra_localities)
    if only_main_report:
        raw = yaml.safe_load(spec_path.read_text())
        raw["reports"] = [r for r in raw["reports"] if r["name"] == "programme_report"]
        spec_path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return spec_path


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def _sample(pid: int) -> tuple[int, int, int, str] | None:
    """(parent pid, peak resident KiB (VmHWM), private KiB now, command line) of ``pid``."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        with open(f"/proc/{pid}/status") as fh:
            hwm = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
        private = 0
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith(("Private_Clean:", "Private_Dirty:")):
                    private += int(line.split()[1])
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
    except (OSError, StopIteration, ValueError, IndexError):
        return None
    return ppid, hwm, private, cmd


class MemorySampler:
    """Samples the memory of a process tree every 0.2 s: each process's peak resident memory
    (VmHWM, which counts pages a forked kernel shares with its zygote) and the largest private
    memory seen (pages of its own: what each further report process really costs)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.seen: dict[int, list] = {}  # pid -> [ppid, peak KiB, peak private KiB, cmd]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            for p in _tree(self.pid):
                found = _sample(p)
                if found is None:
                    continue
                ppid, hwm, private, cmd = found
                old = self.seen.setdefault(p, [ppid, 0, 0, cmd])
                old[1], old[2] = max(old[1], hwm), max(old[2], private)
            self._stop.wait(0.2)

    def stop(self) -> dict[str, float]:
        """Peak MiB of the main process, the largest worker, zygote and kernel (and the
        largest private memory of a kernel)."""
        self._stop.set()
        self._thread.join()
        zygotes = {p for p, v in self.seen.items() if "evalkit.reports.zygote" in v[3]}
        kernels = {p for p, v in self.seen.items() if "ipykernel" in v[3] or v[0] in zygotes}
        zygotes -= kernels
        workers = set(self.seen) - kernels - zygotes - {self.pid}
        mib = 1024

        def peak(pids: set[int], field: int = 1) -> float:
            return max((self.seen[p][field] for p in pids), default=0) / mib

        return {
            "main": self.seen.get(self.pid, [0, 0])[1] / mib,
            "worker": peak(workers),
            "zygote": peak(zygotes),
            "kernel": peak(kernels),
            "kernel_private": peak(kernels, 2),
            "kernels": len(kernels),
        }


def timed(
    cmd: list[str], cwd: Path, sample: bool = False, env: dict[str, str] | None = None
) -> tuple[float, dict | None]:
    """Run ``cmd``; return its wall time (and peak memory of its process tree if ``sample``)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    sampler = MemorySampler(proc.pid) if sample else None
    out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    memory = sampler.stop() if sampler else None
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {shlex.join(cmd)}\n{out.decode()}\n{err.decode()}")
    return seconds, memory


def evalkit_run(
    spec: Path, root: Path, *flags: str, env: dict[str, str] | None = None
) -> tuple[float, dict]:
    cmd = [str(BIN / "evalkit"), "run", str(spec), "--no-progress", *flags]
    seconds, memory = timed(cmd, root, sample=True, env=env)
    assert memory is not None
    return seconds, memory


def naive(spec: Path, root: Path, codes: list[str], period: str) -> float:
    """The serial shell loop: papermill CLI then nbconvert CLI per locality."""
    out = root / "naive"
    out.mkdir()
    loop = (
        "set -e\n"
        f"for code in {' '.join(codes)}; do\n"
        f"  {BIN}/papermill notebooks/programme_report.ipynb {out}/$code.ipynb "
        f"-r spec_path {spec} -r locality $code -r period {shlex.quote(period)} "
        "-k evalkit --no-progress-bar --log-level WARNING\n"
        f"  {BIN}/jupyter nbconvert --to html --no-input {out}/$code.ipynb "
        f"--output-dir {out}/html --log-level WARN\n"
        "done\n"
    )
    seconds, _ = timed(["bash", "-c", loop], root)
    made = sorted(p.stem for p in (out / "html").glob("*.html"))
    assert made == sorted(codes), made
    return seconds


def _memory_line(memory: dict) -> str:
    zygote = f", zygote {memory['zygote']:.0f} MiB" if memory["zygote"] else ""
    return (
        f"peak memory (VmHWM, the largest of each): worker process {memory['worker']:.0f} MiB"
        f"{zygote}, report kernel {memory['kernel']:.0f} MiB of which its own (private) "
        f"{memory['kernel_private']:.0f} MiB ({memory['kernels']} kernels seen); "
        f"main process {memory['main']:.0f} MiB"
    )


def _load() -> str:
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


def main() -> None:
    from evalkit.config import load_spec
    from evalkit.intake import prepare

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--localities", type=int, default=24, help="localities (default 24)")
    parser.add_argument("--no-scale", action="store_true", help="leave out the 153 localities")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    print(f"evalkit report benchmark on {cores} core(s), Python {sys.version.split()[0]}")
    print(f"load average (1, 5, 15 min) at the start: {_load()}")
    with tempfile.TemporaryDirectory(prefix="evalkit-bench-") as tmp:
        root = Path(tmp) / "p24"
        spec_path = project(
            root, extra_localities=max(0, args.localities - 14), only_main_report=True
        )
        spec = load_spec(spec_path)
        codes = list(spec.localities)[: args.localities]
        only = [f"--locality={code}" for code in codes]
        prepare(spec)  # both ways read the same prepared partitions
        print(f"\n{len(codes)} localities, the evaluation report for each ({len(codes)} reports)")
        t_naive = naive(spec_path, root, codes, spec.reporting_period.label)
        print(f"  (a) naive papermill + nbconvert CLI loop: {t_naive:7.1f} s")
        t_run, mem_run = evalkit_run(spec_path, root, "--force", *only)
        print(
            f"  (b) evalkit run --force:                 {t_run:7.1f} s   "
            f"{t_naive / t_run:4.1f}x faster (target >= 6x; a kernel per report, forked "
            "pre-imported)"
        )
        print(f"      {_memory_line(mem_run)}")
        t_cold, mem_cold = evalkit_run(spec_path, root, "--force", *only, env={"EVALKIT_FORK": "0"})
        print(
            f"  (b0) EVALKIT_FORK=0 evalkit run --force: {t_cold:7.1f} s   "
            f"{t_naive / t_cold:4.1f}x faster (a kernel per report started the ordinary way)"
        )
        print(f"      {_memory_line(mem_cold)}")
        t_fast, mem_fast = evalkit_run(spec_path, root, "--force", "--fast", *only)
        print(
            f"  (c) evalkit run --force --fast:          {t_fast:7.1f} s   "
            f"{t_naive / t_fast:4.1f}x faster (one reused kernel per worker)"
        )
        print(f"      {_memory_line(mem_fast)}")
        print(f"load average at the end of the {len(codes)}-locality runs: {_load()}")
        if args.no_scale:
            return

        root = Path(tmp) / "p153"
        # Every upper-tier local authority in England: 149 served, 4 never served (comparison).
        spec_path = project(root, extra_localities=135)
        big = load_spec(spec_path)
        n = len(big.localities)
        per = [r for r in big.reports if r.scope == "locality"]
        total = n * len(per) + len(big.reports) - len(per)
        print(
            f"\n{n} localities served and {len(big.comparison_localities)} compared (all 153 "
            f"upper-tier authorities), every report of the demo spec ({total} reports)"
        )
        t_first, mem_first = evalkit_run(spec_path, root)
        print(f"  first run (default mode):                {t_first:7.1f} s")
        print(f"      {_memory_line(mem_first)}")
        t_again, _ = evalkit_run(spec_path, root)
        print(f"  rerun, nothing changed (all skipped):    {t_again:7.1f} s   (target < 3 s)")
        print(f"load average at the end: {_load()}")


if __name__ == "__main__":
    main()
