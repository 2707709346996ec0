"""Failover of the requests OpenCode sends, decided here and carried out by the shim's fetch.

For every request the shim's fetch asks ``fetch/begin`` which target and key to use; after a
failed attempt it reports ``fetch/failed`` and gets the next step; a success is reported with
``fetch/done``. One failure is one report and one decision: OpenCode's own retries arrive as
new requests, which find the failed key cooling down and go elsewhere, so no chain of fallbacks
is ever walked twice for one error.

What the engine learns (cooldowns, dead keys, circuit states) is written to the state store, and
what other bridges wrote there is merged in before each selection (see
:mod:`oswitcher.shared_state`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec
import structlog

from bridge.protocol import FetchBegin, FetchDone, FetchFailed, FetchPlan
from bridge.shared_store import SharedStore
from oswitcher import (
    Attempt,
    Classification,
    Engine,
    ErrorInput,
    Failover,
    GiveUp,
    Outcome,
    Request,
    Retry,
    classify,
    from_session_status,
)
from oswitcher.config import SwitcherConfig
from oswitcher.error_input import lower_headers
from oswitcher.events import Event, KeyMarkedDead
from oswitcher.give_up import GIVE_UP_STATUS, give_up_body, give_up_message, out_targets
from oswitcher.operator_text import all_paused_message
from oswitcher.pins import Pin, pin_for, pinned_choice
from oswitcher.policy import SelectionRecord
from oswitcher.routing import RoutingTable, auth_headers, rewrite_url, strip_auth_headers

if TYPE_CHECKING:
    from bridge.store import StateStore

__all__ = ["FailoverService"]

_log = structlog.get_logger("bridge.failover")
_PASS = FetchPlan(action="pass")
_RETURN = FetchPlan(action="return")
#: A request nobody reported on for this long is forgotten (its fetch was dropped mid-way).
_STALE_MS = 15 * 60 * 1000


class _Flight(msgspec.Struct, kw_only=True):
    """One request's way through targets and keys."""

    request_id: str
    origin: str
    url: str
    model: str | None
    session_id: str | None
    started_ms: int
    history: list[Attempt] = []
    tried: set[tuple[str, str]] = set()
    excluded: set[str] = set()
    only_target: str | None = None
    attempt: int = 0
    current: tuple[str, str, int, int] | None = None  # target, key, attempt number, sent at
    waited_ms: int = 0
    #: Waited (retry delays, waits for a cooldown) since the last attempt ended: the next
    #: attempt's ``Attempt.waited_ms``, which the budgets add up against ``max_wait_ms``.
    waited_since_attempt: int = 0
    retries: int = 0
    failovers: int = 0


