"""``o-switcher status``: targets, pools, cooldowns, circuits, pins, from a shell.

A shell has no engine: it joins the config of ``--directory`` with the state store every bridge
writes to, so it shows what the bridges share (cooldowns, dead keys, operator flags, pins, the
circuit state they last stored), not their in-flight counts or health scores.
"""

from __future__ import annotations

import argparse
import os
import sys

from bridge.commands import add_project_arguments


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("status", help="every target and pool: state, circuit, cooldowns, keys, pins",
                                   description=__doc__.split("\n\n")[1])
    add_project_arguments(parser)
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import msgspec

    from bridge.commands._common import audit_to_bridge_log, now_ms
    from bridge.operator.status import store_status
    from bridge.store import StateStore, default_db_path
    from oswitcher.status_view import render_status

    audit_to_bridge_log()
    with StateStore(default_db_path(os.environ)) as store:
        view = store_status(store, Path(args.directory).resolve(), os.environ, now_ms=now_ms())
    if args.json:
        sys.stdout.write(msgspec.json.format(msgspec.json.encode(view)).decode() + "\n")
    else:
        print(render_status(view))
    return 1 if view.config_error else 0
