"""Random request histories through the failover service: it never crashes, never sends a key it
knows is dead or cooling, and never plans a wait past the run's limit."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.protocol import FetchDone
from tests.failover.test_service import OVERFLOW, RATE_LIMIT, REVOKED, Rig, key_of, providers

QUOTA = json.dumps({"error": {"message": "You exceeded your current quota.", "type": "insufficient_quota", "code": "insufficient_quota"}})
OUTCOMES = st.sampled_from([
    ("ok", None, "", {}),
    ("fail", 429, RATE_LIMIT, {"retry-after": "30"}),
    ("fail", 429, RATE_LIMIT, {"retry-after": "1"}),
    ("fail", 429, QUOTA, {}),
    ("fail", 401, REVOKED, {}),
    ("fail", 500, "Internal Server Error", {}),
    ("fail", 503, "Service Unavailable", {"retry-after": "2"}),
    ("fail", 529, json.dumps({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}), {}),
    ("fail", 400, OVERFLOW, {}),
    ("fail", None, "", {}),  # a transport error
    ("abort", None, "", {}),
])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    script=st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.lists(OUTCOMES, min_size=1, max_size=6),
                              st.integers(min_value=0, max_value=120_000)), min_size=1, max_size=8),
)
def test_random_histories(script):
    with tempfile.TemporaryDirectory() as tmp:
        rig = Rig(Path(tmp), providers(a="sk-test-aaa", b="sk-test-bbb", c="sk-test-ccc"), max_wait_ms=20_000)
        dead: set[str] = set()
        for provider, outcomes, pause in script:
            rig.clock.now += pause
            rid, plan = rig.begin(provider)
            waited = 0
            for action, status, body, headers in outcomes:
                while plan.action == "wait":
                    waited += plan.delay_ms
                    assert waited <= 20_000
                    rig.clock.now += plan.delay_ms
                    plan = rig.resume(rid, provider)
                if plan.action != "send":
                    assert plan.action in ("fail", "return", "pass")
                    break
                assert key_of(plan) not in dead
                if action == "ok":
                    rig.ok(rid, plan)
                    break
                if action == "abort":
                    rig.service.done(FetchDone(request_id=rid, attempt=plan.attempt, aborted=True))
                    break
                sent = key_of(plan)
                plan = rig.fail(rid, plan, status, body, headers, error=None if status else "socket hang up")
                if status == 401:
                    dead.add(sent)
            rig.clock.now += 1
