"""How operator requests written to the store reach a running bridge.

- Pause, drain, resume: ``operator_flags``, already merged by ``bridge.shared_store.SharedStore.sync``.
- Resets and pins: :meth:`OperatorSync.before_sync`, which the failover service calls whenever the
  store changed, before it merges cooldowns: a reset clears this engine's own copy of a target's
  circuit and cooldowns (or a key's dead mark), pins are re-read.
- Reload: ``o-switcher reload`` bumps a counter; :meth:`OperatorSync.run` polls it twice a second
  (a 10 µs read) and re-reads the config, so the reload happens even when no request comes.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import structlog

from bridge.operator.status import stored_pins

if TYPE_CHECKING:
    from bridge.runtime import BridgeRuntime
    from bridge.store import StateStore
    from oswitcher.engine import Engine

__all__ = ["OperatorSync", "describe_reload"]

_log = structlog.get_logger("bridge.operator")
_POLL_S = 0.5


def describe_reload(result: object) -> str:
    """One sentence for a reload's result: what changed, or the error with its path."""
    error = getattr(result, "error", None)
    if error is not None:
        return f"config rejected, the last good one stays in force: {error}"
    diff = getattr(result, "diff", None)
    snapshot = getattr(result, "snapshot", None)
    changes = []
    for word in ("added", "removed", "changed"):
        ids = list(getattr(diff, word, ()) or ())
        if ids:
            changes.append(f"{word} {', '.join(ids)}")
    targets = len(snapshot.discovery.targets) if snapshot is not None else 0
    sources = ", ".join(snapshot.sources) if snapshot is not None and snapshot.sources else "(no file: defaults)"
    what = "; ".join(changes) if changes else "no target changed"
    return f"config reloaded from {sources}: {what}; {targets} target(s)."


class OperatorSync:
    """The bridge's side of the operator surface: resets and pins from the store, reload requests."""

    def __init__(self, *, runtime: BridgeRuntime) -> None:
        self._runtime = runtime
        self._applied: dict[tuple[str, str], int] = {}
        self._reloads_seen: int | None = None

    def before_sync(self, store: StateStore, engine: Engine) -> None:
        """Apply the resets not yet applied here, and adopt the store's pins."""
        for (scope, scope_id), requested in store.operator_resets().items():
            if self._applied.get((scope, scope_id), -1) >= requested:
                continue
            self._applied[(scope, scope_id)] = requested
            if scope == "target":
                engine.reset(scope_id)
            else:
                engine.revive_key(scope_id)
            _log.info("operator_reset_applied", scope=scope, scope_id=scope_id)
        if self._runtime.failover is not None:
            self._runtime.failover.pins = stored_pins(store)

    async def run(self, stop: asyncio.Event) -> None:
        """Reload the config whenever a shell asked for it, until ``stop``."""
        import sqlite3  # here, not at the top: the bridge answers ``initialize`` before loading it

        store = self._runtime.store
        self._reloads_seen = store.reload_requests()
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), _POLL_S)
            except TimeoutError:
                pass
            if stop.is_set():
                return
            try:
                requested = store.reload_requests()
            except sqlite3.Error as exc:  # a busy or damaged store must not end the polling
                _log.warning("operator_poll_failed", error=str(exc))
                continue
            if requested == self._reloads_seen or self._runtime.watcher is None:
                continue
            self._reloads_seen = requested
            result = await self._runtime.watcher.reload()
            message = describe_reload(result)
            _log.info("operator_reload_applied", request=requested, message=message)
            self._runtime.toast(f"O-Switcher: {message}", variant="error" if hasattr(result, "error") else "info")
