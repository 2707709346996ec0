"""``doctor``: probe the installation and the running setup, and give each finding a verdict.

Read-only: doctor never creates the state directory, the store or the log; a missing one is
reported (with what will create it), not fixed behind the user's back. The same checks run in
a bridge (``switcher-doctor``: it also knows the shim's and OpenCode's versions and whether its
watchers run) and in a shell (``o-switcher doctor``: it asks ``opencode --version`` instead).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from bridge import __version__
from oswitcher.doctor import Check, pool_checks, version_check
from oswitcher.status_view import StatusView

if TYPE_CHECKING:
    from bridge.runtime import BridgeRuntime

__all__ = ["VERIFIED_OPENCODE", "doctor_checks", "installed_shims"]

#: The OpenCode release every behaviour O-Switcher relies on was verified against.
VERIFIED_OPENCODE = "1.18.33"
_SHIM_VERSION = re.compile(r'const SHIM_VERSION = "([^"]+)"')


def _bundled_shim_version() -> str | None:
    from bridge.commands.install import shim_source

    match = _SHIM_VERSION.search(shim_source())
    return match.group(1) if match else None


def installed_shims(directory: Path, env: Mapping[str, str]) -> dict[str, str | None]:
    """Shim files OpenCode would load for ``directory``: path → its version (None if unreadable)."""
    from bridge.commands.install import SHIM_NAME, plugin_dir

    found: dict[str, str | None] = {}
    for place in (plugin_dir(None, dict(env)), plugin_dir(directory)):
        path = place / SHIM_NAME
        if path.is_file():
            try:
                match = _SHIM_VERSION.search(path.read_text(encoding="utf-8"))
            except OSError:
                match = None
            found[str(path)] = match.group(1) if match else None
    return found


def _shim_check(runtime: BridgeRuntime | None, directory: Path, env: Mapping[str, str]) -> Check:
    bundled = _bundled_shim_version()
    if runtime is not None and runtime.client_info is not None:
        return version_check("shim", runtime.client_info.shim_version, expected=bundled)
    shims = installed_shims(directory, env)
    if not shims:
        return Check(name="shim", verdict="warn", detail="not installed for this directory: run `o-switcher install`")
    stale = {p: v for p, v in shims.items() if v != bundled}
    if stale:
        return Check(name="shim", verdict="warn",
                     detail=f"{', '.join(stale)} is {'/'.join(str(v) for v in stale.values())}, this O-Switcher ships"
                            f" {bundled}: run `o-switcher install` again")
    return Check(name="shim", verdict="ok", detail=f"{bundled} at {', '.join(shims)}")


def _opencode_version_from_path(env: Mapping[str, str]) -> str | None:
    binary = shutil.which("opencode", path=env.get("PATH"))
    if binary is None:
        return None
    try:
        done = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10, env=dict(env))
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def _config_check(directory: Path, env: Mapping[str, str]) -> Check:
    from bridge.config_files import load_config
    from oswitcher.config_check import ConfigError

    try:
        snapshot = load_config(directory, env)
    except ConfigError as error:
        return Check(name="config", verdict="fail", detail=f"invalid: {error.where() or '-'}: {error.path}: {error.message}")
    sources = ", ".join(snapshot.sources) or "no config file (defaults)"
    return Check(name="config", verdict="ok", detail=f"valid: {sources}; {len(snapshot.discovery.targets)} target(s)")


def _auth_check(env: Mapping[str, str]) -> Check:
    from bridge.config_files import read_auth

    auth = read_auth(env)
    if auth.problem:
        return Check(name="auth.json", verdict="fail", detail=f"{auth.source}: {auth.problem}; its keys cannot be used")
    if auth.data is None:
        return Check(name="auth.json", verdict="warn", detail=f"{auth.source}: absent (no provider logged in)")
    return Check(name="auth.json", verdict="ok", detail=f"{auth.source}: readable, {len(auth.data)} provider(s)")


def _store_check(path: Path, runtime: BridgeRuntime | None) -> Check:
    from bridge.store import _MIGRATIONS

    if runtime is None and not path.exists():
        base = next((p for p in path.parents if p.exists()), None)
        if base is None or not base.is_dir() or not os.access(base, os.W_OK):
            return Check(name="state store", verdict="fail", detail=f"{path}: cannot be created ({base} is not writable)")
        return Check(name="state store", verdict="warn",
                     detail=f"{path}: not created yet (OpenCode's first start with O-Switcher creates it)")
    try:
        if runtime is not None:
            verdict, version = runtime.store.quick_check(), runtime.store.schema_version()
        else:
            # Read-only: opening a StateStore would create, migrate and chmod.
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
                version = conn.execute("PRAGMA user_version").fetchone()[0]
            finally:
                conn.close()
    except sqlite3.Error as exc:
        return Check(name="state store", verdict="fail", detail=f"{path}: unreadable ({exc})")
    if verdict != "ok":
        return Check(name="state store", verdict="fail", detail=f"{path}: damaged ({verdict})")
    if version > len(_MIGRATIONS):
        return Check(name="state store", verdict="fail",
                     detail=f"{path}: schema {version} is newer than this O-Switcher knows ({len(_MIGRATIONS)})")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return Check(name="state store", verdict="warn", detail=f"{path}: readable by others (mode {mode:o}); chmod 600 it")
    return Check(name="state store", verdict="ok", detail=f"{path}: healthy, schema {version}")


def _log_check(path: Path, runtime: BridgeRuntime | None) -> Check:
    if runtime is not None:
        return Check(name="log", verdict="ok", detail=f"{path}")
    if path.exists():
        ok = os.access(path, os.W_OK)
    else:
        base = next((p for p in path.parents if p.exists()), None)
        ok = base is not None and os.access(base, os.W_OK)
    return Check(name="log", verdict="ok" if ok else "fail", detail=f"{path}" + ("" if ok else ": not writable"))


def _watch_check(runtime: BridgeRuntime) -> Check:
    watcher = runtime.watcher
    if watcher is None:
        return Check(name="watchers", verdict="fail", detail="the config watcher has not started")
    dirs, _ = watcher.watched()
    detail = f"config and auth.json watched in {len(dirs)} folder(s); operator requests polled every 0.5 s"
    if runtime.config is None:
        return Check(name="watchers", verdict="fail", detail="running, but no valid config was ever read")
    return Check(name="watchers", verdict="ok", detail=detail)


def doctor_checks(
    *,
    env: Mapping[str, str],
    directory: Path,
    status: StatusView,
    runtime: BridgeRuntime | None = None,
    opencode_version: str | None = None,
) -> list[Check]:
    """Every check, in the order they are shown."""
    from bridge.logs import default_log_path
    from bridge.store import default_db_path

    python = sys.version.split()[0]
    checks = [Check(name="bridge", verdict="ok", detail=f"o-switcher {__version__} on Python {python}")]
    checks.append(_shim_check(runtime, directory, env))
    if runtime is None:
        opencode_version = _opencode_version_from_path(env)
    checks.append(version_check("opencode", opencode_version, expected=VERIFIED_OPENCODE,
                                unknown="unknown (not on PATH, or not told by the shim)"))
    checks.append(_config_check(directory, env))
    checks.append(_auth_check(env))
    checks.append(_store_check(runtime.store.path if runtime is not None else default_db_path(env), runtime))
    checks.append(_log_check(default_log_path(dict(env)), runtime))
    if runtime is not None:
        checks.append(_watch_check(runtime))
    checks += pool_checks(status.pools)
    return checks
