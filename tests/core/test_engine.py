"""Scenario tests of the engine, driven by a fake clock (the original's sequence diagrams and the
user-visible outcomes of design.md that the core decides)."""

from __future__ import annotations

import msgspec
import pytest

from oswitcher.breaker import Closed, HalfOpen, Open
from oswitcher.budgets import Attempt, Failover, GiveUp, Retry
from oswitcher.classifier import Classification, classify
from oswitcher.config import SwitcherConfig
from oswitcher.engine import Engine, EngineSnapshot, Outcome
from oswitcher.error_input import ErrorInput
from oswitcher.events import (
    AdmissionDecision,
    CircuitStateChange,
    CooldownExpired,
    CooldownSet,
    HealthUpdated,
    KeyMarkedDead,
    TargetExcluded,
)
from oswitcher.policy import Exclusion
from oswitcher.targets import Request, Target
from oswitcher.taxonomy import ErrorClass


def _verdict(cls: ErrorClass, hint: int | None = None) -> Classification:
    return Classification(error_class=cls, retryable=False, retry_after_ms=hint, rule="test")


@pytest.fixture
def events():
    return []


@pytest.fixture
def engine(clock, rnd, events):
    rnd.value = 0.0  # jitter at its minimum: +10 %
    engine = Engine(config=SwitcherConfig(), clock=clock, random=rnd, emit=events.append)
    engine.set_targets(
        [
            Target(
                target_id="anthropic", provider_id="anthropic", pool="anthropic", keys=("ant-1",), operator_priority=2
            ),
            Target(
                target_id="openai", provider_id="openai", pool="openai", keys=("oai-1", "oai-2"), operator_priority=1
            ),
        ]
    )
    return engine


def _of(events, kind):
    return [event for event in events if isinstance(event, kind)]


def test_retry_and_failover_sequence(engine, clock, events):
    """A 429 with Retry-After on target 1 → cooldown, fail over, target 2 succeeds."""
    record = engine.select(Request(request_id="r1"))
    assert (record.selected.target_id, record.selected.key_id) == ("anthropic", "ant-1")
    verdict = classify(ErrorInput(status=429, headers={"retry-after": "5"}, message="Too Many Requests"))
    engine.report(Outcome(target_id="anthropic", key_id="ant-1", classification=verdict))
    [cooldown] = _of(events, CooldownSet)
    assert (cooldown.target_id, cooldown.key_id, cooldown.until_ms - clock.now, cooldown.source) == (
        "anthropic",
        "ant-1",
        5_500,
        "hint",
    )
    history = [Attempt(target_id="anthropic", key_id="ant-1", error_class=verdict.error_class, retry_after_ms=5_000)]
    assert engine.decide(history) == Failover(scope="key")
    record = engine.select(Request(request_id="r1", tried=frozenset({("anthropic", "ant-1")})))
    assert record.selected.target_id == "openai"
    assert any(isinstance(e, TargetExcluded) and e.target_id == "anthropic" for e in events)
    engine.report(Outcome(target_id="openai", key_id="oai-1", latency_ms=800))
    assert _of(events, HealthUpdated)[-1].target_id == "openai"
    assert engine.in_flight("openai") == 0 and engine.in_flight("anthropic") == 0
    # The rate limit did not touch the target's circuit or health.
    assert isinstance(engine.circuit("anthropic"), Closed)


def test_transient_failures_retry_then_fail_over(engine, clock):
    history = []
    for expected in (Retry, Retry, Retry, Failover):
        engine.select(Request(request_id="r"))
        engine.report(
            Outcome(target_id="anthropic", key_id="ant-1", classification=_verdict(ErrorClass.TransientServerFailure))
        )
        history.append(Attempt(target_id="anthropic", key_id="ant-1", error_class=ErrorClass.TransientServerFailure))
        decision = engine.decide(history)
        assert isinstance(decision, expected)
        if isinstance(decision, Retry):
            clock.advance(decision.delay_ms)


