"""Retry and failover budgets: what to do after a failed attempt, as a value.

:func:`decide` looks at a request's attempt history and returns :class:`Retry` (same target and
key, after ``delay_ms``), :class:`Failover` (another key or target; the caller selects it, with
the tried pairs excluded) or :class:`GiveUp`. The class of the last failure drives the action:

=========================================  ==============================================
ContextOverflow, InvalidRequest            give up at once (no key or target can help)
AuthFailure, PermissionFailure,            never the same key again: fail over (another key
RateLimited, QuotaExhausted                of the same target is fine)
TransientServerFailure                     retry with backoff (server hint first) up to
                                           ``retry_budget`` per target, then fail over
Overloaded, ModelUnavailable,              fail over to another target
InterruptedExecution
=========================================  ==============================================

Budgets: at most ``retry_budget`` retries per target and ``failover_budget`` switches of target
per request (the original's 3 and 2). Rotating keys within one target is bounded by the keys
themselves (a tried pair is never reused), so it does not spend the failover budget. No wait is
ever scheduled that would take the request's total waiting past ``max_wait_ms``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import msgspec

from oswitcher.config import Backoff, SwitcherConfig
from oswitcher.taxonomy import CALLER_FAULT, ErrorClass

__all__ = ["Attempt", "Budgets", "Retry", "Failover", "GiveUp", "Decision", "decide", "backoff_ms"]


class Attempt(msgspec.Struct, frozen=True, kw_only=True):
    """One finished attempt: where it went, how it failed (None: success), what it waited before."""

    target_id: str
    key_id: str = ""
    error_class: ErrorClass | None = None
    retry_after_ms: int | None = None
    waited_ms: int = 0


class Budgets(msgspec.Struct, frozen=True, kw_only=True):
    """The settings :func:`decide` needs."""

    retry_budget: int = 3
    failover_budget: int = 2
    backoff: Backoff = Backoff()
    max_wait_ms: int = 30_000

    @classmethod
    def from_config(cls, config: SwitcherConfig) -> Budgets:
        """Budgets taken from the ``switcher`` config section."""
        return cls(
            retry_budget=config.retry_budget,
            failover_budget=config.failover_budget,
            backoff=config.backoff,
            max_wait_ms=config.max_wait_ms,
        )


class Retry(msgspec.Struct, frozen=True, tag="retry"):
    """Send again to the same target and key after ``delay_ms``."""

    delay_ms: int


class Failover(msgspec.Struct, frozen=True, tag="failover", kw_only=True):
    """Select again without the failed key (``scope="key"``) or target (``scope="target"``).

    ``same_target_only``: the target budget is spent, so only another key of the same target may
    be used.
    """

    scope: Literal["key", "target"]
    same_target_only: bool = False


class GiveUp(msgspec.Struct, frozen=True, tag="give_up"):
    """Stop; ``reason`` says why (``caller_fault``, ``failover_budget_exhausted``, ...)."""

    reason: str


Decision = Retry | Failover | GiveUp

_KEY_SCOPED = frozenset(
    {ErrorClass.AuthFailure, ErrorClass.PermissionFailure, ErrorClass.RateLimited, ErrorClass.QuotaExhausted}
)
_TARGET_SCOPED = frozenset({ErrorClass.Overloaded, ErrorClass.ModelUnavailable, ErrorClass.InterruptedExecution})


def backoff_ms(retry_number: int, *, backoff: Backoff, draw: float) -> int:
    """The wait before retry number ``retry_number`` (1-based): exponential, capped, jittered."""
    ceiling = min(float(backoff.max_ms), backoff.base_ms * backoff.multiplier ** max(0, retry_number - 1))
    draw = min(max(draw, 0.0), 1.0)
    if backoff.jitter == "full":
        return round(draw * ceiling)
    if backoff.jitter == "equal":
        return round(ceiling / 2 + draw * ceiling / 2)
    return round(ceiling)


def decide(history: Sequence[Attempt], *, budgets: Budgets, draw: float) -> Decision:
    """The next step after ``history[-1]`` failed. ``draw`` in [0, 1) picks the backoff jitter."""
    if not history or history[-1].error_class is None:
        raise ValueError("decide() needs a history ending in a failed attempt")
    last = history[-1]
    error_class = last.error_class
    if error_class in CALLER_FAULT:
        return GiveUp("caller_fault")
    target_switches = sum(
        1 for before, after in zip(history, history[1:], strict=False) if before.target_id != after.target_id
    )
    can_switch_target = target_switches < budgets.failover_budget
    if error_class in _KEY_SCOPED:
        return Failover(scope="key", same_target_only=not can_switch_target)
    if error_class in _TARGET_SCOPED:
        if can_switch_target:
            return Failover(scope="target")
        return _retry_or(history, budgets, draw, GiveUp("failover_budget_exhausted"))
    # TransientServerFailure: the same target may well answer the next time.
    fallback: Decision = Failover(scope="target") if can_switch_target else GiveUp("failover_budget_exhausted")
    return _retry_or(history, budgets, draw, fallback)


def _retry_or(history: Sequence[Attempt], budgets: Budgets, draw: float, otherwise: Decision) -> Decision:
    last = history[-1]
    on_target = 0
    for attempt in reversed(history):
        if attempt.target_id != last.target_id:
            break
        on_target += 1
    retries_used = on_target - 1
    if retries_used >= budgets.retry_budget:
        return otherwise
    delay = last.retry_after_ms
    if delay is None:
        delay = backoff_ms(retries_used + 1, backoff=budgets.backoff, draw=draw)
    waited = sum(attempt.waited_ms for attempt in history)
    if waited + delay > budgets.max_wait_ms:
        return otherwise
    return Retry(delay)
