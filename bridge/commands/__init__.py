"""Subcommands of ``o-switcher``; each module exposes ``register(subparsers)``.

Modules are imported whenever the command line is parsed: they import only argparse and the
standard library at the top, and the rest inside their ``run``.
"""

from __future__ import annotations

import argparse

__all__ = ["add_project_arguments"]


def add_project_arguments(parser: argparse.ArgumentParser, *, directory_is: str = "whose config is read") -> None:
    """``--directory`` (the project, as OpenCode would see it from there) and ``--json``."""
    parser.add_argument("--directory", default=".", help=f"project directory {directory_is} (default: .)")
    parser.add_argument("--json", action="store_true", help="JSON output")
