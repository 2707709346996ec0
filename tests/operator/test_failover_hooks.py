"""Operator requests written to the store change what a running bridge's failover service does."""

from __future__ import annotations

from bridge.operator.actions import Operator
from bridge.protocol import FetchBegin, FetchFailed
from oswitcher.give_up import opencode_would_retry

from .conftest import BASE, KEYS


def begin(runtime, request_id: str = "r1", session: str | None = "s1", provider: str = "fake"):
    return runtime.failover.begin(FetchBegin(request_id=request_id, provider_id=provider,
                                             url=f"{BASE}/chat/completions", model="m", session_id=session))


def key_of(plan) -> str:
    return plan.headers["authorization"].removeprefix("Bearer ")


def operator(runtime, via="cli") -> Operator:
    return Operator(store=runtime.store, target_ids=lambda: ["fake", "fake2"], clock=runtime.clock, via=via)


def test_a_paused_origin_sends_the_request_to_the_other_target(runtime):
    assert key_of(begin(runtime, "r0")) == KEYS["fake"]
    assert operator(runtime).pause("fake").ok

    plan = begin(runtime, "r1")

    assert plan.action == "send" and key_of(plan) == KEYS["fake2"]


def test_everything_paused_is_refused_with_a_message_opencode_does_not_retry(runtime):
    operator(runtime).pause("fake")
    operator(runtime).drain("fake2")

    plan = begin(runtime)

    assert plan.action == "fail"
    assert "paused by you" in plan.body and "resume" in plan.body
    assert not opencode_would_retry(plan.body)


def test_resume_gives_the_target_its_traffic_back(runtime):
    operator(runtime).pause("fake")
    begin(runtime, "r0")
    operator(runtime).resume("fake")

    assert key_of(begin(runtime, "r1")) == KEYS["fake"]


def test_a_session_pin_wins_over_the_origin_and_only_for_that_session(runtime):
    assert operator(runtime, "tool").use("fake2", "s1").ok

    assert key_of(begin(runtime, "r1", session="s1")) == KEYS["fake2"]
    assert key_of(begin(runtime, "r2", session="s2")) == KEYS["fake"]

    operator(runtime, "tool").unpin("s1")
    assert key_of(begin(runtime, "r3", session="s1")) == KEYS["fake"]


def test_a_pin_that_cannot_serve_falls_back_to_normal_selection(runtime):
    operator(runtime).use("fake2", None)  # every session
    operator(runtime).pause("fake2")

    assert key_of(begin(runtime, "r1", session="any")) == KEYS["fake"]


def test_a_profile_pin_picks_that_key(runtime):
    label = [p.label for p in runtime.store.list_profiles() if p.provider == "fake2"][0]
    operator(runtime).use(label, None)

    assert key_of(begin(runtime, "r1", session=None)) == KEYS["fake2"]


def test_reset_from_the_store_clears_the_engine_s_own_cooldown(runtime, clock):
    plan = begin(runtime, "r1")
    runtime.failover.failed(FetchFailed(request_id="r1", attempt=plan.attempt, status=429,
                                        headers={"retry-after": "3600"}, body="{}"))
    assert key_of(begin(runtime, "r2")) == KEYS["fake2"]  # fake's key cools for an hour

    assert operator(runtime).reset("fake").ok

    assert key_of(begin(runtime, "r3")) == KEYS["fake"]


def test_reset_of_a_dead_profile_revives_it(runtime):
    plan = begin(runtime, "r1")
    runtime.failover.failed(FetchFailed(request_id="r1", attempt=plan.attempt, status=401,
                                        body='{"error": {"code": "invalid_api_key", "message": "Incorrect API key"}}'))
    dead = [p for p in runtime.store.list_profiles() if p.status == "dead"]
    assert [p.provider for p in dead] == ["fake"]
    assert key_of(begin(runtime, "r2")) == KEYS["fake2"]

    result = operator(runtime).reset(dead[0].label)

    assert result.ok and result.profile_id == dead[0].id
    assert key_of(begin(runtime, "r3")) == KEYS["fake"]
