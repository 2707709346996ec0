"""Health and latency of one target: a bounded score, a failure rate and a latency EWMA.

The score starts at 1.0, rises on success (``score += gain·(1 − score)``) and falls on failure
(``score −= loss·score``), so it stays in [0, 1] without clamping. Both the damage and the
failure rate fade with time (half-life :data:`RECOVERY_HALF_LIFE_MS`): a target that was bad a
while ago but has been resting regains traffic instead of starving forever behind a healthy one
(users want to go back to their primary once it recovers).
"""

from __future__ import annotations

import msgspec

__all__ = ["Health", "RECOVERY_HALF_LIFE_MS", "SUCCESS_GAIN", "FAILURE_LOSS", "LATENCY_ALPHA"]

RECOVERY_HALF_LIFE_MS = 60_000
SUCCESS_GAIN = 0.2
FAILURE_LOSS = 0.3
LATENCY_ALPHA = 0.3
_RATE_ALPHA = 0.2


class Health(msgspec.Struct, frozen=True, kw_only=True):
    """A target's health at ``updated_ms``; read it through :meth:`score_at` / :meth:`failure_rate_at`."""

    score: float = 1.0
    failure_rate: float = 0.0
    latency_ms: float | None = None
    updated_ms: int = 0

    def score_at(self, now_ms: int) -> float:
        """The score with the damage partly healed by the time passed since the last update."""
        return 1.0 - (1.0 - self.score) * _fade(now_ms - self.updated_ms)

    def failure_rate_at(self, now_ms: int) -> float:
        """The failure rate, fading toward 0 with time."""
        return self.failure_rate * _fade(now_ms - self.updated_ms)

    def on_success(self, now_ms: int, *, latency_ms: float | None = None) -> Health:
        """After a success (optionally with its latency)."""
        score = self.score_at(now_ms)
        return Health(
            score=score + SUCCESS_GAIN * (1.0 - score),
            failure_rate=(1 - _RATE_ALPHA) * self.failure_rate_at(now_ms),
            latency_ms=_ewma(self.latency_ms, latency_ms),
            updated_ms=now_ms,
        )

    def on_failure(self, now_ms: int, *, latency_ms: float | None = None) -> Health:
        """After a failure that counts against the target."""
        score = self.score_at(now_ms)
        return Health(
            score=score - FAILURE_LOSS * score,
            failure_rate=(1 - _RATE_ALPHA) * self.failure_rate_at(now_ms) + _RATE_ALPHA,
            latency_ms=_ewma(self.latency_ms, latency_ms),
            updated_ms=now_ms,
        )


def _fade(elapsed_ms: int) -> float:
    if elapsed_ms <= 0:
        return 1.0
    return 0.5 ** (elapsed_ms / RECOVERY_HALF_LIFE_MS)


def _ewma(current: float | None, sample: float | None) -> float | None:
    if sample is None:
        return current
    if current is None:
        return float(sample)
    return (1 - LATENCY_ALPHA) * current + LATENCY_ALPHA * float(sample)
