"""Sharing what one bridge learned with the others on the machine, through the state store.

Every OpenCode window runs its own bridge. When one sees a key rate-limited, the others must not
send that key either: cooldowns and dead keys are written to the store, and each bridge merges
what the others wrote into its engine before selecting. Merging keeps the later deadline of two
cooldowns for one scope and the union of dead keys, so it commutes: no bridge undoes another's.

The store knows two scopes, ``target`` and ``profile``; the engine's third (a key on one target,
for limits that are per model) is stored as the profile scope ``KEY@TARGET``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec

from oswitcher.snapshot import CooldownRow, DeadKey, EngineSnapshot
from oswitcher.taxonomy import ErrorClass

__all__ = ["StoredCooldown", "from_store", "merge", "to_store"]


class StoredCooldown(msgspec.Struct, frozen=True, kw_only=True):
    """A cooldown as the store holds it."""

    scope: str  # "target" | "profile"
    scope_id: str
    until_ms: int
    error_class: str
    reason: str | None = None


def to_store(row: CooldownRow) -> StoredCooldown:
    """The store form of an engine cooldown (``reason`` keeps its source: hint or class)."""
    if row.key_id is None:
        scope, scope_id = "target", row.target_id or ""
    elif row.target_id is None:
        scope, scope_id = "profile", row.key_id
    else:
        scope, scope_id = "profile", f"{row.key_id}@{row.target_id}"
    return StoredCooldown(
        scope=scope, scope_id=scope_id, until_ms=row.until_ms, error_class=str(row.error_class), reason=row.source
    )


def from_store(stored: StoredCooldown) -> CooldownRow | None:
    """The engine form of a stored cooldown; None for one this version cannot read."""
    try:
        error_class = ErrorClass(stored.error_class)
    except ValueError:
        return None
    if stored.scope == "target":
        target_id, key_id = stored.scope_id, None
    else:
        key_id, _, target = stored.scope_id.partition("@")
        target_id = target or None
    return CooldownRow(
        target_id=target_id, key_id=key_id, until_ms=stored.until_ms, error_class=error_class,
        source=stored.reason or "class",
    )


def merge(
    local: EngineSnapshot,
    *,
    cooldowns: Iterable[CooldownRow],
    dead_keys: Mapping[str, DeadKey],
    now_ms: int,
) -> EngineSnapshot:
    """``local`` with the other bridges' cooldowns (later deadline wins) and dead keys added."""
    by_scope: dict[tuple[str | None, str | None], CooldownRow] = {}
    for row in (*local.cooldowns, *cooldowns):
        if row.until_ms <= now_ms:
            continue
        scope = (row.target_id, row.key_id)
        kept = by_scope.get(scope)
        if kept is None or row.until_ms > kept.until_ms:
            by_scope[scope] = row
    return msgspec.structs.replace(
        local,
        cooldowns=tuple(by_scope.values()),
        dead_keys={**dead_keys, **local.dead_keys},
    )
