"""The engine: the one owner of all mutable resilience state, with a small synchronous API.

It holds, per target, a circuit breaker, health and in-flight count; cooldowns per target, per
key and per key-on-target; dead keys; quota streaks; operator flags (pause, drain). It reads time
only through the ``clock`` it was given and randomness only through ``random``, so tests drive it
with plain integers. Events go to the ``emit`` callable (the bridge logs them).

Call pattern for one request::

    engine.admit(request, waiting=n)             # admission_decision
    record = engine.select(request)              # takes a probe / in-flight slot on the selected target
    ... send with record.selected.key_id ...
    engine.report(Outcome(...))                  # exactly once per select that returned a target
    decision = engine.decide(history)            # Retry / Failover / GiveUp

Key dimension: a failure of class RateLimited cools the key *on that target* (limits are often per
model); QuotaExhausted cools the key everywhere (a spent account is spent for every model);
PermissionFailure cools the key on that target; AuthFailure marks the key dead everywhere until
:meth:`Engine.revive_key`. Overloaded, TransientServerFailure and ModelUnavailable cool the
target (or, with a server hint, open its circuit for that long).

:meth:`Engine.snapshot` / :meth:`Engine.restore` move cooldowns, dead keys, quota streaks,
circuits, health and operator flags as plain data, for the bridge's SQLite store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from oswitcher.admission import Admission, InFlight, Load, admit
from oswitcher.breaker import CircuitBreaker, CircuitState, Transition
from oswitcher.budgets import Attempt, Budgets, Decision, decide
from oswitcher.config import SwitcherConfig
from oswitcher.cooldown import Cooldown, CooldownBook, Scope, plan_cooldown
from oswitcher.events import (
    AdmissionDecision,
    CircuitStateChange,
    CooldownExpired,
    CooldownSet,
    Event,
    HealthUpdated,
    KeyMarkedDead,
    TargetExcluded,
)
from oswitcher.health import Health
from oswitcher.keys import KeyBook
from oswitcher.policy import Exclusion, SelectionRecord, TargetView, prepare_view, priority_range, select_target
from oswitcher.snapshot import CooldownRow, DeadKey, EngineSnapshot, Outcome, book_from_rows, cooldown_rows
from oswitcher.targets import Request, Target
from oswitcher.taxonomy import BREAKER_FAILURES, ErrorClass
from oswitcher.views import ViewCache, observe

__all__ = ["Engine", "Outcome", "DeadKey", "CooldownRow", "EngineSnapshot"]


_QUIET_EXCLUSIONS = frozenset({Exclusion.disabled, Exclusion.lacks_capability})
_TARGET_COOLING = frozenset({ErrorClass.Overloaded, ErrorClass.TransientServerFailure, ErrorClass.ModelUnavailable})


class Engine:
    """Resilience state of one bridge process. Not thread-safe: one owner calls it."""

    def __init__(
        self,
        *,
        config: SwitcherConfig,
        clock: Callable[[], int],
        random: Callable[[], float],
        emit: Callable[[Event], None] | None = None,
    ) -> None:
        self._config = config
        self._budgets = Budgets.from_config(config)
        self._clock = clock
        self._random = random
        self._emit = emit or (lambda event: None)
        self._targets: dict[str, Target] = {}
        self._order: list[Target] = []
        self._breakers: dict[str, CircuitBreaker] = {}
        self._health: dict[str, Health] = {}
        self._cooldowns = CooldownBook()
        self._keys = KeyBook()
        self._paused: set[str] = set()
        self._draining: set[str] = set()
        self._in_flight = InFlight()
        # Views are rebuilt only when their target changed or time passed their validity
        # (see oswitcher.views).
        self._views = ViewCache(build=self._view)
        self._priorities: tuple[int, int] = (0, 0)

    def set_targets(self, targets: Iterable[Target]) -> None:
        """Replace the target list; state of targets that stay is kept, the rest is dropped."""
        fresh = {target.target_id: target for target in targets}
        self._order = sorted(fresh.values(), key=lambda target: target.target_id)
        self._targets = fresh
        for target_id in list(self._breakers):
            if target_id not in fresh:
                del self._breakers[target_id]
                self._health.pop(target_id, None)
        for target_id in fresh:
            if target_id not in self._breakers:
                self._breakers[target_id] = CircuitBreaker(settings=self._config.circuit_breaker)
                self._health[target_id] = Health(updated_ms=self._clock())
        self._priorities = priority_range(self._order)
        self._views.reset(self._order)

    @property
    def targets(self) -> tuple[Target, ...]:
        """The targets, ordered by id."""
        return tuple(self._order)

    def admit(self, request: Request, *, waiting: int) -> Admission:
        """Admission for a new request, given how many requests are waiting in the caller's queue."""
        now = self._clock()
        self._expire(now)
        record = self._plan(request, now)
        admission = admit(
            Load(
                eligible_targets=sum(1 for candidate in record.candidates if candidate.score is not None),
                all_paused=bool(self._targets) and all(t in self._paused or t in self._draining for t in self._targets),
                waiting=waiting,
                running=self._in_flight.total(),
            ),
            queue_limit=self._config.queue_limit,
            concurrency_limit=self._config.concurrency_limit,
            backpressure_threshold=self._config.backpressure_threshold,
        )
        self._emit(
            AdmissionDecision(
                at_ms=now, request_id=request.request_id, verdict=admission.verdict, reason=admission.reason
            )
        )
        return admission

    def select(self, request: Request) -> SelectionRecord:
        """Choose target and key for ``request``; the chosen target's probe/in-flight slot is taken."""
        now = self._clock()
        self._expire(now)
        record = self._plan(request, now)
        for candidate in record.candidates:
            if candidate.excluded is not None and candidate.excluded not in _QUIET_EXCLUSIONS:
                self._emit(
                    TargetExcluded(
                        at_ms=now,
                        request_id=request.request_id,
                        target_id=candidate.target_id,
                        reason=candidate.excluded,
                    )
                )
        if record.selected is not None:
            target_id = record.selected.target_id
            _, transitions = self._breakers[target_id].acquire(now)
            self._views.touch(target_id)
            self._circuit_events(target_id, transitions, now)
            self._in_flight.acquire(target_id, limit=1 << 30)
        return record

    def report(self, outcome: Outcome) -> list[Event]:
        """Record how an attempt ended; returns (and emits) the events it caused."""
        now = self._clock()
        events: list[Event] = []
        target_id, key_id = outcome.target_id, outcome.key_id
        if target_id not in self._targets:
            return events
        self._touch(target_id, key_id)
        self._in_flight.release(target_id)
        breaker = self._breakers[target_id]
        verdict = outcome.classification
        if verdict is None:
            events += self._circuit_events(target_id, breaker.record_success(now), now)
            self._health[target_id] = self._health[target_id].on_success(now, latency_ms=outcome.latency_ms)
            events.append(self._health_event(target_id, now))
            self._keys.succeeded(key_id)
            return self._flush(events)
        error_class = verdict.error_class
        hint = verdict.retry_after_ms
        if error_class in BREAKER_FAILURES:
            if hint is not None and error_class in _TARGET_COOLING:
                # The server said how long it will be out: that is the circuit's open time.
                duration = min(hint, self._config.cooldown.max_ms)
                events += self._circuit_events(target_id, breaker.open_for(now, duration), now)
            else:
                events += self._circuit_events(target_id, breaker.record_failure(now), now)
            self._health[target_id] = self._health[target_id].on_failure(now, latency_ms=outcome.latency_ms)
            events.append(self._health_event(target_id, now))
        else:
            breaker.release()  # the probe got an answer that says nothing about the target
        if error_class is ErrorClass.AuthFailure and key_id:
            events += self._mark_dead(target_id, key_id, now, reason=verdict.rule)
            return self._flush(events)
        scope = self._cooldown_scope(error_class, target_id, key_id)
        if scope is None or (hint is not None and error_class in _TARGET_COOLING and scope.key_id is None):
            return self._flush(events)
        streak = 1
        if error_class is ErrorClass.QuotaExhausted and key_id:
            streak = self._keys.quota_exhausted(key_id)
        plan = plan_cooldown(
            error_class, hint_ms=hint, settings=self._config.cooldown, quota_streak=streak, draw=self._random()
        )
        if plan is not None:
            entry = self._cooldowns.set(scope, now_ms=now, plan=plan, error_class=error_class)
            events.append(
                CooldownSet(
                    at_ms=now,
                    target_id=scope.target_id,
                    key_id=scope.key_id,
                    until_ms=entry.until_ms,
                    error_class=entry.error_class,
                    source=entry.source,  # type: ignore[arg-type]
                )
            )
        return self._flush(events)

    def cancel(self, target_id: str) -> None:
        """Undo a :meth:`select` whose request never produced an outcome (the user aborted)."""
        if target_id in self._targets:
            self._views.touch(target_id)
            self._in_flight.release(target_id)
            self._breakers[target_id].release()

    def decide(self, history: Sequence[Attempt]) -> Decision:
        """The next step after a failed attempt: Retry, Failover or GiveUp."""
        return decide(history, budgets=self._budgets, draw=self._random())

    def pause(self, target_id: str) -> None:
        """Send nothing new to ``target_id`` until :meth:`resume`."""
        self._paused.add(target_id)
        self._views.touch(target_id)

    def drain(self, target_id: str) -> None:
        """Like pause, for taking a target out gracefully: in-flight requests finish."""
        self._draining.add(target_id)
        self._views.touch(target_id)

    def resume(self, target_id: str) -> None:
        """Undo pause and drain."""
        self._paused.discard(target_id)
        self._draining.discard(target_id)
        self._views.touch(target_id)

    def reset(self, target_id: str) -> list[Event]:
        """Close the circuit, clear the target's cooldowns and health."""
        now = self._clock()
        events: list[Event] = []
        self._views.touch(target_id)
        if target_id in self._breakers:
            events += self._circuit_events(target_id, self._breakers[target_id].reset(), now)
            self._health[target_id] = Health(updated_ms=now)
        for scope, _ in self._cooldowns.items():
            if scope.target_id == target_id:
                self._cooldowns.clear(scope)
        return self._flush(events)

    def revive_key(self, key_id: str) -> None:
        """The user fixed a key: not dead, no cooldowns, no quota streak."""
        self._touch(None, key_id)
        self._keys.revive(key_id)
        for scope, _ in self._cooldowns.items():
            if scope.key_id == key_id:
                self._cooldowns.clear(scope)

    def dead_keys(self) -> dict[str, DeadKey]:
        """Keys marked dead, and why."""
        return dict(self._keys.dead)

    def in_flight(self, target_id: str) -> int:
        """Requests selected for ``target_id`` and not yet reported."""
        return self._in_flight.count(target_id)

    def circuit(self, target_id: str) -> CircuitState:
        """The current circuit state of ``target_id``."""
        return self._breakers[target_id].state

    def cooldown(self, *, target_id: str | None = None, key_id: str | None = None) -> Cooldown | None:
        """The active cooldown of exactly this scope, if any."""
        return self._cooldowns.active(Scope(target_id, key_id), self._clock())

    def snapshot(self) -> EngineSnapshot:
        """The persistent state as a value (``msgspec.to_builtins`` for plain data)."""
        return EngineSnapshot(
            taken_at_ms=self._clock(),
            cooldowns=cooldown_rows(self._cooldowns),
            dead_keys=dict(self._keys.dead),
            quota_streaks=dict(self._keys.quota_streaks),
            circuits={target_id: breaker.state for target_id, breaker in self._breakers.items()},
            health=dict(self._health),
            paused=frozenset(self._paused),
            draining=frozenset(self._draining),
        )

    def restore(self, snapshot: EngineSnapshot) -> None:
        """Adopt a snapshot (from disk or another process). Circuits of unknown targets are ignored."""
        self._cooldowns = book_from_rows(snapshot.cooldowns)
        self._keys = KeyBook(dead=snapshot.dead_keys, quota_streaks=snapshot.quota_streaks)
        for target_id, state in snapshot.circuits.items():
            if target_id in self._breakers:
                self._breakers[target_id] = CircuitBreaker(settings=self._config.circuit_breaker, state=state)
        for target_id, health in snapshot.health.items():
            if target_id in self._health:
                self._health[target_id] = health
        self._paused = set(snapshot.paused)
        self._draining = set(snapshot.draining)
        self._views.reset(self._order)

    def _plan(self, request: Request, now: int) -> SelectionRecord:
        views = self._views.current(now)
        return select_target(
            views,
            request,
            weights=self._config.routing_weights,
            max_expected_latency_ms=self._config.max_expected_latency_ms,
        )

    def _touch(self, target_id: str | None, key_id: str | None) -> None:
        if target_id is not None:
            self._views.touch(target_id)
        if key_id:
            self._views.touch_key(key_id)

    def _view(self, target: Target, now: int) -> tuple[TargetView, int]:
        target_id = target.target_id
        view, valid_until = observe(
            target,
            now_ms=now,
            breaker=self._breakers[target_id],
            cooldowns=self._cooldowns,
            dead_keys=self._keys.dead,
            health=self._health[target_id],
            paused=target_id in self._paused or target_id in self._draining,
        )
        scored = prepare_view(
            view,
            weights=self._config.routing_weights,
            max_expected_latency_ms=self._config.max_expected_latency_ms,
            priorities=self._priorities,
        )
        return scored, valid_until

    def _cooldown_scope(self, error_class: ErrorClass, target_id: str, key_id: str) -> Scope | None:
        if error_class is ErrorClass.QuotaExhausted:
            return Scope(None, key_id) if key_id else Scope(target_id, None)
        if error_class in (ErrorClass.RateLimited, ErrorClass.PermissionFailure):
            return Scope(target_id, key_id or None)
        if error_class in _TARGET_COOLING:
            return Scope(target_id, None)
        return None

    def _mark_dead(self, target_id: str, key_id: str, now: int, *, reason: str) -> list[Event]:
        pool = self._targets[target_id].pool or target_id
        last = self._keys.mark_dead(
            key_id, now_ms=now, reason=reason, pool=[t for t in self._order if (t.pool or t.target_id) == pool]
        )
        return [KeyMarkedDead(at_ms=now, key_id=key_id, target_id=target_id, reason=reason, last_in_pool=last)]

    def _expire(self, now: int) -> None:
        for scope, entry in self._cooldowns.expire(now):
            self._touch(scope.target_id, scope.key_id)
            self._emit(
                CooldownExpired(
                    at_ms=now, target_id=scope.target_id, key_id=scope.key_id, error_class=entry.error_class
                )
            )

    def _circuit_events(self, target_id: str, transitions: list[Transition], now: int) -> list[Event]:
        events: list[Event] = [
            CircuitStateChange(at_ms=now, target_id=target_id, from_state=t.from_state, to_state=t.to_state)
            for t in transitions
        ]
        for event in events:
            self._emit(event)
        return events

    def _health_event(self, target_id: str, now: int) -> HealthUpdated:
        health = self._health[target_id]
        return HealthUpdated(
            at_ms=now,
            target_id=target_id,
            score=health.score,
            failure_rate=health.failure_rate,
            latency_ms=health.latency_ms,
        )

    def _flush(self, events: list[Event]) -> list[Event]:
        # Circuit events were emitted as they happened (select() needs that too); emit the rest.
        for event in events:
            if not isinstance(event, CircuitStateChange):
                self._emit(event)
        return events
