"""Values the engine takes in and hands out: attempt outcomes, and its state as plain data.

:class:`EngineSnapshot` is what the bridge persists in SQLite and shares between OpenCode windows:
cooldowns, dead keys, quota streaks, circuits, health and operator flags.
``msgspec.to_builtins(snapshot)`` gives JSON-ready data; ``msgspec.convert(data, EngineSnapshot)``
reads it back (circuit states are tagged by ``type``).
"""

from __future__ import annotations

import msgspec

from oswitcher.breaker import CircuitState
from oswitcher.classifier import Classification
from oswitcher.cooldown import CooldownBook, Scope
from oswitcher.health import Health
from oswitcher.taxonomy import ErrorClass

__all__ = ["Outcome", "DeadKey", "CooldownRow", "EngineSnapshot", "cooldown_rows", "book_from_rows"]


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    """How an attempt ended: ``classification`` None means success."""

    target_id: str
    key_id: str = ""
    classification: Classification | None = None
    latency_ms: float | None = None


class DeadKey(msgspec.Struct, frozen=True, kw_only=True):
    """A key rejected for good, and why."""

    since_ms: int
    reason: str


class CooldownRow(msgspec.Struct, frozen=True, kw_only=True):
    """One cooldown as plain data."""

    target_id: str | None
    key_id: str | None
    until_ms: int
    error_class: ErrorClass
    source: str


class EngineSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """Everything worth persisting or sharing between processes; ``msgspec.to_builtins`` makes it plain data."""

    taken_at_ms: int
    cooldowns: tuple[CooldownRow, ...] = ()
    dead_keys: dict[str, DeadKey] = {}
    quota_streaks: dict[str, int] = {}
    circuits: dict[str, CircuitState] = {}
    health: dict[str, Health] = {}
    paused: frozenset[str] = frozenset()
    draining: frozenset[str] = frozenset()


class _StoredPlan(msgspec.Struct, frozen=True):
    """A stored cooldown replayed into a :class:`~oswitcher.cooldown.CooldownBook` with ``now_ms=0``."""

    duration_ms: int
    source: str


def cooldown_rows(book: CooldownBook) -> tuple[CooldownRow, ...]:
    """Every cooldown of ``book`` as plain rows."""
    return tuple(
        CooldownRow(
            target_id=scope.target_id,
            key_id=scope.key_id,
            until_ms=entry.until_ms,
            error_class=entry.error_class,
            source=entry.source,
        )
        for scope, entry in book.items()
    )


def book_from_rows(rows: tuple[CooldownRow, ...]) -> CooldownBook:
    """A :class:`CooldownBook` holding ``rows`` (their absolute end times kept as they are)."""
    book = CooldownBook()
    for row in rows:
        book.set(
            Scope(row.target_id, row.key_id),
            now_ms=0,
            plan=_StoredPlan(row.until_ms, row.source),  # type: ignore[arg-type]
            error_class=row.error_class,
        )
    return book
