"""``o-switcher doctor``: check the installation and the setup, each finding with a verdict.

Read-only. Exit status 0 when every check passed or only warned, 1 when one failed.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys

from bridge.commands import add_project_arguments


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("doctor", help="check versions, config, auth.json, state store, log, pools",
                                   description=__doc__.split("\n\n")[1])
    add_project_arguments(parser, directory_is="whose config is checked")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import msgspec

    from bridge.commands._common import now_ms, quiet_logs
    from bridge.operator.doctor import doctor_checks
    from bridge.operator.status import store_status
    from bridge.store import StateStore, default_db_path
    from oswitcher.doctor import overall, render_doctor
    from oswitcher.status_view import StatusView

    # Doctor writes nothing, not even to the log (it must work where the log cannot be written).
    quiet_logs()
    directory = Path(args.directory).resolve()
    now = now_ms()
    status = StatusView(now_ms=now, source="store")
    if default_db_path(os.environ).exists():
        try:
            with StateStore(default_db_path(os.environ)) as store:
                status = store_status(store, directory, os.environ, now_ms=now)
        except (sqlite3.Error, OSError):  # doctor reports the broken store below; pools are then unknown
            pass
    checks = doctor_checks(env=os.environ, directory=directory, status=status)
    verdict = overall(checks)
    if args.json:
        sys.stdout.write(msgspec.json.format(msgspec.json.encode({"verdict": verdict, "checks": checks})).decode() + "\n")
    else:
        print(render_doctor(checks))
    return 1 if verdict == "fail" else 0