class FailoverService:
    """The bridge's one owner of the engine and of the requests in flight."""

    def __init__(
        self,
        *,
        config: SwitcherConfig,
        store: Callable[[], StateStore],
        clock: Callable[[], int],
        random: Callable[[], float],
        toast: Callable[..., None],
    ) -> None:
        self._config = config
        self._clock = clock
        self._random = random
        self._toast = toast
        self.engine = Engine(config=config, clock=clock, random=random, emit=self._on_event)
        self.routing = RoutingTable()
        self._flights: dict[str, _Flight] = {}
        #: session id → (target, key) chosen in chat.headers and not yet reported.
        self._header_choices: dict[str, tuple[str, str]] = {}
        self.recent_failovers: list[dict[str, Any]] = []
        # Set by bridge.operator: session id (or "*") → the target or profile the user pinned,
        # tried first in ``_next``.
        self.pins: dict[str, Pin] = {}
        self.shared = SharedStore(store=store, clock=clock)

    # Configuration

    def apply(self, config: SwitcherConfig, routing: RoutingTable) -> None:
        """Adopt a new config and routing table; unchanged targets keep their state."""
        if config != self._config:
            snapshot = self.engine.snapshot()
            self.engine = Engine(config=config, clock=self._clock, random=self._random, emit=self._on_event)
            self.engine.set_targets(routing.targets)
            self.engine.restore(snapshot)
            self._config = config
        else:
            self.engine.set_targets(routing.targets)
        self.routing = routing
        self.shared.invalidate()  # re-read shared state for the new targets

    # The fetch protocol

    def begin(self, params: FetchBegin) -> FetchPlan:
        origin = self.routing.target_for_provider(params.provider_id)
        if origin is None:
            return _PASS
        now = self._clock()
        flight = self._flights.get(params.request_id)
        if flight is None:
            self._forget_stale(now)
            flight = _Flight(
                request_id=params.request_id, origin=origin, url=params.url, model=params.model,
                session_id=params.session_id, started_ms=now,
            )
            self._flights[params.request_id] = flight
        return self._next(flight)

    def failed(self, params: FetchFailed) -> FetchPlan:
        flight = self._flights.get(params.request_id)
        if flight is None or flight.current is None or flight.current[2] != params.attempt:
            return _RETURN
        target_id, key_id, _, _ = flight.current
        flight.current = None
        now = self._clock()
        verdict = classify(
            ErrorInput(
                status=params.status,
                headers=lower_headers(params.headers),
                body=params.body,
                message=params.error or "",
                provider=self.routing.routes[target_id].provider_id if target_id in self.routing.routes else "",
                phase="before_response" if params.status is None else "response",
            ),
            now_ms=now,
        )
        _log.info(
            "attempt_failed", request_id=flight.request_id, target_id=target_id, profile=self._label(key_id),
            status=params.status, error_class=verdict.error_class, rule=verdict.rule,
            retry_after_ms=verdict.retry_after_ms,
        )
        self.engine.report(
            Outcome(target_id=target_id, key_id=key_id, classification=verdict, latency_ms=params.latency_ms)
        )
        self.shared.record_use(key_id, verdict.error_class)
        flight.history.append(
            Attempt(target_id=target_id, key_id=key_id, error_class=verdict.error_class,
                    retry_after_ms=verdict.retry_after_ms, waited_ms=flight.waited_since_attempt)
        )
        flight.waited_since_attempt = 0
        decision = self.engine.decide(flight.history)
        if isinstance(decision, GiveUp):
            if decision.reason == "caller_fault":
                self._summary(flight, "failure", reason=str(verdict.error_class))
                return _RETURN
            return self._give_up(flight, None, reason=decision.reason)
        if isinstance(decision, Retry):
            # Wait first, choose after: by then a circuit the server opened for that long is
            # half-open again, or another key is the better choice.
            flight.retries += 1
            flight.waited_ms += decision.delay_ms
            flight.waited_since_attempt += decision.delay_ms
            _log.info("request_waiting", request_id=flight.request_id, wait_ms=decision.delay_ms, reason="retry")
            return FetchPlan(action="wait", delay_ms=decision.delay_ms)
        assert isinstance(decision, Failover)
        flight.tried.add((target_id, key_id))
        if decision.scope == "target":
            flight.excluded.add(target_id)
        flight.only_target = target_id if decision.same_target_only else None
        return self._next(flight)

    def done(self, params: FetchDone) -> None:
        flight = self._flights.pop(params.request_id, None)
        if flight is None or flight.current is None or flight.current[2] != params.attempt:
            return
        target_id, key_id, _, _ = flight.current
        if params.aborted:
            self.engine.cancel(target_id)
            self._summary(flight, "aborted")
            return
        self.engine.report(Outcome(target_id=target_id, key_id=key_id, latency_ms=params.latency_ms))
        self.shared.record_use(key_id, None)
        flight.current = None
        flight.history.append(Attempt(target_id=target_id, key_id=key_id, waited_ms=flight.waited_since_attempt))
        self._summary(flight, "success")

    # Moving a new turn to another API format, where the config allows another model

    def route_turn(self, session_id: str, provider_id: str, model: str) -> tuple[str, str] | None:
        """``(provider, model)`` for a new turn, when its own API format cannot serve it.

        A fetch can move a request only to a provider of the same API format (same request
        body). When every such target is out for longer than the run may wait, and the config
        allows another model (``switcher.allow_model_change``), the whole turn goes to the best
        target of another format instead, before anything is sent; the user is told.
        """
        origin = self.routing.target_for_provider(provider_id)
        if origin is None or not self._config.allow_model_change:
            return None
        self.sync_shared_state()
        probe = _Flight(request_id=f"turn:{session_id}", origin=origin, url="", model=model,
                        session_id=session_id, started_ms=self._clock())
        same_format = self.routing.same_format(origin)
        if self._peek(probe, same_format, within_ms=self._config.max_wait_ms):
            return None
        others = frozenset(t for t, r in self.routing.routes.items() if t not in same_format and r.models)
        record = self._probe(probe, others)
        if record.selected is None:
            return None
        route = self.routing.routes[record.selected.target_id]
        _log.info("turn_rerouted", session_id=session_id, from_provider=provider_id, from_model=model,
                  to_provider=route.provider_id, to_model=route.models[0])
        self._toast(f"O-Switcher: {provider_id} cannot serve {model} now; this turn goes to"
                    f" {route.provider_id}/{route.models[0]} (switcher.allow_model_change).", variant="warning")
        return route.provider_id, route.models[0]

    def _peek(self, flight: _Flight, allowed: frozenset[str], *, within_ms: int) -> bool:
        """Whether one of ``allowed`` can serve now or within ``within_ms`` (takes no slot)."""
        record = self._probe(flight, allowed)
        if record.selected is not None:
            return True
        return record.retry_at_ms is not None and record.retry_at_ms - self._clock() <= within_ms

    # Choosing the key in chat.headers, where the fetch is not used

    def choose_headers(self, session_id: str, provider_id: str, model: str | None) -> dict[str, str] | None:
        """The auth header for the next attempt of ``session_id`` (None: leave OpenCode's key).

        Where a runtime ignores the shim's fetch (OpenCode's experimental native runtime), the
        key can still be chosen before each attempt, OpenCode's own retries included; failures
        are then learnt from OpenCode's ``session.status`` retry events (:meth:`on_session_event`).
        Only keys of the provider itself qualify: headers cannot move a request elsewhere.
        """
        origin = self.routing.target_for_provider(provider_id)
        if origin is None:
            return None
        self.sync_shared_state()
        self._settle_header_choice(session_id, None)
        flight = _Flight(request_id=f"headers:{session_id}", origin=origin, url="", model=model,
                         session_id=session_id, started_ms=self._clock())
        record = self._select(flight, {origin})
        if record.selected is None or not record.selected.key_id:
            if record.selected is not None:
                self.engine.cancel(record.selected.target_id)
            return None
        key_id = record.selected.key_id
        self._header_choices[session_id] = (origin, key_id)
        route = self.routing.routes[origin]
        return auth_headers(route.npm, self.routing.secrets[key_id])

    def on_session_event(self, event_type: str, properties: dict[str, Any]) -> None:
        """``session.status`` retry → the key chosen in chat.headers failed; ``session.idle`` → it worked."""
        session_id = properties.get("sessionID")
        if not isinstance(session_id, str) or session_id not in self._header_choices:
            return
        status = properties.get("status")
        if event_type == "session.status" and isinstance(status, dict) and status.get("type") == "retry":
            target_id = self._header_choices[session_id][0]
            provider = self.routing.routes[target_id].provider_id if target_id in self.routing.routes else ""
            self._settle_header_choice(session_id, classify(from_session_status(status, provider=provider),
                                                            now_ms=self._clock()))
        elif event_type == "session.idle":
            self._settle_header_choice(session_id, None, success=True)

    def _settle_header_choice(self, session_id: str, verdict: Classification | None, *, success: bool = False) -> None:
        choice = self._header_choices.pop(session_id, None)
        if choice is None:
            return
        target_id, key_id = choice
        if verdict is None and not success:
            self.engine.cancel(target_id)  # superseded by a new attempt with no news about this one
            return
        self.engine.report(Outcome(target_id=target_id, key_id=key_id, classification=verdict))
        self.shared.record_use(key_id, verdict.error_class if verdict else None)

    # Selection

    def _next(self, flight: _Flight) -> FetchPlan:
        self.sync_shared_state()
        now = self._clock()
        allowed = self.routing.same_format(flight.origin) - flight.excluded
        if flight.only_target is not None:
            allowed &= {flight.only_target}
        # A pin the user set (switcher-use) comes first, then the provider OpenCode chose, whenever
        # it can serve: O-Switcher moves a request only on evidence, and goes back to the user's
        # choice once it recovers.
        record = self._select_pinned(flight, allowed)
        if (record is None or record.selected is None) and flight.origin in allowed:
            record = self._select(flight, {flight.origin})
        if record is None or record.selected is None:
            record = self._select(flight, allowed)
        chosen = record.selected
        if chosen is None:
            retry_at = record.retry_at_ms
            if retry_at is None and flight.tried:
                # Every key was tried; one that only cools down briefly may be tried again.
                retry_at = self._when_usable_again(flight, allowed)
            wait = None if retry_at is None else max(0, retry_at - now)
            if wait is not None and flight.waited_ms + wait <= self._config.max_wait_ms:
                flight.waited_ms += wait
                flight.waited_since_attempt += wait
                flight.tried.clear()
                _log.info("request_waiting", request_id=flight.request_id, wait_ms=wait)
                return FetchPlan(action="wait", delay_ms=wait)
            # Every target this request may use held back by the operator: say so (issue 6).
            held = self.engine.snapshot()
            if self.routing.same_format(flight.origin) <= (held.paused | held.draining):
                return self._give_up(flight, record, reason="all_paused")
            return self._give_up(flight, record, reason="nothing_usable")
        target_id, key_id = chosen.target_id, chosen.key_id or ""
        previous = flight.history[-1] if flight.history else None
        if previous is not None and (previous.target_id, previous.key_id) != (target_id, key_id):
            self._announce_switch(flight, previous, target_id, key_id)
        flight.attempt += 1
        flight.current = (target_id, key_id, flight.attempt, now)
        return self._send_plan(flight, target_id, key_id)

    def _select_pinned(self, flight: _Flight, allowed: frozenset[str]) -> SelectionRecord | None:
        # The user's pin goes first when it can serve; otherwise selection goes on as usual.
        pin = pin_for(self.pins, flight.session_id)
        if pin is None:
            return None
        targets, other_keys = pinned_choice(pin, self.routing.targets, allowed)
        return self._select(flight, targets, also_tried=other_keys) if targets else None

    def _select(
        self,
        flight: _Flight,
        allowed: set[str] | frozenset[str],
        *,
        tried: frozenset[tuple[str, str]] | None = None,
        also_tried: frozenset[tuple[str, str]] = frozenset(),
    ) -> SelectionRecord:
        return self.engine.select(
            Request(
                request_id=flight.request_id,
                model=flight.model if not self._config.allow_model_change else None,
                tried=(frozenset(flight.tried) if tried is None else tried) | also_tried,
                exclude_targets=frozenset(self.routing.routes) - allowed,
            )
        )

    def _when_usable_again(self, flight: _Flight, allowed: set[str] | frozenset[str]) -> int | None:
        probe = self._probe(flight, allowed, tried=frozenset())
        # Usable right now although it just failed: not a wait, a loop.
        return None if probe.selected is not None else probe.retry_at_ms

    def _probe(
        self, flight: _Flight, allowed: set[str] | frozenset[str], *, tried: frozenset[tuple[str, str]] | None = None
    ) -> SelectionRecord:
        """A selection that only looks: the slot a selected target took is given back at once."""
        record = self._select(flight, allowed, tried=tried)
        if record.selected is not None:
            self.engine.cancel(record.selected.target_id)
        return record

    def _send_plan(self, flight: _Flight, target_id: str, key_id: str) -> FetchPlan:
        route = self.routing.routes[target_id]
        origin = self.routing.routes[flight.origin]
        secret = self.routing.secrets.get(key_id) if key_id else None
        model = None
        if route.models and flight.model not in route.models and self._config.allow_model_change:
            model = route.models[0]
            _log.info("model_changed", request_id=flight.request_id, target_id=target_id, model=model,
                      requested=flight.model)
            self._toast(f"O-Switcher: {flight.model} is out everywhere; this request goes to {target_id} with"
                        f" model {model} (switcher.allow_model_change).", variant="warning")
        return FetchPlan(
            action="send",
            attempt=flight.attempt,
            headers=auth_headers(route.npm, secret) if secret else None,
            strip_headers=list(strip_auth_headers()) if secret else None,
            url=rewrite_url(flight.url, origin=origin, target=route),
            model=model,
        )

    def _announce_switch(self, flight: _Flight, previous: Attempt, target_id: str, key_id: str) -> None:
        cause = previous.error_class
        if previous.target_id != target_id:
            flight.failovers += 1
        event = {
            "request_id": flight.request_id,
            "from_target": previous.target_id,
            "from_profile": self._label(previous.key_id),
            "to_target": target_id,
            "to_profile": self._label(key_id),
            "error_class": str(cause) if cause else None,
        }
        _log.info("failover_start", **event)
        self.recent_failovers = [*self.recent_failovers[-9:], {"at_ms": self._clock(), **event}]
        where = target_id if previous.target_id != target_id else f"key {self._label(key_id)}"
        self._toast(f"O-Switcher: {previous.target_id} failed ({cause or 'error'}); switched to {where}.", variant="warning")

    def _give_up(self, flight: _Flight, record: SelectionRecord | None, *, reason: str) -> FetchPlan:
        now = self._clock()
        self._flights.pop(flight.request_id, None)
        out = out_targets(self.engine, self.routing.same_format(flight.origin), labels=self.routing.labels,
                          history=flight.history, now_ms=now)
        message = give_up_message(out, now_ms=now, max_wait_ms=self._config.max_wait_ms, model=flight.model)
        toast = "O-Switcher gave up on a request: every usable key and provider is out. See the message."
        if reason == "all_paused":
            message = all_paused_message(sorted(self.routing.same_format(flight.origin)))
            toast = "O-Switcher refused a request: every provider it may use is paused. See the message."
        self._summary(flight, "failure", reason=reason)
        self._toast(toast, variant="error")
        return FetchPlan(action="fail", status=GIVE_UP_STATUS, body=give_up_body(message).decode())


    # Telling the user and the log

    def _summary(self, flight: _Flight, outcome: str, *, reason: str | None = None) -> None:
        _log.info(
            "request_summary",
            request_id=flight.request_id,
            session_id=flight.session_id,
            outcome=outcome,
            reason=reason,
            attempts=len(flight.history),
            total_retries=flight.retries,
            failovers=flight.failovers,
            targets=sorted({a.target_id for a in flight.history}),
            profiles=sorted({self._label(a.key_id) for a in flight.history if a.key_id}),
            duration_ms=self._clock() - flight.started_ms,
        )
        self._flights.pop(flight.request_id, None)

    def _label(self, key_id: str) -> str:
        return self.routing.labels.get(key_id, key_id[:8]) if key_id else "-"

    def _on_event(self, event: Event) -> None:
        fields = msgspec.to_builtins(event)
        name = fields.pop("event")
        if "key_id" in fields and fields["key_id"]:
            fields["profile"] = self._label(fields["key_id"])
        _log.info(name, **fields)
        self.shared.persist(event)
        if isinstance(event, KeyMarkedDead):
            message = f"O-Switcher: key {self._label(event.key_id)} for {event.target_id} was rejected and is now marked dead."
            if event.last_in_pool:
                message += " It was the last usable key of its pool."
            self._toast(message, variant="error")

    def sync_shared_state(self) -> None:
        """Merge what other bridges and the command line wrote to the store into the engine."""
        self.shared.sync(self.engine, known_keys=self.routing.secrets)

    def _forget_stale(self, now: int) -> None:
        for request_id, flight in list(self._flights.items()):
            if now - flight.started_ms > _STALE_MS:
                if flight.current is not None:
                    self.engine.cancel(flight.current[0])
                del self._flights[request_id]
