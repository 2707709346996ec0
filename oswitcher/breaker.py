"""A per-target circuit breaker: Closed → Open → HalfOpen → Closed, driven by a clock passed in.

States are a tagged union of frozen structs, each with only its own fields; every change of state
goes through :func:`_transition`, which checks it against :data:`TRANSITIONS` and raises
:class:`IllegalTransition` otherwise. When to open is a separate :mod:`oswitcher.trip` strategy.

What counts as a failure is the caller's choice; the engine records only
:data:`oswitcher.taxonomy.BREAKER_FAILURES` (TransientServerFailure, Overloaded,
InterruptedExecution, ModelUnavailable): signs that the *target* is out. RateLimited,
QuotaExhausted, AuthFailure and PermissionFailure are problems of one key, handled by key
cooldowns and dead keys, so one bad key never opens the circuit of a service the other keys can
still use. ContextOverflow and InvalidRequest are the caller's fault and say nothing about health.

A server may impose an open duration (a 503 with ``Retry-After``): :meth:`CircuitBreaker.open_for`.
"""

from __future__ import annotations

import msgspec

from oswitcher.config import CircuitBreakerSettings
from oswitcher.trip import ConsecutiveTrip, DualTrip, RateTrip, TripStrategy

__all__ = [
    "Closed",
    "Open",
    "HalfOpen",
    "CircuitState",
    "Transition",
    "IllegalTransition",
    "TRANSITIONS",
    "CircuitBreaker",
]


class Closed(msgspec.Struct, frozen=True, tag="closed"):
    """Traffic flows; counting failures. ``window`` holds recent outcomes, True = failure."""

    consecutive_failures: int = 0
    window: tuple[bool, ...] = ()


class Open(msgspec.Struct, frozen=True, tag="open"):
    """No traffic until ``opened_at_ms + open_for_ms``."""

    opened_at_ms: int
    open_for_ms: int


class HalfOpen(msgspec.Struct, frozen=True, tag="half_open"):
    """A few probes may go through; enough successes close the circuit, one failure reopens it."""

    in_flight: int = 0
    successes: int = 0


CircuitState = Closed | Open | HalfOpen


class Transition(msgspec.Struct, frozen=True):
    """A change of state, for the ``circuit_state_change`` event."""

    from_state: str
    to_state: str


class IllegalTransition(RuntimeError):
    """A state change the table does not allow: a bug in the caller or in this module."""


#: Legal (from, to) pairs. open → open extends a server-imposed wait; → closed from open or
#: half-open is also the operator's reset.
TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        ("closed", "open"),
        ("open", "half_open"),
        ("open", "open"),
        ("open", "closed"),
        ("half_open", "closed"),
        ("half_open", "open"),
    }
)


def _tag(state: CircuitState) -> str:
    return type(state).__struct_config__.tag  # type: ignore[return-value]