def test_breaker_transitions_through_the_engine(engine, clock, events):
    for _ in range(5):
        engine.select(Request())
        engine.report(Outcome(target_id="anthropic", key_id="ant-1", classification=_verdict(ErrorClass.Overloaded)))
        clock.advance(1)
    assert [(e.from_state, e.to_state) for e in _of(events, CircuitStateChange)] == [("closed", "open")]
    record = engine.select(Request())
    assert record.selected.target_id == "openai"
    assert {c.target_id: c.excluded for c in record.candidates}["anthropic"] in (
        Exclusion.circuit_open,
        Exclusion.cooling_down,
    )
    engine.report(Outcome(target_id="openai", key_id="oai-1"))
    clock.advance(30_000)
    only_anthropic = Request(exclude_targets=frozenset({"openai"}))
    record = engine.select(only_anthropic)
    assert record.selected.target_id == "anthropic"  # the probe
    assert isinstance(engine.circuit("anthropic"), HalfOpen)
    blocked = engine.select(only_anthropic)  # one probe at a time
    assert blocked.selected is None
    assert {c.target_id: c.excluded for c in blocked.candidates}["anthropic"] is Exclusion.circuit_open
    engine.report(Outcome(target_id="anthropic", key_id="ant-1", latency_ms=500))
    engine.select(only_anthropic)
    engine.report(Outcome(target_id="anthropic", key_id="ant-1", latency_ms=500))
    assert isinstance(engine.circuit("anthropic"), Closed)
    assert [(e.from_state, e.to_state) for e in _of(events, CircuitStateChange)] == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ]


def test_admission_flow(engine, events):
    assert engine.admit(Request(request_id="a"), waiting=0).verdict == "admitted"
    assert engine.admit(Request(request_id="b"), waiting=51).verdict == "degraded"
    assert engine.admit(Request(request_id="c"), waiting=110).reason == "queue full"
    assert (
        engine.admit(
            Request(request_id="d", model="nothing-serves-it", capabilities=frozenset({"vision"})), waiting=0
        ).reason
        == "no eligible targets"
    )
    engine.pause("anthropic")
    engine.drain("openai")
    assert engine.admit(Request(request_id="e"), waiting=0).reason == "operator pause active"
    engine.resume("openai")
    assert engine.select(Request()).selected.target_id == "openai"
    assert [e.verdict for e in _of(events, AdmissionDecision)] == [
        "admitted",
        "degraded",
        "rejected",
        "rejected",
        "rejected",
    ]


def test_second_key_takes_over_at_once_and_the_first_returns_after_its_cooldown(clock, rnd, events):
    rnd.value = 0.0
    engine = Engine(config=SwitcherConfig(), clock=clock, random=rnd, emit=events.append)
    engine.set_targets([Target(target_id="openai", provider_id="openai", keys=("first", "second"))])
    engine.select(Request())
    engine.report(
        Outcome(target_id="openai", key_id="first", classification=_verdict(ErrorClass.RateLimited, 3_600_000))
    )
    record = engine.select(Request(tried=frozenset({("openai", "first")})))
    assert record.selected.key_id == "second"
    engine.report(Outcome(target_id="openai", key_id="second"))
    assert engine.select(Request()).selected.key_id == "second"  # a new request avoids the cooling key too
    engine.report(Outcome(target_id="openai", key_id="second"))
    clock.advance(3_960_000)
    assert engine.select(Request()).selected.key_id == "first"  # preferred again once rested
    assert [(e.key_id, e.error_class) for e in _of(events, CooldownExpired)] == [("first", ErrorClass.RateLimited)]


def test_rejected_key_is_dead_until_revived_and_the_last_one_is_flagged(engine, events):
    engine.select(Request())
    engine.report(Outcome(target_id="openai", key_id="oai-1", classification=_verdict(ErrorClass.AuthFailure)))
    engine.report(Outcome(target_id="openai", key_id="oai-2", classification=_verdict(ErrorClass.AuthFailure)))
    dead = _of(events, KeyMarkedDead)
    assert [(e.key_id, e.last_in_pool) for e in dead] == [("oai-1", False), ("oai-2", True)]
    record = engine.select(Request(exclude_targets=frozenset({"anthropic"})))
    assert record.selected is None
    assert {c.target_id: c.excluded for c in record.candidates}["openai"] is Exclusion.key_dead
    assert record.retry_at_ms is None  # waiting will not help
    engine.revive_key("oai-1")
    assert engine.select(Request(exclude_targets=frozenset({"anthropic"}))).selected.key_id == "oai-1"


def test_spent_quota_escalates(engine, clock, events):
    for _ in range(2):
        engine.report(Outcome(target_id="openai", key_id="oai-1", classification=_verdict(ErrorClass.QuotaExhausted)))
    first, second = _of(events, CooldownSet)
    assert first.key_id == second.key_id == "oai-1" and first.target_id is None  # the key everywhere
    assert second.until_ms - clock.now == 2 * (first.until_ms - clock.now)


def test_everything_cooling_longer_than_the_user_waits_ends_promptly(engine, clock):
    for target, key in (("anthropic", "ant-1"), ("openai", "oai-1"), ("openai", "oai-2")):
        engine.report(Outcome(target_id=target, key_id=key, classification=_verdict(ErrorClass.RateLimited, 600_000)))
    record = engine.select(Request())
    assert record.selected is None
    assert record.retry_at_ms - clock.now > SwitcherConfig().max_wait_ms
    assert engine.admit(Request(), waiting=0).reason == "no eligible targets"


