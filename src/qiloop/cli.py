"""The ``qiloop`` command line: a thin layer over the library.

Each subcommand lives in its own module under :mod:`qiloop.commands` and
exposes ``register(subparsers)``; the function it sets as ``func`` takes the
parsed arguments and returns an exit code.

Exit codes: 0 success; 1 bad input (the message says what and where);
2 usage error (unknown option, missing argument); 3 internal error (a bug:
please report it with the traceback printed).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

from qiloop import __version__
from qiloop.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, QiloopError

# Command modules, in the order `qiloop --help` lists them. A module that
# fails to import is a bug, not a user error, so it is not skipped silently.
COMMAND_MODULES: tuple[str, ...] = (
    "qiloop.commands.synth",
    "qiloop.commands.importing",
    "qiloop.commands.quality",
    "qiloop.commands.measures",
    "qiloop.commands.spc",
    "qiloop.commands.funnel",
    "qiloop.commands.demo",
    "qiloop.commands.bench",
)

EPILOG = """\
exit codes:
  0  success
  1  bad input: the message names the file, line, column and what to do
  2  usage error: an unknown option or a missing argument
  3  internal error: a bug in qiloop (the traceback is printed; please report it)
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n  hint: run '{self.prog} --help' for the options\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="qiloop",
        description=(
            "qiloop: quality improvement for UK general practice. Generate or import GP records, "
            "check their quality, compute measures and draw SPC charts."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"qiloop {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        code = args.func(args)
    except QiloopError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `qiloop quality ... | head`): not an error.
        _silence_stdout()
        return EXIT_OK
    except Exception:  # noqa: BLE001 - last resort: a bug, reported as such
        traceback.print_exc()
        print("internal error: this is a bug in qiloop; please report it with the text above", file=sys.stderr)
        return EXIT_INTERNAL
    return EXIT_OK if code is None else int(code)


def _silence_stdout() -> None:
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
