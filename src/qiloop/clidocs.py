"""Render the command-line reference (docs/cli.md) from the parsers' own ``--help``.

Run ``python -m qiloop.clidocs > docs/cli.md``; a test fails when the file is stale,
so the reference cannot drift from the code.
"""

from __future__ import annotations

import argparse
import os

from qiloop.cli import build_parser

HEADER = """# Command-line reference

Generated from `--help` by `python -m qiloop.clidocs > docs/cli.md` (or `make docs`);
`tests/cli/test_cli_docs.py` fails when this file is out of date.
"""


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _render(parser: argparse.ArgumentParser, name: str, level: int) -> list[str]:
    parts = [f"{'#' * level} `{name}`", "", "```text", parser.format_help().rstrip(), "```", ""]
    for child_name, child in _subparsers(parser).items():
        parts += _render(child, f"{name} {child_name}", min(level + 1, 4))
    return parts


def render_cli_reference() -> str:
    # A fixed width so the text does not depend on the terminal it was made in.
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        parser = build_parser()
        return "\n".join([HEADER, *_render(parser, "qiloop", 2)]).rstrip() + "\n"
    finally:
        if previous is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = previous


if __name__ == "__main__":
    print(render_cli_reference(), end="")