def test_context_overflow_changes_nothing(engine, events):
    engine.select(Request())
    engine.report(Outcome(target_id="anthropic", key_id="ant-1", classification=_verdict(ErrorClass.ContextOverflow)))
    assert engine.decide(
        [Attempt(target_id="anthropic", key_id="ant-1", error_class=ErrorClass.ContextOverflow)]
    ) == GiveUp("caller_fault")
    assert not _of(events, CooldownSet) and not _of(events, CircuitStateChange)
    assert engine.select(Request()).selected.target_id == "anthropic"


def test_server_imposed_outage_opens_the_circuit_for_that_long(engine, clock, events):
    engine.report(
        Outcome(target_id="anthropic", key_id="ant-1", classification=_verdict(ErrorClass.Overloaded, 60_000))
    )
    assert isinstance(engine.circuit("anthropic"), Open)
    clock.advance(59_999)
    assert engine.select(Request()).selected.target_id == "openai"
    clock.advance(1)
    assert engine.select(Request()).selected.target_id == "anthropic"


def test_a_recovering_target_regains_traffic(engine, clock):
    for _ in range(3):
        engine.report(
            Outcome(target_id="anthropic", key_id="ant-1", classification=_verdict(ErrorClass.InterruptedExecution))
        )
    assert engine.select(Request()).selected.target_id == "openai"
    engine.report(Outcome(target_id="openai", key_id="oai-1"))
    clock.advance(5 * 60_000)
    assert engine.select(Request()).selected.target_id == "anthropic"


def test_snapshot_round_trips_as_plain_data(engine, clock, rnd, events):
    engine.report(Outcome(target_id="openai", key_id="oai-1", classification=_verdict(ErrorClass.QuotaExhausted)))
    engine.report(Outcome(target_id="openai", key_id="oai-2", classification=_verdict(ErrorClass.AuthFailure)))
    for _ in range(5):
        engine.report(
            Outcome(target_id="anthropic", key_id="ant-1", classification=_verdict(ErrorClass.TransientServerFailure))
        )
    engine.pause("openai")
    plain = msgspec.json.decode(msgspec.json.encode(msgspec.to_builtins(engine.snapshot())))
    restored = msgspec.convert(plain, EngineSnapshot)
    other = Engine(config=SwitcherConfig(), clock=clock, random=rnd)
    other.set_targets(engine.targets)
    other.restore(restored)
    assert other.snapshot() == engine.snapshot()
    assert isinstance(other.circuit("anthropic"), Open)
    assert "oai-2" in other.dead_keys()
    assert other.cooldown(key_id="oai-1") is not None
    other.resume("openai")
    record = other.select(Request())
    assert record.selected is None
    assert {c.target_id: c.excluded for c in record.candidates} == {
        "anthropic": Exclusion.circuit_open,
        "openai": Exclusion.cooling_down,
    }


def test_reset_and_cancel(engine, clock, events):
    engine.report(
        Outcome(target_id="anthropic", key_id="ant-1", classification=_verdict(ErrorClass.Overloaded, 60_000))
    )
    engine.reset("anthropic")
    assert isinstance(engine.circuit("anthropic"), Closed)
    record = engine.select(Request())
    assert record.selected.target_id == "anthropic" and engine.in_flight("anthropic") == 1
    engine.cancel("anthropic")
    assert engine.in_flight("anthropic") == 0


def test_set_targets_keeps_state_of_targets_that_stay(engine):
    engine.report(
        Outcome(target_id="anthropic", key_id="ant-1", classification=_verdict(ErrorClass.Overloaded, 60_000))
    )
    engine.set_targets([*engine.targets, Target(target_id="groq", provider_id="groq", keys=("g",))])
    assert isinstance(engine.circuit("anthropic"), Open)
    assert isinstance(engine.circuit("groq"), Closed)


def test_events_encode_with_their_names_and_fields(engine, clock):
    events = engine.report(
        Outcome(target_id="anthropic", key_id="ant-1", classification=_verdict(ErrorClass.RateLimited, 1_000))
    )
    line = msgspec.json.decode(msgspec.json.encode(events[0]))
    assert line == {
        "event": "cooldown_set",
        "at_ms": clock.now,
        "target_id": "anthropic",
        "key_id": "ant-1",
        "until_ms": clock.now + 1_100,
        "error_class": "RateLimited",
        "source": "hint",
    }
    change = CircuitStateChange(at_ms=1, target_id="t", from_state="closed", to_state="open")
    assert msgspec.json.decode(msgspec.json.encode(change)) == {
        "event": "circuit_state_change",
        "at_ms": 1,
        "target_id": "t",
        "from": "closed",
        "to": "open",
    }
