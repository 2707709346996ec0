"""``o-switcher bridge``: the process the shim starts, speaking JSON-RPC on stdio."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bridge", help="run the bridge on stdio (started by the OpenCode shim)")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from bridge.server import main

    return main()
