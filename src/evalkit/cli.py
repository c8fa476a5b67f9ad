"""The ``evalkit`` command.

Each command group lives in its own module, which exposes ``register(subparsers)``: it adds its
parser(s) and sets ``func`` to a handler ``handler(args) -> int``. Handlers raise
:class:`~evalkit.exceptions.EvalkitError` on bad input; :func:`main` prints the message in one or
two lines and exits with status 2, never with a traceback. A mistyped option or value is one line
too (:class:`Parser`), Ctrl-C is ``evalkit: interrupted`` and status 130, and a reader that goes
away (``evalkit ... | head``) ends the command quietly with status 141, as a pipe does.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from evalkit import __version__
from evalkit.exceptions import EvalkitError

__all__ = ["Parser", "build_parser", "main"]

#: Modules that add commands to ``evalkit``; each has ``register(subparsers)``.
COMMAND_MODULES: tuple[str, ...] = (
    "evalkit.commands",
    "evalkit.commands_init",
    "evalkit.learning.cli",
)

EPILOG = """\
examples:
  evalkit demo                                  write the demo data and its programme spec
  evalkit validate data/raw/demo/family-support.yaml
  evalkit run data/raw/demo/family-support.yaml produce a report for every locality
  evalkit run SPEC --locality E08000012 --force rerun one locality

Run 'evalkit COMMAND --help' for the options and examples of each command.
"""


class Parser(argparse.ArgumentParser):
    """argparse with evalkit's errors: one line saying what is wrong and where the help is."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every registered command."""
    parser = Parser(
        prog="evalkit",
        description="Evaluation reports for commissioned public services, per locality.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"evalkit {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 some reports failed, 2 bad input)."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not hasattr(args, "func"):
            parser.print_help()
            return 2
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # a reader that has gone is found here, not at exit
        return status
    except EvalkitError as exc:
        print(f"evalkit: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("evalkit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Whatever is still buffered for the reader that left must not fail again at exit.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
