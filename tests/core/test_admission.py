from __future__ import annotations

from oswitcher.admission import Admission, InFlight, Load, admit

LIMITS = {"queue_limit": 100, "concurrency_limit": 10, "backpressure_threshold": 50}


def test_admission_flow_of_the_sequence_diagram():
    assert admit(Load(eligible_targets=0), **LIMITS) == Admission(verdict="rejected", reason="no eligible targets")
    assert admit(Load(eligible_targets=3, all_paused=True), **LIMITS).reason == "operator pause active"
    assert admit(Load(eligible_targets=3, budgets_exhausted=True), **LIMITS).reason == "retry/failover budget exhausted"
    assert admit(Load(eligible_targets=3, waiting=50, running=10), **LIMITS) == Admission(verdict="admitted")
    degraded = admit(Load(eligible_targets=3, waiting=51, running=10), **LIMITS)
    assert degraded.verdict == "degraded" and degraded.reason == "backpressure: 51 pending > 50"
    assert admit(Load(eligible_targets=3, waiting=100, running=10), **LIMITS) == Admission(
        verdict="rejected", reason="queue full"
    )
    assert admit(Load(eligible_targets=3, waiting=99, running=10), **LIMITS).verdict == "degraded"


def test_in_flight_tracker():
    tracker = InFlight()
    assert tracker.acquire("a", limit=2) and tracker.acquire("a", limit=2)
    assert not tracker.acquire("a", limit=2)
    assert tracker.headroom("a", limit=2) == 0 and tracker.total() == 2
    tracker.release("a")
    assert tracker.headroom("a", limit=2) == 1
    tracker.release("a")
    tracker.release("a")  # one too many: stays at zero
    assert tracker.count("a") == 0 and tracker.headroom("a", limit=2) == 2
