from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from oswitcher.health import RECOVERY_HALF_LIFE_MS, Health


def test_score_falls_on_failure_and_rises_on_success():
    health = Health(updated_ms=0)
    worse = health.on_failure(0)
    assert worse.score < 1.0 and worse.failure_rate > 0
    better = worse.on_success(0)
    assert worse.score < better.score < 1.0


def test_latency_ewma():
    health = Health().on_success(0, latency_ms=1000).on_success(0, latency_ms=2000)
    assert health.latency_ms == 1300


def test_a_resting_target_recovers():
    health = Health(updated_ms=0)
    for _ in range(5):
        health = health.on_failure(0)
    assert health.score_at(0) < 0.2
    assert health.score_at(RECOVERY_HALF_LIFE_MS) > health.score_at(0)
    assert health.score_at(10 * RECOVERY_HALF_LIFE_MS) > 0.99
    assert health.failure_rate_at(10 * RECOVERY_HALF_LIFE_MS) < 0.01


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 100_000)), max_size=60))
def test_score_stays_in_bounds(events):
    health = Health(updated_ms=0)
    now = 0
    for ok, step in events:
        now += step
        health = health.on_success(now) if ok else health.on_failure(now)
        assert 0.0 <= health.score <= 1.0
        assert 0.0 <= health.score_at(now + 1) <= 1.0
        assert 0.0 <= health.failure_rate <= 1.0