class CircuitBreaker:
    """The breaker of one target. Every method takes ``now_ms``; none reads a clock.

    Methods that can change state return the transitions they made (usually none), so the owner
    can emit ``circuit_state_change`` events.
    """

    __slots__ = ("_settings", "_trip", "state")

    def __init__(
        self, *, settings: CircuitBreakerSettings, trip: TripStrategy | None = None, state: CircuitState | None = None
    ) -> None:
        self._settings = settings
        self._trip = trip or DualTrip(
            consecutive=ConsecutiveTrip(threshold=settings.failure_threshold),
            rate=RateTrip(rate=settings.failure_rate_threshold, size=settings.sliding_window_size),
        )
        self.state: CircuitState = state if state is not None else Closed()

    def poll(self, now_ms: int) -> list[Transition]:
        """Apply time: an open circuit whose time is up becomes half-open."""
        state = self.state
        if isinstance(state, Open) and now_ms >= state.opened_at_ms + state.open_for_ms:
            return [self._transition(HalfOpen())]
        return []

    def allows(self, now_ms: int) -> bool:
        """Whether a request could go now (no state change; see :meth:`acquire`)."""
        state = self.state
        if isinstance(state, Closed):
            return True
        if isinstance(state, Open):
            return now_ms >= state.opened_at_ms + state.open_for_ms
        return state.in_flight < self._settings.half_open_max_probes

    def acquire(self, now_ms: int) -> tuple[bool, list[Transition]]:
        """Take permission to send one request; in half-open this takes a probe slot."""
        transitions = self.poll(now_ms)
        state = self.state
        if isinstance(state, Closed):
            return True, transitions
        if isinstance(state, HalfOpen) and state.in_flight < self._settings.half_open_max_probes:
            self.state = HalfOpen(in_flight=state.in_flight + 1, successes=state.successes)
            return True, transitions
        return False, transitions

    def release(self) -> None:
        """Give back a probe slot taken by :meth:`acquire` whose request had no outcome (aborted)."""
        state = self.state
        if isinstance(state, HalfOpen) and state.in_flight > 0:
            self.state = HalfOpen(in_flight=state.in_flight - 1, successes=state.successes)

    def record_success(self, now_ms: int) -> list[Transition]:
        """A request succeeded."""
        transitions = self.poll(now_ms)
        state = self.state
        if isinstance(state, Closed):
            self.state = Closed(consecutive_failures=0, window=self._push(state.window, False))
        elif isinstance(state, HalfOpen):
            successes = state.successes + 1
            if successes >= self._settings.success_threshold:
                transitions.append(self._transition(Closed()))
            else:
                self.state = HalfOpen(in_flight=max(0, state.in_flight - 1), successes=successes)
        # A late success while open (sent before it opened) proves little; the probe decides.
        return transitions

    def record_failure(self, now_ms: int) -> list[Transition]:
        """A request failed in a way that counts against the target."""
        transitions = self.poll(now_ms)
        state = self.state
        if isinstance(state, Closed):
            window = self._push(state.window, True)
            consecutive = state.consecutive_failures + 1
            if self._trip.tripped(consecutive=consecutive, window=window):
                transitions.append(
                    self._transition(Open(opened_at_ms=now_ms, open_for_ms=self._settings.half_open_after_ms))
                )
            else:
                self.state = Closed(consecutive_failures=consecutive, window=window)
        elif isinstance(state, HalfOpen):
            transitions.append(
                self._transition(Open(opened_at_ms=now_ms, open_for_ms=self._settings.half_open_after_ms))
            )
        return transitions

    def open_for(self, now_ms: int, duration_ms: int) -> list[Transition]:
        """Open now for ``duration_ms`` (a server said so); an open circuit only ever extends."""
        state = self.state
        if isinstance(state, Open):
            end = max(state.opened_at_ms + state.open_for_ms, now_ms + duration_ms)
            self._transition(Open(opened_at_ms=now_ms, open_for_ms=end - now_ms))
            return []  # still open: not a change anyone needs to hear about
        return [self._transition(Open(opened_at_ms=now_ms, open_for_ms=max(0, duration_ms)))]

    def reset(self) -> list[Transition]:
        """The operator's reset: closed, counters cleared."""
        if isinstance(self.state, Closed):
            self.state = Closed()
            return []
        return [self._transition(Closed())]

    def open_until_ms(self) -> int | None:
        """When an open circuit lets a probe through; ``None`` unless open."""
        state = self.state
        return state.opened_at_ms + state.open_for_ms if isinstance(state, Open) else None

    def _push(self, window: tuple[bool, ...], failed: bool) -> tuple[bool, ...]:
        return (*window, failed)[-self._settings.sliding_window_size :]

    def _transition(self, new: CircuitState) -> Transition:
        old = _tag(self.state)
        to = _tag(new)
        if (old, to) not in TRANSITIONS:
            raise IllegalTransition(f"circuit cannot go from {old} to {to}")
        self.state = new
        return Transition(from_state=old, to_state=to)
