"""What the bridge owns besides the wire: the watched config, the state store, the profiles.

Created when the process starts, started at ``initialize`` (that is when OpenCode says which
project directory it runs in). Heavy imports (watchfiles, sqlite) happen after the
``initialize`` answer has gone out, so that OpenCode's first hook is not kept waiting.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from bridge.protocol import Toast

if TYPE_CHECKING:
    from bridge.failover import FailoverService
    from bridge.protocol import InitializeParams
    from bridge.store import StateStore
    from bridge.watcher import ConfigWatcher
    from oswitcher.config_check import ConfigSnapshot

__all__ = ["BridgeRuntime", "wall_clock_ms"]

_log = structlog.get_logger("bridge.runtime")


def wall_clock_ms() -> int:
    """The real clock, in the unit every ``oswitcher`` decision takes."""
    return time.time_ns() // 1_000_000


class BridgeRuntime:
    """The bridge's long-lived state, and the tasks that keep it current."""

    def __init__(
        self,
        *,
        env: Mapping[str, str],
        spawn: Callable[[Awaitable[Any]], asyncio.Task[Any]],
        notify: Callable[[str, Any], None],
        stop: asyncio.Event,
        clock: Callable[[], int] = wall_clock_ms,
    ) -> None:
        self._env = dict(env)
        self._spawn = spawn
        self._notify = notify
        self._stop = stop
        self.clock = clock
        self._store: StateStore | None = None
        self.watcher: ConfigWatcher | None = None
        #: Created at ``initialize``; until then (and without a config) requests pass unchanged.
        self.failover: FailoverService | None = None
        #: What the shim said at ``initialize`` (its version, the project directory), for doctor.
        self.client_info: InitializeParams | None = None

    @property
    def store(self) -> StateStore:
        """The state store, opened on first use."""
        if self._store is None:
            from bridge.store import StateStore, default_db_path

            self._store = StateStore(default_db_path(self._env))
        return self._store

    @property
    def env(self) -> dict[str, str]:
        """The environment the bridge was started with (OpenCode's)."""
        return self._env

    @property
    def config(self) -> ConfigSnapshot | None:
        """The config in force: the last valid one read."""
        return self.watcher.current if self.watcher else None

    def start(self, directory: str | None, worktree: str | None) -> None:
        """Begin watching the project's config (once; later calls are ignored)."""
        if self.watcher is not None:
            return
        # A timer, not call_soon: the initialize answer (flushed by a call_soon already queued)
        # goes out before the imports of the watcher, the store and the engine.
        asyncio.get_running_loop().call_later(0, self._start_watching, directory, worktree)

    def _start_watching(self, directory: str | None, worktree: str | None) -> None:
        import random

        from bridge.failover import FailoverService
        from bridge.profile_sync import ProfileAccumulator
        from bridge.watcher import ConfigWatcher
        from oswitcher.config import SwitcherConfig

        profiles = ProfileAccumulator(store=self.store, clock=self.clock)
        self.failover = FailoverService(
            config=SwitcherConfig(), store=lambda: self.store, clock=self.clock, random=random.random, toast=self.toast
        )

        def on_config(result: Any) -> None:
            profiles.on_config(result)
            error = getattr(result, "error", None)
            if error is not None:
                self.toast(f"O-Switcher kept its last good config: {error}", variant="error")
            self.refresh_routing()

        self.watcher = ConfigWatcher(
            directory=Path(directory or os.getcwd()),
            worktree=Path(worktree) if worktree else None,
            env=self._env,
            on_config=on_config,
            on_auth=profiles.on_auth,
        )
        self._spawn(self._keep_going("config_watch", self.watcher.run(self._stop)))
        from bridge.operator import attach

        self._spawn(self._keep_going("operator_sync", attach(self).run(self._stop)))

    async def _keep_going(self, name: str, work: Awaitable[None]) -> None:
        # A bug in a background task is logged, never allowed to take the bridge (and with it
        # every hook of the user's session) down.
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception:
            _log.exception("background_task_failed", task=name)

    def refresh_routing(self) -> None:
        """Rebuild what the engine routes over from the config in force and the stored profiles."""
        from oswitcher.routing import build_routing, with_login_only_providers

        snapshot = self.config
        if snapshot is None or self.failover is None:
            return
        profiles = self.store.list_profiles()
        discovery = with_login_only_providers(snapshot.discovery, snapshot.providers, profiles)
        routing = build_routing(discovery, snapshot.providers, profiles, rotate_oauth=snapshot.switcher.rotate_oauth)
        self.failover.apply(snapshot.switcher, routing)

    def toast(self, message: str, *, variant: str = "info") -> None:
        """Ask the shim to show the user a toast in OpenCode."""
        _log.info("toast", message=message, variant=variant)
        self._notify("ui/toast", Toast(message=message, variant=variant))  # type: ignore[arg-type]

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
