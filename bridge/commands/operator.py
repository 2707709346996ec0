"""``o-switcher pause|resume|drain|reset|use|unpin``: operator actions from a shell.

Each writes to the state store, where every running bridge picks it up before its next request
(no restart of OpenCode). Target names come from the config of ``--directory`` (default: the
current directory), as OpenCode would read it there. Every action is an ``operator_command``
audit event in the bridges' log, with ``via: cli``.
"""

from __future__ import annotations

import argparse
import os
import sys

from bridge.commands import add_project_arguments

_HELP = {
    "pause": ("TARGET", "send no new request to a target until `resume`"),
    "resume": ("TARGET", "undo pause and drain"),
    "drain": ("TARGET", "no new requests to a target; those in flight finish"),
    "reset": ("NAME", "close a target's circuit and end its cooldowns, or revive a dead key (profile label or id)"),
    "use": ("NAME", "pin every session to a target or profile (label or id); `unpin` undoes it"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    for command, (metavar, help_text) in _HELP.items():
        parser = subparsers.add_parser(command, help=help_text, description=__doc__.split("\n\n")[1])
        parser.add_argument("name", metavar=metavar)
        _common_options(parser)
        parser.set_defaults(run=_run, action=command)
    unpin = subparsers.add_parser("unpin", help="remove the pin `o-switcher use` set")
    _common_options(unpin)
    unpin.set_defaults(run=_run, action="unpin", name=None)


def _common_options(parser: argparse.ArgumentParser) -> None:
    add_project_arguments(parser, directory_is="whose config names the targets")


def target_ids_or_error(directory: str) -> tuple[list[str], str | None]:
    """The targets of the config for ``directory``, or the config error that hides them."""
    from pathlib import Path

    from bridge.config_files import load_config
    from oswitcher.config_check import ConfigError

    try:
        snapshot = load_config(Path(directory).resolve(), os.environ)
    except ConfigError as error:
        return [], f"{error.where() or '-'}: {error.path}: {error.message}"
    return [t.target_id for t in snapshot.discovery.targets], None


def _run(args: argparse.Namespace) -> int:
    import msgspec

    from bridge.commands._common import audit_to_bridge_log, now_ms
    from bridge.operator.actions import ActionResult, Operator
    from bridge.store import StateStore, default_db_path

    audit_to_bridge_log()
    targets, problem = target_ids_or_error(args.directory)
    if problem is not None and args.action in ("pause", "resume", "drain"):
        result = ActionResult(ok=False, command=args.action, message=f"the config is invalid, so its targets are unknown: {problem}")
    else:
        with StateStore(default_db_path(os.environ)) as store:
            operator = Operator(store=store, target_ids=lambda: targets, clock=now_ms, via="cli")
            if args.action == "use":
                result = operator.use(args.name, None)
            elif args.action == "unpin":
                result = operator.unpin(None)
            else:
                result = getattr(operator, args.action)(args.name)
    if args.json:
        sys.stdout.write(msgspec.json.encode(result).decode() + "\n")
    elif result.ok:
        print(result.message)
    else:
        print(f"o-switcher {args.action}: {result.message}", file=sys.stderr)
    return 0 if result.ok else 1
