"""The core commands of ``evalkit``: demo, validate, run."""

from __future__ import annotations

import argparse
import errno
import sys
from pathlib import Path

from evalkit.exceptions import ConfigError, PipelineError

__all__ = ["register"]


def help_formatter(prog: str) -> argparse.HelpFormatter:
    """The help layout of every evalkit command: examples kept as written."""
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


#: Where each example is written by default.
DEMO_DIRS = {"family-support": "data/raw/demo", "homelessness-prevention": "data/raw/hp"}


def cmd_demo(args: argparse.Namespace) -> int:
    """Write an example's data, its programme spec and (if missing) a pseudonymisation key."""
    from evalkit.demo import EXAMPLES
    from evalkit.intake.pseudonymise import KEY_ENV, create_key_file

    example = EXAMPLES[args.example]
    directory = Path(args.dir or DEMO_DIRS[args.example])
    if args.extra_localities and args.example != "family-support":
        raise ConfigError("--extra-localities applies to the family-support example only")
    options = {"extra_localities": args.extra_localities} if args.extra_localities else {}
    seed = args.seed if args.seed is not None else example.DEFAULT_SEED
    spec_path = example.write(directory, seed=seed, **options)
    import os

    if not os.environ.get(KEY_ENV):
        key_file = create_key_file()
        print(f"pseudonymisation key: {key_file} (git-ignored; keep it out of reports and email)")
    if hasattr(example, "load_demo_reflections"):
        store = example.load_demo_reflections(spec_path)
        print(f"learning log with the demo reflections: {store}")
    print(f"{args.example} example written to {directory}/ (seed {seed})")
    print(f"programme spec: {spec_path}")
    print(f"next: evalkit run {spec_path}")
    return 0


