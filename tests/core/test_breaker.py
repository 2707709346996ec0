from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oswitcher.breaker import TRANSITIONS, CircuitBreaker, Closed, HalfOpen, IllegalTransition, Open
from oswitcher.config import CircuitBreakerSettings
from oswitcher.trip import ConsecutiveTrip, DualTrip, RateTrip

SETTINGS = CircuitBreakerSettings()  # 5 in a row, 50 % of 10, 30 s, 1 probe, 2 successes


def _breaker(**overrides) -> CircuitBreaker:
    return CircuitBreaker(settings=CircuitBreakerSettings(**overrides) if overrides else SETTINGS)


def test_trip_strategies_alone():
    assert not ConsecutiveTrip(threshold=3).tripped(consecutive=2, window=())
    assert ConsecutiveTrip(threshold=3).tripped(consecutive=3, window=())
    rate = RateTrip(rate=0.5, size=4)
    assert not rate.tripped(consecutive=0, window=(True, True, False))  # window not full yet
    assert rate.tripped(consecutive=0, window=(True, False, True, False))
    assert not rate.tripped(consecutive=0, window=(True, False, False, False))
    dual = DualTrip(consecutive=ConsecutiveTrip(threshold=9), rate=rate)
    assert dual.tripped(consecutive=1, window=(True, False, True, False))


def test_sequence_diagram_closed_open_half_open_closed():
    """The original's "Circuit Breaker State Transitions" diagram, step by step."""
    breaker = _breaker(success_threshold=1)
    for now in range(4):
        assert breaker.record_failure(now) == []
    transitions = breaker.record_failure(4)
    assert [(t.from_state, t.to_state) for t in transitions] == [("closed", "open")]
    assert not breaker.allows(5)
    assert not breaker.acquire(29_000)[0]
    allowed, transitions = breaker.acquire(4 + 30_000)
    assert allowed and [(t.from_state, t.to_state) for t in transitions] == [("open", "half_open")]
    assert not breaker.acquire(30_005)[0]  # one probe at a time
    transitions = breaker.record_success(30_010)
    assert [(t.from_state, t.to_state) for t in transitions] == [("half_open", "closed")]
    assert isinstance(breaker.state, Closed)


def test_failure_rate_opens_a_circuit_that_never_saw_five_in_a_row():
    breaker = _breaker()
    transitions = []
    # F S F S ... F: the eleventh call fills the window of ten with five failures (50 %).
    for now in range(11):
        transitions += breaker.record_failure(now) if now % 2 == 0 else breaker.record_success(now)
    assert [(t.from_state, t.to_state) for t in transitions] == [("closed", "open")]


def test_success_resets_the_consecutive_count():
    breaker = _breaker(sliding_window_size=100)
    for now in range(4):
        breaker.record_failure(now)
    breaker.record_success(5)
    for now in range(6, 10):
        assert breaker.record_failure(now) == []
    assert isinstance(breaker.state, Closed)


def test_a_failed_probe_reopens_and_two_successes_close():
    breaker = _breaker()
    for now in range(5):
        breaker.record_failure(now)
    assert breaker.acquire(40_000)[0]
    assert [(t.from_state, t.to_state) for t in breaker.record_failure(40_001)] == [("half_open", "open")]
    assert not breaker.allows(40_002)
    assert breaker.acquire(70_001)[0]
    assert breaker.record_success(70_002) == []
    assert isinstance(breaker.state, HalfOpen)
    assert breaker.acquire(70_003)[0]
    assert [(t.to_state) for t in breaker.record_success(70_004)] == ["closed"]


def test_server_imposed_open_duration_and_extension():
    breaker = _breaker()
    assert [t.to_state for t in breaker.open_for(1_000, 120_000)] == ["open"]
    assert not breaker.allows(100_000)
    assert breaker.open_for(2_000, 10_000) == []  # shorter: does not cut the wait
    assert breaker.open_until_ms() == 121_000
    assert breaker.allows(121_000)


def test_release_gives_back_a_probe():
    breaker = _breaker()
    breaker.open_for(0, 10)
    assert breaker.acquire(10)[0]
    assert not breaker.acquire(11)[0]
    breaker.release()
    assert breaker.acquire(12)[0]


def test_illegal_transition_raises():
    breaker = _breaker()
    with pytest.raises(IllegalTransition):
        breaker._transition(HalfOpen())
    assert ("closed", "half_open") not in TRANSITIONS


def test_reset_closes():
    breaker = _breaker()
    breaker.open_for(0, 1000)
    assert [t.to_state for t in breaker.reset()] == ["closed"]
    assert breaker.reset() == []


operations = st.lists(
    st.tuples(st.sampled_from(["fail", "ok", "acquire", "release", "server_open"]), st.integers(0, 40_000)),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(
    ops=operations,
    threshold=st.integers(1, 6),
    window=st.integers(1, 12),
    probes=st.integers(1, 3),
    successes=st.integers(1, 4),
)
def test_breaker_properties(ops, threshold, window, probes, successes):
    breaker = _breaker(
        failure_threshold=threshold,
        sliding_window_size=window,
        half_open_max_probes=probes,
        success_threshold=successes,
        half_open_after_ms=10_000,
    )
    now = 0
    half_open_successes = 0
    for op, step in ops:
        now += step
        before = breaker.state
        if op == "fail":
            transitions = breaker.record_failure(now)
        elif op == "ok":
            transitions = breaker.record_success(now)
        elif op == "acquire":
            allowed, transitions = breaker.acquire(now)
            if isinstance(before, Open) and now < before.opened_at_ms + before.open_for_ms:
                # Never a permit while open before its time.
                assert not allowed
            if isinstance(breaker.state, HalfOpen):
                assert breaker.state.in_flight <= probes
        elif op == "release":
            breaker.release()
            transitions = []
        else:
            transitions = breaker.open_for(now, step)
        for transition in transitions:
            assert (transition.from_state, transition.to_state) in TRANSITIONS
            if transition.to_state == "closed":
                # Closes only after the configured successes in half-open.
                assert op == "ok" and half_open_successes + 1 >= successes
        if isinstance(breaker.state, HalfOpen):
            half_open_successes = breaker.state.successes
        else:
            half_open_successes = 0
