"""Key state: which keys (profiles) are dead, and how many times in a row each spent its quota.

A key is marked dead only on an AuthFailure (clear evidence: 401, invalid/revoked/suspended key)
and stays dead until the user acts (:meth:`KeyBook.revive`). Whether it was the last live key of
its pool is reported, so the user can be told before everything stops.
"""

from __future__ import annotations

from collections.abc import Iterable

from oswitcher.snapshot import DeadKey
from oswitcher.targets import Target

__all__ = ["KeyBook"]


class KeyBook:
    """Dead keys and quota streaks. Mutable; owned by one engine."""

    __slots__ = ("dead", "quota_streaks")

    def __init__(self, *, dead: dict[str, DeadKey] | None = None, quota_streaks: dict[str, int] | None = None) -> None:
        self.dead: dict[str, DeadKey] = dict(dead or {})
        self.quota_streaks: dict[str, int] = dict(quota_streaks or {})

    def mark_dead(self, key_id: str, *, now_ms: int, reason: str, pool: Iterable[Target]) -> bool:
        """Mark ``key_id`` dead; returns whether no key of ``pool`` (its pool's targets) is left alive."""
        self.dead[key_id] = DeadKey(since_ms=now_ms, reason=reason)
        return all(key in self.dead for target in pool for key in target.keys)

    def quota_exhausted(self, key_id: str) -> int:
        """Count one more quota exhaustion in a row; returns the streak, this one included."""
        streak = self.quota_streaks.get(key_id, 0) + 1
        self.quota_streaks[key_id] = streak
        return streak

    def succeeded(self, key_id: str) -> None:
        """A success ends the key's quota streak."""
        self.quota_streaks.pop(key_id, None)

    def revive(self, key_id: str) -> None:
        """The user fixed the key: not dead, no streak."""
        self.dead.pop(key_id, None)
        self.quota_streaks.pop(key_id, None)
