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


def ensure_key() -> None:
    """Create the project's pseudonymisation key if it has none (and none is set in the
    environment), saying where; an existing key is never replaced."""
    import os

    from evalkit.intake.pseudonymise import KEY_ENV, create_key_file, key_file

    if os.environ.get(KEY_ENV) or key_file().is_file():
        return
    made = create_key_file()
    print(
        f"pseudonymisation key created: {made} (git-ignored; back it up safely and keep it out "
        "of reports and email: the same key links each person's records from one export to "
        "the next)"
    )


def cmd_demo(args: argparse.Namespace) -> int:
    """Write an example's data, its programme spec and (if missing) a pseudonymisation key.

    Nothing of the user's is replaced: a file in the folder that the example did not write (or
    that was changed since) is refused unless ``--force`` is given, and a learning log holding
    anybody else's work is never replaced; both are checked before anything is written.
    """

    from evalkit.demo import EXAMPLES
    from evalkit.demo._files import check_learning_log

    example = EXAMPLES[args.example]
    directory = Path(args.dir or DEMO_DIRS[args.example])
    if args.extra_localities and args.example != "family-support":
        raise ConfigError("--extra-localities applies to the family-support example only")
    if args.extra_localities < 0:
        raise ConfigError(f"--extra-localities must be 0 or more; got {args.extra_localities}")
    options = {"extra_localities": args.extra_localities} if args.extra_localities else {}
    seed = args.seed if args.seed is not None else example.DEFAULT_SEED
    if not 0 <= seed < 2**32:
        raise ConfigError(f"--seed must be a whole number from 0 to {2**32 - 1}; got {seed}")
    if hasattr(example, "learning_log_path"):
        check_learning_log(example.learning_log_path(directory / f"{example.PROGRAMME}.yaml"))
    spec_path = example.write(directory, seed=seed, force=args.force, **options)

    ensure_key()
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
    # every source read from this file (a workbook may hold several, one per sheet)
    matches = [n for n, p in spec.data_files().items() if p.resolve() == path.resolve()]
    names = [source] if source else matches
    if not names or any(name not in spec.sources for name in names):
        raise ConfigError(
            f"{path}: not a source of {spec_path}; pass --source with one of "
            f"{', '.join(spec.sources)}"
        )
    for name in names:
        s = spec.sources[name]
        table = read_table(path, sheet=s.sheet, header_row=s.header_row)
        df = map_source(spec, name, table, str(path))
        sheet = f", sheet {s.sheet!r}" if s.sheet else ""
        print(
            f"{path}{sheet}: {len(df)} rows OK as source {name!r} ({s.kind}); columns kept: "
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
        where = exc.filename or "a report file"
        if exc.errno in _DISK_FULL:
            raise PipelineError(_disk_full(where)) from None
        reason = exc.strerror or type(exc).__name__
        raise PipelineError(f"{where}: {reason} (previous good reports are unchanged)") from None
    except KeyboardInterrupt:
        print(
            "evalkit: interrupted: the reports still running were stopped; the index shows the "
            "last run that finished",
            file=sys.stderr,
        )
        return 130
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


def positive_whole_number(text: str) -> int:
    """An option's value as a whole number of 1 or more (argparse's ``type``)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return value


def cmd_plan(args: argparse.Namespace) -> int:
    """Write the monitoring and evaluation plan and, with --template, the data return template."""
    from evalkit.config import load_spec
    from evalkit.intake.template import (
        how_to_send,
        read_as_sent,
        template_sheets,
        write_template,
    )
    from evalkit.reports.evaluation_plan import write_plan

    for option, value, suffix in (
        ("--output", args.output, ".html"),
        ("--template", args.template, ".xlsx"),
    ):
        if value and Path(value).suffix.lower() != suffix:
            raise ConfigError(f"{option} {value}: expected a file name ending {suffix}")
    spec = load_spec(args.spec)
    try:
        for path in write_plan(spec, args.output, pdf=args.format == "pdf"):
            print(f"plan: {path}")
        if args.business_case:
            from evalkit.reports.business_case import write_business_case

            print(f"business case: {write_business_case(args.spec, pdf=args.format == 'pdf')}")
        if not args.template:
            return 0
        template = write_template(spec, args.template)
    except OSError as exc:
        raise PipelineError(f"cannot write {exc.filename or 'the plan'}: {exc.strerror}") from None
    print(f"data return template: {template}")
    for name, sheet in template_sheets(spec).items():
        if not read_as_sent(spec, name, sheet):
            print(f"  {how_to_send(spec, name, sheet, template.name)}")
    return 0


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
        "--force",
        action="store_true",
        help="overwrite files in the folder that the example did not write (never a learning "
        "log holding anybody else's reflections)",
    )
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
        "--jobs",
        type=positive_whole_number,
        metavar="N",
        help="parallel workers, 1 or more (default: the CPUs available)",
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

    plan = subparsers.add_parser(
        "plan",
        help="write the monitoring and evaluation plan (and a data return template)",
        description="Write the programme's monitoring and evaluation plan, in plain English, for "
        "commissioner and providers to agree before the service starts: the outcomes and why "
        "they matter, the data asked of providers field by field and why, when returns are due, "
        "the designs and what each can show, privacy and publication, learning, and the review. "
        "With --template, also write a workbook for providers to fill in: one sheet per return "
        "in their own column names, with lists, dates and hints, that the spec reads as it is.",
        epilog="examples:\n  evalkit plan data/raw/demo/family-support.yaml\n"
        "  evalkit plan SPEC --format pdf                 # a PDF beside the HTML (needs Chromium)\n"
        "  evalkit plan SPEC --template returns.xlsx      # and the provider's data return template\n"
        "  evalkit plan SPEC --output shared/plan.html\n"
        "  evalkit plan SPEC --business-case              # and the business case before the service",
        formatter_class=help_formatter,
    )
    plan.add_argument("spec", help="the programme spec (.yaml)")
    plan.add_argument(
        "--format",
        choices=("html", "pdf"),
        default="html",
        help="html (default), or pdf: also print the plan to PDF with headless Chromium",
    )
    plan.add_argument(
        "--template",
        metavar="PATH",
        help="also write the provider's data return template to PATH (.xlsx)",
    )
    plan.add_argument(
        "--output",
        metavar="PATH",
        help="where to write the plan (default: reports/<programme>/plan.html)",
    )
    plan.add_argument(
        "--business-case",
        action="store_true",
        help="also write reports/<programme>/business_case.html: the spec's cost-benefit "
        "assumptions appraised before the service starts",
    )
    plan.set_defaults(func=cmd_plan)
