"""Admission control, the original's three layers, as pure decisions; and per-target in-flight counts.

1. Hard rejects: no eligible target, every target paused, budgets exhausted.
2. Backpressure: more than ``backpressure_threshold`` requests waiting → ``degraded`` (the
   request still runs; the state is reported).
3. Concurrency gating: ``pending`` (waiting + running) ≥ ``queue_limit + concurrency_limit`` →
   rejected ("queue full").
"""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = ["Load", "Admission", "admit", "InFlight"]


class Load(msgspec.Struct, frozen=True, kw_only=True):
    """What admission looks at."""

    eligible_targets: int
    all_paused: bool = False
    budgets_exhausted: bool = False
    waiting: int = 0
    running: int = 0


class Admission(msgspec.Struct, frozen=True, kw_only=True):
    """``admitted``, ``degraded`` (admitted under pressure) or ``rejected``, with a reason."""

    verdict: Literal["admitted", "degraded", "rejected"]
    reason: str = ""


def admit(load: Load, *, queue_limit: int, concurrency_limit: int, backpressure_threshold: int) -> Admission:
    """The admission decision for one new request."""
    if load.all_paused:
        return Admission(verdict="rejected", reason="operator pause active")
    if load.eligible_targets <= 0:
        return Admission(verdict="rejected", reason="no eligible targets")
    if load.budgets_exhausted:
        return Admission(verdict="rejected", reason="retry/failover budget exhausted")
    if load.waiting + load.running >= queue_limit + concurrency_limit:
        return Admission(verdict="rejected", reason="queue full")
    if load.waiting > backpressure_threshold:
        return Admission(verdict="degraded", reason=f"backpressure: {load.waiting} pending > {backpressure_threshold}")
    return Admission(verdict="admitted")


class InFlight:
    """Requests in flight per target. Mutable; owned by one engine."""

    __slots__ = ("_counts",)

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}

    def acquire(self, target_id: str, *, limit: int) -> bool:
        """Take a slot on ``target_id`` if fewer than ``limit`` are in use."""
        count = self._counts.get(target_id, 0)
        if count >= limit:
            return False
        self._counts[target_id] = count + 1
        return True

    def release(self, target_id: str) -> None:
        """Give a slot back; releasing more than acquired is ignored rather than going negative."""
        count = self._counts.get(target_id, 0)
        if count <= 1:
            self._counts.pop(target_id, None)
        else:
            self._counts[target_id] = count - 1

    def count(self, target_id: str) -> int:
        """Slots in use on ``target_id``."""
        return self._counts.get(target_id, 0)

    def total(self) -> int:
        """Slots in use on all targets."""
        return sum(self._counts.values())

    def headroom(self, target_id: str, *, limit: int) -> int:
        """How many more requests ``target_id`` may take."""
        return max(0, limit - self.count(target_id))