def _validate_file(path: Path, spec_path: str | None, source: str | None) -> int:
    """Check one data file through the mapping of the spec source that reads it."""
    from evalkit.config import load_spec
    from evalkit.intake import map_source, read_table

    if not spec_path:
        raise ConfigError(
            f"{path}: evalkit needs the programme spec to know what this file's columns mean; "
            f"run 'evalkit init {path}' to draft one, then 'evalkit validate SPEC' (or pass "
            "--spec SPEC to check this file against it)"
        )
    spec = load_spec(spec_path)
    matches = [n for n, p in spec.data_files().items() if p.resolve() == path.resolve()]
    name = source or (matches[0] if matches else None)
    if name not in spec.sources:
        raise ConfigError(
            f"{path}: not a source of {spec_path}; pass --source with one of "
            f"{', '.join(spec.sources)}"
        )
    s = spec.sources[name]
    df = map_source(spec, name, read_table(path, sheet=s.sheet, header_row=s.header_row), str(path))
    print(
        f"{path}: {len(df)} rows OK as source {name!r} ({s.kind}); columns kept: "
        f"{', '.join(df.columns)}"
    )
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Check a programme spec (and its data files) or one input file."""
    from evalkit.config import load_spec

    path = Path(args.path)
    if path.suffix.lower() not in (".yaml", ".yml"):
        return _validate_file(path, args.spec, args.source)
    spec = load_spec(path)
    print(f"{path}: programme spec OK ({spec.title}, {len(spec.localities)} localities)")
    if not args.spec_only:
        from evalkit.intake.partitions import validate_inputs

        for name, check in validate_inputs(spec).items():
            print(f"  {name}: {check.describe()}")
    designs = [
        d
        for d in ("comparison_group", "matching", "time_series", "never_treated")
        if getattr(spec.designs, d)
    ]
    if not designs:
        print(
            "  note: the plan has no comparison (designs), so reports show change for the "
            "people served, which is not evidence of impact"
        )
    return 0


_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def _disk_full(where: object) -> str:
    return (
        f"disk full while writing {where}; free some space and run again "
        "(previous good reports are unchanged)"
    )


def cmd_run(args: argparse.Namespace) -> int:
    """Produce the reports of a programme."""
    from evalkit.config import load_spec
    from evalkit.reports import run

    spec = load_spec(args.spec)
    try:
        result = run(
            spec,
            localities=args.locality or None,
            workers=args.jobs,
            scheduler=args.scheduler,
            force=args.force,
            progress=not args.no_progress,
            fast=args.fast,
            timeout=args.timeout,
            formats=("html", "pdf") if args.format == "pdf" else ("html",),
        )
    except OSError as exc:
        if exc.errno in _DISK_FULL:
            raise PipelineError(_disk_full(exc.filename or "a report file")) from None
        raise
    full = next((f for f in result.failures if "No space left on device" in str(f.error)), None)
    if full is not None:
        raise PipelineError(_disk_full(f"the report for {full.locality}"))
    counts = result.counts()
    print(
        f"{counts['ok']} report(s) written, {counts['skipped']} unchanged, "
        f"{counts['failed']} failed, in {result.seconds:.1f} s"
    )
    for f in result.failures:
        print(f"  FAILED {f.locality} ({f.report}) at cell {f.cell}: {f.error}", file=sys.stderr)
        if f.failed_notebook:
            print(f"         notebook kept: {f.failed_notebook}", file=sys.stderr)
    print(f"index: {result.index_path}")
    if result.failures:
        print(
            f"failures listed in {result.manifest_path.parent / 'failures.json'}", file=sys.stderr
        )
    return result.exit_code


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add demo, validate and run to the ``evalkit`` command."""
    demo = subparsers.add_parser(
        "demo",
        help="write an example programme's data and spec",
        description="Write a fictional example programme's data, with known planted effects, and "
        "its programme spec: 'family-support' (early help in 14 upper-tier authorities, with a "
        "comparison group; the default) or 'homelessness-prevention' (a provider's Excel "
        "export from four district councils, no comparison group, a monthly series).",
        epilog="examples:\n  evalkit demo\n  evalkit demo --example homelessness-prevention\n"
        "  evalkit demo --dir /tmp/demo --seed 7\n"
        "  evalkit demo --dir /tmp/big --extra-localities 139   # all 153 local authorities",
        formatter_class=help_formatter,
    )
    demo.add_argument(
        "--example",
        choices=sorted(DEMO_DIRS),
        default="family-support",
        help="which example programme (default: %(default)s)",
    )
    demo.add_argument(
        "--dir", help="folder to write to (default: data/raw/demo or data/raw/hp by example)"
    )
    demo.add_argument("--seed", type=int, help="random seed (default: the example's own)")
    demo.add_argument(
        "--extra-localities",
        type=int,
        default=0,
        metavar="N",
        help="add N more local authorities with random planted effects (for scale tests)",
    )
    demo.set_defaults(func=cmd_demo)

    validate = subparsers.add_parser(
        "validate",
        help="check a programme spec or an input file",
        description="Check a programme spec (and the data files it names) or one CSV/XLSX file "
        "against the spec's mapping. Problems are reported with the file, row, column, value, "
        "what was expected and the spec field to change.",
        epilog="examples:\n  evalkit validate data/raw/demo/family-support.yaml\n"
        "  evalkit validate data/raw/demo/service_users.csv --spec data/raw/demo/family-support.yaml\n"
        "  evalkit validate export.xlsx --spec my-programme.yaml --source clients",
        formatter_class=help_formatter,
    )
    validate.add_argument("path", help="a programme spec (.yaml) or a data file (.csv, .xlsx)")
    validate.add_argument("--spec", help="the programme spec whose mapping reads a data file")
    validate.add_argument(
        "--source", help="which source of the spec a data file is (default: by its path)"
    )
    validate.add_argument(
        "--spec-only", action="store_true", help="check the spec, not its data files"
    )
    validate.set_defaults(func=cmd_validate)

    run = subparsers.add_parser(
        "run",
        help="produce the reports of a programme, one per locality",
        description="Run the programme's report notebooks for every locality (in parallel), export "
        "HTML without code, and write index.html and manifest.json. Unchanged reports are skipped. "
        "Exit status: 0 all good, 1 some reports failed, 2 bad input.",
        epilog="examples:\n  evalkit run data/raw/demo/family-support.yaml\n"
        "  evalkit run SPEC --locality E08000012 --locality E06000026 --force\n"
        "  evalkit run SPEC --jobs 4\n"
        "  evalkit run SPEC --fast              # one warm kernel per worker: much quicker\n"
        "  evalkit run SPEC --timeout 300       # stop any report still running after 5 minutes\n"
        "  evalkit run SPEC --format pdf        # PDFs beside the HTML (needs Chromium)\n"
        "  evalkit run SPEC --scheduler tcp://127.0.0.1:8786   # on a Dask cluster",
        formatter_class=help_formatter,
    )
    run.add_argument("spec", help="the programme spec (.yaml)")
    run.add_argument(
        "--locality", action="append", metavar="CODE", help="only this locality (repeatable)"
    )
    run.add_argument(
        "--jobs", type=int, metavar="N", help="parallel workers (default: the CPUs available)"
    )
    run.add_argument("--scheduler", metavar="ADDRESS", help="run on the Dask cluster at ADDRESS")
    run.add_argument("--force", action="store_true", help="rerun reports even if nothing changed")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument(
        "--fast",
        action="store_true",
        help="reuse one warm kernel per worker, reset between reports (same reports, less time)",
    )
    run.add_argument(
        "--timeout",
        type=int,
        metavar="SECONDS",
        help="fail a report still running after SECONDS (default: timeout_seconds in the spec)",
    )
    run.add_argument(
        "--format",
        choices=("html", "pdf"),
        default="html",
        help="html (default), or pdf: also print each report to PDF with headless Chromium",
    )
    run.set_defaults(func=cmd_run)
