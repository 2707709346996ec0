"""The ``o-switcher`` command line.

Each subcommand lives in its own module under ``bridge.commands`` exposing
``register(subparsers)``; the module is imported only when the command line is parsed, and a
command's heavy imports stay inside its ``run`` so that ``o-switcher bridge`` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from bridge import __version__

__all__ = ["main"]

#: Modules under ``bridge.commands``, in the order ``--help`` lists them.
_COMMANDS = (
    "install",
    "bridge",
    "config",
    "profiles",
    "status",
    "operator",
    "reload",
    "doctor",
    "classify",
    "demo",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="o-switcher",
        description="Keeps OpenCode working through rate limits, outages, spent quotas and dead keys.",
    )
    parser.add_argument("--version", action="version", version=f"o-switcher {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        importlib.import_module(f"bridge.commands.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen subcommand; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    return args.run(args)


if __name__ == "__main__":
    raise SystemExit(main())
