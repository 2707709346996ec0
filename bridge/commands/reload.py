"""``o-switcher reload``: validate the config now and have every running bridge re-read it.

Bridges already re-read the config on every save of a config file or ``auth.json``; what they
cannot see is a change behind a ``{file:…}`` or ``{env:…}`` substitution, or a file system that
does not report changes. So this command checks the config of ``--directory`` and reports what
it holds (or the error, by path), and, when it is valid, bumps the store's reload counter: every
running bridge notices within half a second, reloads, and shows the result in a toast.
An invalid config is not pushed: the bridges keep their last good one.
"""

from __future__ import annotations

import argparse
import os
import sys

from bridge.commands import add_project_arguments


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("reload", help="validate the config and have running bridges re-read it now",
                                   description=__doc__.split("\n\n")[1])
    add_project_arguments(parser)
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import msgspec

    from bridge.commands._common import audit_to_bridge_log, now_ms
    from bridge.config_files import load_config
    from bridge.operator.actions import Operator
    from bridge.store import StateStore, default_db_path
    from oswitcher.config_check import ConfigError

    audit_to_bridge_log()
    with StateStore(default_db_path(os.environ)) as store:
        operator = Operator(store=store, target_ids=list, clock=now_ms, via="cli")
        try:
            snapshot = load_config(Path(args.directory).resolve(), os.environ)
        except ConfigError as error:
            message = f"config invalid, running bridges keep their last good one: {error.where() or '-'}: {error.path}: {error.message}"
            operator.audit("reload", ok=False, message=message)
            report = {"ok": False, "message": message, "error": error.as_dict()}
        else:
            number = operator.request_reload()
            targets = [t.target_id for t in snapshot.discovery.targets]
            message = (f"config valid ({', '.join(snapshot.sources) or 'no file: defaults'});"
                       f" {len(targets)} target(s): {', '.join(targets) or '-'}. Running bridges reload it now.")
            report = {"ok": True, "message": message, "request": number, "sources": list(snapshot.sources),
                      "targets": targets}
    if args.json:
        sys.stdout.write(msgspec.json.encode(report).decode() + "\n")
    else:
        print(report["message"], file=sys.stdout if report["ok"] else sys.stderr)
    return 0 if report["ok"] else 1
