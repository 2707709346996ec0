"""``o-switcher profiles``: list, label, remove and import the accumulated credentials."""

from __future__ import annotations

import argparse
import os
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("profiles", help="list and manage the API keys and accounts O-Switcher keeps")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="every profile, keys masked")
    listing.add_argument("--json", action="store_true", help="JSON instead of a table")
    listing.set_defaults(run=_list)
    remove = actions.add_parser("remove", help="forget a profile (its key is deleted from the store)")
    remove.add_argument("id")
    remove.set_defaults(run=_remove)
    label = actions.add_parser("label", help="give a profile a name")
    label.add_argument("id")
    label.add_argument("name")
    label.set_defaults(run=_label)
    importing = actions.add_parser("import", help="record the keys in auth.json and the config now")
    importing.add_argument("--directory", default=".", help="project directory whose config is read (default: .)")
    importing.set_defaults(run=_import)


def _open():
    from bridge.store import StateStore, default_db_path

    return StateStore(default_db_path(os.environ))


def _list(args: argparse.Namespace) -> int:
    import msgspec

    from bridge.commands._common import now_ms
    from oswitcher.profile_table import render_profiles_table
    from oswitcher.secrets import fingerprint, mask_secret

    with _open() as store:
        profiles = store.list_profiles()
    if args.json:
        rows = [
            {
                "id": p.id, "provider": p.provider, "kind": p.kind, "label": p.label,
                "key": mask_secret(p.secret), "fingerprint": fingerprint(p.secret), "source": p.source,
                "status": p.status, "status_reason": p.status_reason, "first_seen_ms": p.first_seen_ms,
                "last_seen_ms": p.last_seen_ms, "last_used_ms": p.last_used_ms,
                "last_error_class": p.last_error_class, "uses": p.uses,
            }
            for p in profiles
        ]
        sys.stdout.write(msgspec.json.format(msgspec.json.encode(rows)).decode() + "\n")
    else:
        print(render_profiles_table(profiles, now_ms()))
    return 0


def _change(profile_id: str, change) -> int:
    from bridge.store import UnknownProfile

    with _open() as store:
        try:
            change(store)
        except UnknownProfile as exc:
            print(f"o-switcher: {exc} (see `o-switcher profiles list`)", file=sys.stderr)
            return 1
    return 0


def _remove(args: argparse.Namespace) -> int:
    status = _change(args.id, lambda store: store.remove_profile(args.id))
    if status == 0:
        print(f"removed profile {args.id}")
    return status


def _label(args: argparse.Namespace) -> int:
    status = _change(args.id, lambda store: store.label_profile(args.id, args.name))
    if status == 0:
        print(f"profile {args.id} is now labelled {args.name!r}")
    return status


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bridge.commands._common import now_ms, quiet_logs
    from bridge.config_files import read_auth, read_layers
    from bridge.profile_sync import sync_profiles
    from oswitcher.config_check import ConfigError

    quiet_logs()
    try:
        layers = read_layers(Path(args.directory).resolve(), os.environ)
    except ConfigError as exc:
        print(f"o-switcher: config not read, importing auth.json only: {exc}", file=sys.stderr)
        layers = []
    with _open() as store:
        before = {p.id for p in store.list_profiles()}
        sync_profiles(store, read_auth(os.environ), layers, now_ms())
        after = store.list_profiles()
    added = [p for p in after if p.id not in before]
    print(f"{len(added)} new profile(s), {len(after)} in all")
    return 0
