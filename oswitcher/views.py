"""How one target looks to the policy at a given moment, and until when that picture holds.

The engine caches these views and rebuilds one only when its target's state changed or the time
passed :func:`observe`'s ``valid_until``: the end of a cooldown or of an open circuit, or a health
refresh (damage heals gradually, so a damaged target's view is refreshed every
:data:`HEALTH_REFRESH_MS`). At a thousand targets, building every view on every selection would
cost milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence

from oswitcher.breaker import CircuitBreaker
from oswitcher.cooldown import CooldownBook, Scope
from oswitcher.health import Health
from oswitcher.policy import TargetView
from oswitcher.targets import Target

__all__ = ["observe", "ViewCache", "HEALTH_REFRESH_MS", "FOREVER"]

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


class ViewCache:
    """The current view of every target, rebuilt piecemeal.

    ``build(target, now_ms)`` makes one view and says until when it holds. A view is rebuilt when
    its target was :meth:`touch`-ed (its state changed) or its validity ran out; nothing else is
    recomputed, so a selection costs a pass over ready-made views. Mutable; owned by one engine.
    """

    __slots__ = ("_build", "_order", "_views", "_valid_until", "_position", "_key_targets", "_dirty", "_next_refresh")

    def __init__(self, *, build: Callable[[Target, int], tuple[TargetView, int]]) -> None:
        self._build = build
        self.reset(())

    def reset(self, order: Sequence[Target]) -> None:
        """Forget every view; ``order`` is the target list, in the order views are returned."""
        self._order = list(order)
        self._views: list[TargetView] = []
        self._valid_until: list[int] = []
        self._position = {target.target_id: i for i, target in enumerate(self._order)}
        self._key_targets: dict[str, list[str]] = {}
        for target in self._order:
            for key in target.keys:
                self._key_targets.setdefault(key, []).append(target.target_id)
        self._dirty: set[str] = set()
        self._next_refresh = 0

    def touch(self, target_id: str) -> None:
        """The target's state changed: rebuild its view before the next use."""
        self._dirty.add(target_id)

    def touch_key(self, key_id: str) -> None:
        """A key's state changed: rebuild the views of every target that uses it."""
        self._dirty.update(self._key_targets.get(key_id, ()))

    def current(self, now_ms: int) -> list[TargetView]:
        """Every target's view as of ``now_ms`` (the list is the cache's own: do not modify it)."""
        views, valid_until = self._views, self._valid_until
        if len(views) != len(self._order):
            views.clear()
            valid_until.clear()
            for target in self._order:
                view, until = self._build(target, now_ms)
                views.append(view)
                valid_until.append(until)
            self._next_refresh = min(valid_until, default=FOREVER)
        elif now_ms >= self._next_refresh:
            for i, target in enumerate(self._order):
                if now_ms >= valid_until[i] or target.target_id in self._dirty:
                    views[i], valid_until[i] = self._build(target, now_ms)
            self._next_refresh = min(valid_until, default=FOREVER)
        else:
            for target_id in self._dirty:
                i = self._position.get(target_id)
                if i is not None:
                    views[i], valid_until[i] = self._build(self._order[i], now_ms)
                    self._next_refresh = min(self._next_refresh, valid_until[i])
        self._dirty.clear()
        return views
