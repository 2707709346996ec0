"""Hot reload: watch OpenCode's config files and ``auth.json``, re-validate, report.

watchfiles loses a file watched directly after the first atomic save (rename-over), and a vim
save arrives as ``{added, deleted}``: so the *parent directories* are watched, non-recursively,
filtered to the file names in use, and the change kind is ignored — every batch means "re-read
everything, re-validate". A candidate file whose directory does not exist yet (a project's
``.opencode/``) is covered by watching the nearest existing ancestor for that directory's
name; when a watched set changes, the watch is restarted on the new set.

On an invalid edit the last good config stays in force: the callback gets ``ConfigRejected``
and the bridge keeps routing with what it had. A deleted file is simply a layer gone.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import msgspec
import structlog
from watchfiles import awatch

from bridge.config_files import AuthFile, auth_path, candidate_files, find_worktree, load_config, read_auth
from oswitcher.config_check import ConfigError, ConfigSnapshot
from oswitcher.discovery import TargetDiff, diff

__all__ = ["ConfigApplied", "ConfigRejected", "ConfigWatcher", "ReloadResult"]


class ConfigApplied(msgspec.Struct, frozen=True, kw_only=True):
    """A new valid config is in force; ``diff`` says which targets changed since the last one."""

    snapshot: ConfigSnapshot
    diff: TargetDiff


class ConfigRejected(msgspec.Struct, frozen=True, kw_only=True):
    """An edit made the config invalid; the previous snapshot (if any) stays in force."""

    error: ConfigError
    kept: ConfigSnapshot | None


ReloadResult = ConfigApplied | ConfigRejected
Callback = Callable[[Any], Awaitable[None] | None]


async def _call(callback: Callback | None, value: Any) -> None:
    if callback is None:
        return
    result = callback(value)
    if inspect.isawaitable(result):
        await result


def _nearest_existing(path: Path) -> Path | None:
    for candidate in (path, *path.parents):
        if candidate.is_dir():
            return candidate
    return None


class ConfigWatcher:
    """Watches the config of one project directory; the bridge runs ``run`` in its TaskGroup.

    ``on_config(ConfigApplied | ConfigRejected)`` is called after the initial load and after
    every change to a config file or ``auth.json``; ``on_auth(AuthFile)`` after the initial
    load and whenever ``auth.json`` changes (the bridge feeds profile accumulation with it).
    Callbacks may be plain functions or coroutine functions.
    """

    def __init__(
        self,
        *,
        directory: Path,
        env: Mapping[str, str],
        on_config: Callback,
        on_auth: Callback | None = None,
        worktree: Path | None = None,
        step_ms: int = 20,
    ) -> None:
        self._directory = Path(directory).resolve()
        self._env = dict(env)
        self._worktree = (worktree or find_worktree(self._directory)).resolve()
        self._on_config = on_config
        self._on_auth = on_auth
        self._step_ms = step_ms
        self._log = structlog.get_logger()
        self.current: ConfigSnapshot | None = None
        self.auth: AuthFile | None = None
        self._last_good_auth: AuthFile | None = None

    def watched(self) -> tuple[set[Path], set[Path]]:
        """(directories to watch, paths of interest inside them)."""
        interesting = set(candidate_files(self._directory, self._env, self._worktree))
        if not self._env.get("OPENCODE_AUTH_CONTENT"):
            interesting.add(auth_path(self._env))
        dirs: set[Path] = set()
        for path in list(interesting):
            parent = path.parent
            if parent.is_dir():
                dirs.add(parent)
                continue
            base = _nearest_existing(parent)
            if base is not None:
                dirs.add(base)
                # The first missing directory below ``base``: its creation must be seen.
                interesting.add(base / parent.relative_to(base).parts[0])
        return dirs, interesting

    def _load(self) -> ReloadResult:
        try:
            # A half-written auth.json must not make auth-only providers look unknown.
            snapshot = load_config(self._directory, self._env, self._worktree, auth=self._last_good_auth)
        except ConfigError as error:
            self._log.warning(
                "config_rejected", error=str(error), path=error.path, file=error.file, line=error.line
            )
            return ConfigRejected(error=error, kept=self.current)
        changes = diff(self.current.discovery if self.current else None, snapshot.discovery)
        self.current = snapshot
        self._log.info(
            "config_applied",
            added=list(changes.added),
            removed=list(changes.removed),
            changed=list(changes.changed),
            targets=len(snapshot.discovery.targets),
            sources=list(snapshot.sources),
        )
        return ConfigApplied(snapshot=snapshot, diff=changes)

    async def reload(self, *, auth_changed: bool = True) -> ReloadResult:
        """Re-read (``auth.json`` too when ``auth_changed``), re-validate, call back; returns the result."""
        if auth_changed or self.auth is None:
            auth = read_auth(self._env)
            if auth.problem:
                self._log.warning("auth_unreadable", path=auth.source, reason=auth.problem)
            if auth.data is not None or auth.problem is None or self._last_good_auth is None:
                self._last_good_auth = auth
            self.auth = auth
            await _call(self._on_auth, auth)
        result = self._load()
        await _call(self._on_config, result)
        return result

    async def run(self, stop_event: asyncio.Event) -> None:
        """Load once, then reload on every relevant change until ``stop_event`` is set.

        Exceptions raised by the callbacks propagate (they are the bridge's own bugs); a watched
        directory vanishing is not an error: the watch is rebuilt on what exists.
        """
        await self.reload()
        auth_file = None if self._env.get("OPENCODE_AUTH_CONTENT") else str(auth_path(self._env))
        while not stop_event.is_set():
            dirs, interesting = self.watched()
            try:
                await self._watch(dirs, {str(p) for p in interesting}, auth_file, stop_event)
            except FileNotFoundError:
                # A directory went away between listing and watching it: rebuild the watch set,
                # and re-read, since that directory's files are gone too.
                self._log.info("config_watch_rebuilt", reason="directory removed")
                await self.reload()
                await asyncio.sleep(self._step_ms / 1000)

    async def _watch(self, dirs: set[Path], names: set[str], auth_file: str | None, stop_event: asyncio.Event) -> None:
        """Watch ``dirs`` until stopped or until the set of directories to watch changes."""
        watch = awatch(
            *dirs,
            watch_filter=lambda _change, path: path in names,
            recursive=False,
            step=self._step_ms,
            stop_event=stop_event,
            # Wake up every second even when nothing happens, to notice new directories.
            rust_timeout=1000,
            yield_on_timeout=True,
        )
        async for changes in watch:
            if changes:
                paths = {path for _change, path in changes}
                await self.reload(auth_changed=auth_file in paths)
            if self.watched()[0] != dirs:
                return
