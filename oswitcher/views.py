"""How one target looks to the policy at a given moment, and until when that picture holds.

The engine caches these views and rebuilds one only when its target's state changed or the time
passed :func:`observe`'s ``valid_until``: the end of a cooldown or of an open circuit, or a health
refresh (damage heals gradually, so a damaged target's view is refreshed every
:data:`HEALTH_REFRESH_MS`). At a thousand targets, building every view on every selection would
cost milliseconds.
"""

from __future__ import annotations

from collections.abc import Container

from oswitcher.breaker import CircuitBreaker
from oswitcher.cooldown import CooldownBook, Scope
from oswitcher.health import Health
from oswitcher.policy import TargetView
from oswitcher.targets import Target

__all__ = ["observe", "HEALTH_REFRESH_MS", "FOREVER"]

#: How stale a cached view's health may get before it is recomputed.
HEALTH_REFRESH_MS = 1_000
#: ``valid_until`` of a view that only a change of state can invalidate.
FOREVER = 1 << 62


def observe(
    target: Target,
    *,
    now_ms: int,
    breaker: CircuitBreaker,
    cooldowns: CooldownBook,
    dead_keys: Container[str],
    health: Health,
    paused: bool,
) -> tuple[TargetView, int]:
    """The view of ``target`` at ``now_ms`` (unscored), and the time until which it stays true."""
    target_id = target.target_id
    waits: list[int] = []
    usable: list[str] = []
    dead = 0
    for key in target.keys:
        if key in dead_keys:
            dead += 1
            continue
        blocked = False
        # A key rests everywhere (spent quota) or only on this target (rate limit, permission).
        for scope in (Scope(None, key), Scope(target_id, key)):
            entry = cooldowns.active(scope, now_ms)
            if entry is not None:
                blocked = True
                waits.append(entry.until_ms)
        if not blocked:
            usable.append(key)
    target_cooldown = cooldowns.active(Scope(target_id, None), now_ms)
    if target_cooldown is not None:
        waits.append(target_cooldown.until_ms)
    open_until = breaker.open_until_ms()
    if open_until is not None and open_until > now_ms:
        waits.append(open_until)
    view = TargetView(
        target=target,
        paused=paused,
        circuit_allows=breaker.allows(now_ms),
        target_cooling=target_cooldown is not None,
        usable_keys=tuple(usable),
        all_keys_dead=bool(target.keys) and dead == len(target.keys),
        health=health.score_at(now_ms),
        failure_rate=health.failure_rate_at(now_ms),
        latency_ms=health.latency_ms,
        # With no usable key, the target is back only when its last key is.
        available_at_ms=(min(waits) if usable or not target.keys else max(waits)) if waits else None,
    )
    valid_until = min((wait for wait in waits if wait > now_ms), default=FOREVER)
    if health.score < 1.0 or health.failure_rate > 0.0:
        valid_until = min(valid_until, now_ms + HEALTH_REFRESH_MS)
    return view, valid_until
