"""``evalkit init``: draft a programme spec from a user's own export.

The guessing is in :mod:`evalkit.intake.draft`; this module adds the command, writes the draft
(atomically, never over an existing file without ``--force``) and prints what it found and what
to do next.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from evalkit.commands import ensure_key, help_formatter, positive_whole_number
from evalkit.config import DATE_FORMATS, find_root
from evalkit.exceptions import ConfigError

__all__ = ["register"]

EPILOG = """\
examples:
  evalkit init exports/clients.csv
  evalkit init "Client export.xlsx" --sheet Clients --header-row 3 --output my-service.yaml
  evalkit init clients.csv --date-format dd/mm/yyyy --force   # after deciding the date format

The draft marks every guess with '# CHECK:' and everything evalkit cannot tell (such as whether
03/04/2024 is 3 April or 4 March) with '# DECIDE:'. Edit those lines, then:
  evalkit validate SPEC
which fails until every DECIDE is answered.
"""


def cmd_init(args: argparse.Namespace) -> int:
    """Read the export, guess what its columns mean and write a commented draft spec."""
    from evalkit._io import atomic_write_text
    from evalkit.intake import draft

    data = Path(args.datafile)
    found = draft.survey(data, sheet=args.sheet, header_row=args.header_row)
    output = Path(args.output) if args.output else Path(f"{draft.slug(data.stem)}.yaml")
    if output.suffix.lower() not in (".yaml", ".yml"):
        raise ConfigError(f"{output}: the spec must be a .yaml file; pass --output NAME.yaml")
    if output.exists() and not args.force:
        raise ConfigError(f"{output}: already exists; pass --force to overwrite it")
    proposal = draft.propose(found, spec_path=output, date_format=args.date_format)
    text = draft.render(proposal, found)
    try:
        atomic_write_text(output, text)
    except OSError as exc:
        raise ConfigError(f"{output}: cannot write the draft ({exc.strerror})") from None

    where = f", sheet {found.sheet!r} ({found.sheet_note})" if found.sheet else ""
    print(f"read {data}{where}")
    footer = f"; {found.footer_text}" if found.footer else ""
    print(f"header row {found.header_row} ({found.header_note}); {found.rows_text}{footer}")
    # A header cell may hold a line break: shown on one line.
    summary = [(" ".join(n.split()), k, u) for n, k, u in draft.column_summary(found, proposal)]
    width = max(len(name) for name, _, _ in summary)
    kinds = max(len(kind) for _, kind, _ in summary)
    for name, kind, use in summary:
        print(f"  {name:<{width}}  {kind:<{kinds}}  -> {use}")
    checks = len(re.findall(r"# CHECK\b", text))
    # The fields still DECIDE in the text written, counted as `evalkit validate` counts them.
    decides = draft.undecided(text)
    listed = f": {', '.join(decides)}" if decides else ""
    print(f"draft spec written: {output} ({checks} CHECK, {len(decides)} DECIDE{listed})")
    ensure_key()
    root = find_root(output)
    if not (root / "notebooks").is_dir():
        print(
            f"note: {output} is not inside an evalkit project folder (one holding notebooks/, "
            "such as your evalkit clone); reports are made from there, and paths in the spec "
            "are read from it: put the export under its data/raw/ and run init again"
        )
    print(f"next: edit the CHECK/DECIDE lines, then: evalkit validate {output}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``init`` to the ``evalkit`` command."""
    init = subparsers.add_parser(
        "init",
        help="draft a programme spec from your own data export",
        description="Read the column names and values of a CSV or Excel export, guess what each "
        "column holds (identifier, date and its format, yes/no, number, category, free text) and "
        "write a commented draft programme spec, with every guess marked CHECK and every open "
        "question marked DECIDE. Personal data and free text are listed, never mapped.",
        epilog=EPILOG,
        formatter_class=help_formatter,
    )
    init.add_argument("datafile", help="the export: a .csv or .xlsx file")
    init.add_argument(
        "--sheet", metavar="NAME", help="the sheet of a workbook (default: the one with most data)"
    )
    init.add_argument(
        "--header-row",
        type=positive_whole_number,
        metavar="N",
        help="the row holding the column names (default: found below any title rows)",
    )
    init.add_argument(
        "--output",
        metavar="SPEC.yaml",
        help="where to write the draft (default: the file's name as a .yaml, here)",
    )
    init.add_argument(
        "--date-format",
        choices=list(DATE_FORMATS),
        metavar="FORMAT",
        help=f"how text dates are written, when evalkit cannot tell: {', '.join(DATE_FORMATS)}",
    )
    init.add_argument("--force", action="store_true", help="overwrite an existing spec")
    init.set_defaults(func=cmd_init)
