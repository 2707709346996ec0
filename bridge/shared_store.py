"""The engine's link to the state store: what this bridge learns goes in, what others learnt comes out.

Every OpenCode window runs its own bridge, and the command line acts on all of them; the store
is where they meet (:mod:`oswitcher.shared_state` says how states merge). Writes happen as the
engine's events occur; reads happen before each selection, and only when the store's data
version moved since the last read, so a quiet store costs one cheap query per request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import msgspec

from oswitcher.engine import Engine
from oswitcher.events import CircuitStateChange, CooldownSet, Event, KeyMarkedDead
from oswitcher.shared_state import StoredCooldown, from_store, merge, to_store
from oswitcher.snapshot import CooldownRow, DeadKey
from oswitcher.taxonomy import ErrorClass

if TYPE_CHECKING:
    from bridge.store import StateStore

__all__ = ["SharedStore"]


class SharedStore:
    """Persists engine events to the store and merges the store back into the engine."""

    def __init__(self, *, store: Callable[[], StateStore], clock: Callable[[], int]) -> None:
        self._store = store
        self._clock = clock
        self._seen_version: int | None = None
        #: Set by :mod:`bridge.operator`: applies operator requests found in the store (resets,
        #: pins) to the engine whenever the store changed, before the merge.
        self.before_sync: Callable[[StateStore, Engine], None] | None = None

    def persist(self, event: Event) -> None:
        """Write what ``event`` taught this bridge: a cooldown, a dead key, a circuit state."""
        store = self._store()
        if isinstance(event, CooldownSet):
            stored = to_store(CooldownRow(target_id=event.target_id, key_id=event.key_id, until_ms=event.until_ms,
                                          error_class=event.error_class, source=event.source))
            store.set_cooldown(stored.scope, stored.scope_id, until_ms=stored.until_ms,  # type: ignore[arg-type]
                               error_class=stored.error_class, reason=stored.reason, now_ms=event.at_ms)
        elif isinstance(event, KeyMarkedDead):
            self._on_profile(lambda s: s.set_profile_status(event.key_id, "dead", event.reason))
        elif isinstance(event, CircuitStateChange):
            store.save_circuit(event.target_id, {"state": event.to_state}, event.at_ms)

    def record_use(self, key_id: str, error_class: ErrorClass | None) -> None:
        """Count a use of the profile ``key_id``, and its error class if it failed."""
        if key_id:
            now = self._clock()
            self._on_profile(lambda s: s.record_usage(key_id, now, error_class=str(error_class) if error_class else None))

    def invalidate(self) -> None:
        """Read the store again at the next :meth:`sync` (new targets need their state)."""
        self._seen_version = None

    def sync(self, engine: Engine, *, known_keys: frozenset[str] | set[str] | dict[str, str]) -> None:
        """Merge what other bridges and the command line wrote since the last call into ``engine``.

        A key this engine holds dead that the store no longer marks dead (the user reset it)
        comes back to life; ``known_keys`` limits that to profiles the store knows.
        """
        store = self._store()
        version = store.data_version()
        if version == self._seen_version:
            return
        if self.before_sync is not None:
            self.before_sync(store, engine)
        now = self._clock()
        rows = [
            row
            for cd in store.active_cooldowns(now)
            if (row := from_store(StoredCooldown(scope=cd.scope, scope_id=cd.scope_id, until_ms=cd.until_ms,
                                                 error_class=cd.error_class, reason=cd.reason))) is not None
        ]
        dead = {
            p.id: DeadKey(since_ms=p.last_used_ms or p.last_seen_ms, reason=p.status_reason or "marked dead")
            for p in store.list_profiles()
            if p.status == "dead"
        }
        flags = store.operator_flags()
        snapshot = merge(engine.snapshot(), cooldowns=rows, dead_keys=dead, now_ms=now)
        revived = {k for k in snapshot.dead_keys if k not in dead and k in known_keys}
        engine.restore(
            msgspec.structs.replace(
                snapshot,
                dead_keys={k: v for k, v in snapshot.dead_keys.items() if k not in revived},
                paused=frozenset(t for t, f in flags.items() if f.paused),
                draining=frozenset(t for t, f in flags.items() if f.draining),
            )
        )
        self._seen_version = version

    def _on_profile(self, write: Callable[[StateStore], None]) -> None:
        from bridge.store import UnknownProfile

        try:
            write(self._store())
        except UnknownProfile:
            pass  # a key from the config that the store has not recorded yet: nothing to update
