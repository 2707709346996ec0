"""Trip strategies: when a closed circuit should open. Kept apart from the state machine.

A strategy looks at the closed state's counters and answers one question. The original's
dual trigger is :class:`DualTrip`: ``failure_threshold`` consecutive failures, or a failure rate
of at least ``failure_rate_threshold`` over the last ``sliding_window_size`` calls (judged only
once the window is full, so two failures out of three calls do not open a circuit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["TripStrategy", "ConsecutiveTrip", "RateTrip", "DualTrip"]


class TripStrategy(Protocol):
    """Decides from ``consecutive`` failures and the recent ``window`` (True = failure)."""

    def tripped(self, *, consecutive: int, window: tuple[bool, ...]) -> bool: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsecutiveTrip:
    """Opens after ``threshold`` failures in a row."""

    threshold: int

    def tripped(self, *, consecutive: int, window: tuple[bool, ...]) -> bool:
        return consecutive >= self.threshold


@dataclass(frozen=True, slots=True, kw_only=True)
class RateTrip:
    """Opens when the failure share of a full window of ``size`` calls reaches ``rate``."""

    rate: float
    size: int

    def tripped(self, *, consecutive: int, window: tuple[bool, ...]) -> bool:
        return len(window) >= self.size and sum(window[-self.size :]) >= self.rate * self.size


@dataclass(frozen=True, slots=True, kw_only=True)
class DualTrip:
    """Either trigger opens the circuit."""

    consecutive: ConsecutiveTrip
    rate: RateTrip

    def tripped(self, *, consecutive: int, window: tuple[bool, ...]) -> bool:
        return self.consecutive.tripped(consecutive=consecutive, window=window) or self.rate.tripped(
            consecutive=consecutive, window=window
        )
