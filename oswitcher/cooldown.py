"""Cooldowns: how long a key, a target, or a key on one target rests after a failure.

Rules (``docs/resilience-core.md``), in order:

1. A server hint (``Retry-After``, ``retry-after-ms``, reset headers, Gemini ``retryDelay``,
   "try again in 9m38s") wins over any computed duration.
2. Otherwise the class decides, from :class:`~oswitcher.config.CooldownSettings`:
   RateLimited → ``rate_limited_ms``; QuotaExhausted → ``quota_exhausted_ms`` ×
   ``quota_escalation`` ^ (exhaustions in a row − 1); Overloaded → ``overloaded_ms``;
   TransientServerFailure → ``transient_ms``; PermissionFailure → ``quota_exhausted_ms`` (the
   key/target pair, rarely fixed within the hour); ModelUnavailable → ``rate_limited_ms``.
   Other classes set no cooldown (caller faults; AuthFailure marks the key dead instead;
   InterruptedExecution is left to the breaker).
3. Then 10–25 % jitter (``jitter_min``..``jitter_max``, from a random draw passed in) is added
   so that several windows do not all come back at the same instant, and the result is capped
   at ``max_ms``. A hint is therefore honoured up to the cap, never shortened.

:class:`CooldownBook` holds the active cooldowns of one engine, keyed by :class:`Scope`.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from oswitcher.config import CooldownSettings
from oswitcher.taxonomy import ErrorClass

__all__ = ["Scope", "CooldownPlan", "Cooldown", "CooldownBook", "plan_cooldown"]

Source = Literal["hint", "class"]


class Scope(msgspec.Struct, frozen=True, array_like=True):
    """What rests: a key everywhere (``target_id`` None), a whole target (``key_id`` None), or both."""

    target_id: str | None = None
    key_id: str | None = None


class CooldownPlan(msgspec.Struct, frozen=True):
    """A decided duration and where it came from."""

    duration_ms: int
    source: Source


class Cooldown(msgspec.Struct, frozen=True):
    """An active cooldown."""

    until_ms: int
    error_class: ErrorClass
    source: Source


_CLASS_DURATION = {
    ErrorClass.RateLimited: "rate_limited_ms",
    ErrorClass.QuotaExhausted: "quota_exhausted_ms",
    ErrorClass.Overloaded: "overloaded_ms",
    ErrorClass.TransientServerFailure: "transient_ms",
    ErrorClass.PermissionFailure: "quota_exhausted_ms",
    ErrorClass.ModelUnavailable: "rate_limited_ms",
}


def plan_cooldown(
    error_class: ErrorClass,
    *,
    hint_ms: int | None,
    settings: CooldownSettings,
    quota_streak: int = 1,
    draw: float,
) -> CooldownPlan | None:
    """The cooldown for one failure, or ``None`` when this class sets none.

    ``quota_streak`` counts quota exhaustions of this key in a row, this one included.
    ``draw`` is a uniform random number in [0, 1) that picks the jitter.
    """
    field = _CLASS_DURATION.get(error_class)
    if field is None:
        return None
    if hint_ms is not None and hint_ms >= 0:
        base, source = float(hint_ms), "hint"
    else:
        base, source = float(getattr(settings, field)), "class"
        if error_class is ErrorClass.QuotaExhausted:
            base *= settings.quota_escalation ** max(0, quota_streak - 1)
    low, high = sorted((settings.jitter_min, settings.jitter_max))
    jitter = low + min(max(draw, 0.0), 1.0) * (high - low)
    return CooldownPlan(duration_ms=min(settings.max_ms, round(base * (1.0 + jitter))), source=source)


class CooldownBook:
    """Active cooldowns by scope. Mutable; owned by one engine."""

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: dict[Scope, Cooldown] = {}

    def set(self, scope: Scope, *, now_ms: int, plan: CooldownPlan, error_class: ErrorClass) -> Cooldown:
        """Start (or lengthen) a cooldown; a shorter new one never cuts an existing one short."""
        until = now_ms + plan.duration_ms
        current = self._entries.get(scope)
        if current is not None and current.until_ms >= until:
            return current
        entry = Cooldown(until_ms=until, error_class=error_class, source=plan.source)
        self._entries[scope] = entry
        return entry

    def active(self, scope: Scope, now_ms: int) -> Cooldown | None:
        """The cooldown of ``scope`` still running at ``now_ms``, if any (no side effect)."""
        entry = self._entries.get(scope)
        return entry if entry is not None and entry.until_ms > now_ms else None

    def expire(self, now_ms: int) -> list[tuple[Scope, Cooldown]]:
        """Remove and return every cooldown that has ended by ``now_ms``."""
        ended = [(scope, entry) for scope, entry in self._entries.items() if entry.until_ms <= now_ms]
        for scope, _ in ended:
            del self._entries[scope]
        return ended

    def clear(self, scope: Scope) -> None:
        """Forget one scope's cooldown (operator reset)."""
        self._entries.pop(scope, None)

    def items(self) -> list[tuple[Scope, Cooldown]]:
        """Every stored cooldown, ended or not (for snapshots)."""
        return list(self._entries.items())

    def __len__(self) -> int:
        return len(self._entries)
