"""Mutation scores of the statistics packages: how many deliberate bugs their tests catch.

For each package named (default: all of :data:`PACKAGES`), copies the project into a scratch
folder, points mutmut at that package's modules and its own unit-test files, runs ``mutmut run``
there and counts the outcome of every mutant. A mutant is *killed* when a test fails (or the test
run times out) with it in place; it *survives* when every selected test still passes, and has
*no tests* when no selected test reaches its function (counted as not killed). The score is
killed / (all mutants - mutants mutmut skipped). The working tree is never touched.

Prints one line per package, in the same style as the other benchmarks, and writes the surviving
mutants' names to ``benchmarks/results/mutation-<package>.txt`` (``mutmut show NAME`` in the
scratch folder shows each). Target (issue 17): at least 85% killed in each package.

    .venv/bin/python benchmarks/mutation_scores.py [outcomes impact econ disclosure]
        [--jobs 2] [--keep]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

#: Per package: the modules mutated and the unit-test files run against each mutant.
PACKAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "outcomes": ("src/evalkit/outcomes", ("tests/test_outcomes_*.py",)),
    "impact": ("src/evalkit/impact", ("tests/test_impact_*.py",)),
    "econ": ("src/evalkit/econ", ("tests/test_econ_*.py",)),
    "disclosure": ("src/evalkit/disclosure", ("tests/test_disclosure_*.py",)),
}
TARGET = 0.85
KILLED = {"killed", "timeout"}
NOT_COUNTED = {"skipped"}


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def _config(package: str) -> str:
    """The project's pyproject.toml with a [tool.mutmut] table for ``package`` only."""
    folder, patterns = PACKAGES[package]
    modules = sorted(str(p.relative_to(ROOT)) for p in (ROOT / folder).glob("*.py"))
    tests = sorted(str(p.relative_to(ROOT)) for pattern in patterns for p in ROOT.glob(pattern))
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[)", "", text)
    return text + (
        "\n[tool.mutmut]\n"
        'source_paths = ["src"]\n'
        f"only_mutate = {_toml_list(modules)}\n"
        f"pytest_add_cli_args_test_selection = {_toml_list(tests)}\n"
        'pytest_add_cli_args = ["-p", "no:xdist", "-p", "no:cacheprovider", "-p", "no:randomly"]\n'
        'also_copy = ["notebooks", "data"]\n'
    )


def _scratch(package: str, parent: Path) -> Path:
    work = parent / package
    work.mkdir()
    for name in ("src", "tests", "notebooks"):
        shutil.copytree(
            ROOT / name, work / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
    (work / "data").mkdir()
    (work / "pyproject.toml").write_text(_config(package), encoding="utf-8")
    return work


def _mutmut() -> str:
    found = Path(sys.executable).with_name("mutmut")
    return str(found) if found.exists() else (shutil.which("mutmut") or "mutmut")


def score(package: str, parent: Path, jobs: int) -> dict:
    """Run mutmut on ``package`` in a scratch copy under ``parent``; return its counts."""
    work = _scratch(package, parent)
    started = time.perf_counter()
    run = subprocess.run(
        [_mutmut(), "run", "--max-children", str(jobs)],
        cwd=work,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    results = subprocess.run(
        [_mutmut(), "results", "--all", "true"], cwd=work, capture_output=True, text=True
    )
    statuses: dict[str, str] = {}
    for line in results.stdout.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and name:
            statuses[name] = status.strip()
    if not statuses:
        tail = (run.stdout + run.stderr).strip().splitlines()[-15:]
        raise SystemExit(f"mutmut found no mutants for {package}:\n" + "\n".join(tail))
    counts = Counter(statuses.values())
    counted = sum(n for s, n in counts.items() if s not in NOT_COUNTED)
    killed = sum(n for s, n in counts.items() if s in KILLED)
    RESULTS.mkdir(parents=True, exist_ok=True)
    survivors = sorted(n for n, s in statuses.items() if s not in KILLED | NOT_COUNTED)
    (RESULTS / f"mutation-{package}.txt").write_text(
        "".join(f"{n}: {statuses[n]}\n" for n in survivors), encoding="utf-8"
    )
    return {
        "package": package,
        "mutants": counted,
        "killed": killed,
        "counts": dict(counts),
        "score": killed / counted if counted else 0.0,
        "seconds": seconds,
        "work": work,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs="*", help=f"any of {', '.join(PACKAGES)} (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folders")
    args = parser.parse_args(argv)
    unknown = [p for p in args.packages if p not in PACKAGES]
    if unknown:
        parser.error(f"unknown package {unknown[0]!r}: expected one of {', '.join(PACKAGES)}")
    parent = Path(tempfile.mkdtemp(prefix="evalkit-mutation-"))
    failed = False
    try:
        for package in args.packages or list(PACKAGES):
            result = score(package, parent, args.jobs)
            counts = ", ".join(f"{s} {n}" for s, n in sorted(result["counts"].items()))
            met = result["score"] >= TARGET
            failed |= not met
            print(
                f"{package:<11} {result['killed']:>5} of {result['mutants']:>5} mutants killed "
                f"= {result['score']:.1%} ({'meets' if met else 'BELOW'} {TARGET:.0%}) "
                f"in {result['seconds']:.0f} s [{counts}]",
                flush=True,
            )
            if args.keep:
                print(f"            scratch copy: {result['work']}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(parent, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
