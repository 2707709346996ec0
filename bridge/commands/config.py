"""``o-switcher config check``: validate the config OpenCode would load, show what it means."""

from __future__ import annotations

import argparse
import os
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("config", help="inspect O-Switcher's configuration")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check",
        help="validate the config; show the effective settings, targets and pools",
        description="Without PATH, checks every config file OpenCode would merge for --directory. "
        "With PATH, checks that one file on its own.",
    )
    check.add_argument("path", nargs="?", help="a single config file to check on its own")
    check.add_argument("--directory", default=".", help="project directory (default: .)")
    check.add_argument("--json", action="store_true", help="JSON output")
    check.set_defaults(run=_check)


def _check(args: argparse.Namespace) -> int:
    from pathlib import Path

    import msgspec

    from bridge.config_files import load_config, read_auth, read_layer
    from oswitcher.config_check import ConfigError, validate
    from oswitcher.discovery import public_url

    env = os.environ
    auth = read_auth(env)
    try:
        if args.path:
            path = Path(args.path).resolve()
            if not path.is_file():
                raise ConfigError("$", "no such file", file=str(path))
            layer = read_layer(path, env)
            snapshot = validate([layer] if layer else [], auth_providers=tuple(auth.data or ()))
        else:
            snapshot = load_config(Path(args.directory).resolve(), env, auth=auth)
    except ConfigError as error:
        if args.json:
            sys.stdout.write(msgspec.json.encode({"valid": False, "error": error.as_dict()}).decode() + "\n")
        else:
            print(f"invalid config: {error.where() or '-'}: {error.path}: {error.message}", file=sys.stderr)
        return 1
    report = {
        "valid": True,
        "sources": list(snapshot.sources),
        "switcher": msgspec.to_builtins(snapshot.switcher),
        "discovered": snapshot.discovery.discovered,
        "targets": [
            {**msgspec.to_builtins(t), "base_url": public_url(t.base_url) if t.base_url else None}
            for t in snapshot.discovery.targets
        ],
        "pools": msgspec.to_builtins(snapshot.discovery.pools),
    }
    if args.json:
        sys.stdout.write(msgspec.json.format(msgspec.json.encode(report)).decode() + "\n")
        return 0
    print("config OK")
    print("sources: " + (", ".join(snapshot.sources) or "(none: every default)"))
    print("switcher (effective):")
    print(msgspec.json.format(msgspec.json.encode(report["switcher"]), indent=2).decode())
    how = "discovered from `provider`" if snapshot.discovery.discovered else "from switcher.targets"
    print(f"targets ({how}):")
    for t in snapshot.discovery.targets:
        state = "" if t.enabled else " [disabled]"
        print(f"  {t.target_id}  provider={t.provider_id}  pool={t.pool_id}  priority={t.operator_priority}{state}")
    if not snapshot.discovery.targets:
        print("  (none)")
    print("pools:")
    for p in snapshot.discovery.pools:
        print(f"  {p.pool_id}: {', '.join(p.members)}")
    return 0
