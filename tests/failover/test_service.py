"""The failover service with a fake clock and a real (temporary) state store, no OpenCode.

Each test plays the shim's fetch: ``begin`` a request, report how attempts ended, follow plans.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bridge.failover import FailoverService
from bridge.protocol import FetchBegin, FetchDone, FetchFailed
from bridge.store import StateStore
from oswitcher.config_check import validate
from oswitcher.config_merge import ConfigLayer
from oswitcher.give_up import opencode_would_retry
from oswitcher.profiles import credentials_from_providers
from oswitcher.routing import build_routing

BASE = "http://127.0.0.1:9/v1"
RATE_LIMIT = json.dumps({"error": {"message": "Rate limit reached for requests", "type": "requests", "code": "rate_limit_exceeded"}})
REVOKED = json.dumps({"error": {"message": "Incorrect API key provided: sk-test-***.", "type": "invalid_request_error", "code": "invalid_api_key"}})
OVERFLOW = json.dumps({"error": {"message": "This model's maximum context length is 8192 tokens.", "type": "invalid_request_error", "code": "context_length_exceeded"}})


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000_000

    def __call__(self) -> int:
        return self.now


def providers(**keys: str) -> dict:
    return {
        pid: {"npm": "@ai-sdk/openai-compatible", "options": {"baseURL": BASE, "apiKey": key}, "models": {"m": {}}}
        for pid, key in keys.items()
    }


class Rig:
    """A failover service over ``providers`` with its own store; ``toasts`` collects what the user saw."""

    def __init__(self, tmp_path: Path, provider_map: dict, *, store: StateStore | None = None, **switcher) -> None:
        self.clock = Clock()
        self.store = store or StateStore(tmp_path / "state.db")
        self.toasts: list[str] = []
        config = validate([ConfigLayer(source="test", text="", data={"provider": provider_map, "switcher": switcher})])
        self.store.upsert_profiles(credentials_from_providers(provider_map, source="test"), self.clock())
        routing = build_routing(config.discovery, config.providers, self.store.list_profiles())
        self.service = FailoverService(config=config.switcher, store=lambda: self.store, clock=self.clock,
                                       random=lambda: 0.5, toast=lambda message, **_: self.toasts.append(message))
        self.service.apply(config.switcher, routing)
        self.count = 0

    def begin(self, provider: str = "a"):
        self.count += 1
        rid = f"r{self.count}"
        return rid, self.service.begin(FetchBegin(request_id=rid, provider_id=provider, url=f"{BASE}/chat/completions", model="m"))

    def fail(self, rid: str, plan, status: int | None, body: str = "", headers: dict | None = None, error: str | None = None):
        return self.service.failed(FetchFailed(request_id=rid, attempt=plan.attempt, status=status, body=body,
                                               headers=headers or {}, error=error))

    def resume(self, rid: str, provider: str = "a"):
        """What the fetch does after a ``wait``: ask again for the same request."""
        return self.service.begin(FetchBegin(request_id=rid, provider_id=provider, url=f"{BASE}/chat/completions", model="m"))

    def ok(self, rid: str, plan) -> None:
        self.service.done(FetchDone(request_id=rid, attempt=plan.attempt))


def key_of(plan) -> str:
    return plan.headers["authorization"].removeprefix("Bearer ")


def test_first_attempt_uses_the_providers_own_key(tmp_path):
    rig = Rig(tmp_path, providers(a="sk-test-aaa", b="sk-test-bbb"))
    _, plan = rig.begin("a")
    assert plan.action == "send" and key_of(plan) == "sk-test-aaa"
    assert "authorization" in plan.strip_headers and plan.url is None


def test_a_429_moves_the_request_to_the_other_key_at_once(tmp_path):
    rig = Rig(tmp_path, providers(a="sk-test-aaa", b="sk-test-bbb"))
    rid, plan = rig.begin("a")
    nxt = rig.fail(rid, plan, 429, RATE_LIMIT, {"retry-after": "30"})
    assert nxt.action == "send" and nxt.delay_ms == 0 and key_of(nxt) == "sk-test-bbb"
    rig.ok(rid, nxt)
    assert any("switched" in t for t in rig.toasts)
    # The next request does not try the cooling key first.
    _, plan2 = rig.begin("a")
    assert key_of(plan2) == "sk-test-bbb"


def test_after_the_cooldown_the_preferred_key_gets_traffic_again(tmp_path):
    rig = Rig(tmp_path, providers(a="sk-test-aaa", b="sk-test-bbb"))
    rid, plan = rig.begin("a")
    rig.ok(rid, rig.fail(rid, plan, 429, RATE_LIMIT, {"retry-after": "30"}))
    rig.clock.now += 30_000 * 1.25 + 1  # the hint plus the most jitter
    _, plan = rig.begin("a")
    assert key_of(plan) == "sk-test-aaa"


def test_every_key_out_for_longer_than_the_wait_gives_up_with_a_message_opencode_will_not_retry(tmp_path):
    rig = Rig(tmp_path, providers(a="sk-test-aaa", b="sk-test-bbb"), max_wait_ms=5000)
    rid, plan = rig.begin("a")
    plan = rig.fail(rid, plan, 429, RATE_LIMIT, {"retry-after": "3600"})
    final = rig.fail(rid, plan, 429, RATE_LIMIT, {"retry-after": "3600"})
    assert final.action == "fail" and final.status == 400
    message = json.loads(final.body)["error"]["message"]
    assert "usable again at" in message and "a (" in message and "b (" in message
    assert not opencode_would_retry(final.body)
    # A new request gives up at once, without sending anything.
    _, plan = rig.begin("a")
    assert plan.action == "fail"


def test_a_short_wait_is_waited_out_instead_of_failing(tmp_path):
    rig = Rig(tmp_path, providers(a="sk-test-aaa"), max_wait_ms=60_000)
    rid, plan = rig.begin("a")
    nxt = rig.fail(rid, plan, 429, RATE_LIMIT, {"retry-after": "2"})
    assert nxt.action == "wait" and 2000 <= nxt.delay_ms <= 2500


def test_a_revoked_key_is_dead_for_every_later_request_and_the_user_is_told(tmp_path):
    rig = Rig(tmp_path, providers(a="sk-test-aaa", b="sk-test-bbb"))
    rid, plan = rig.begin("a")
    nxt = rig.fail(rid, plan, 401, REVOKED)
    assert key_of(nxt) == "sk-test-bbb"
    rig.clock.now += 10 * 3_600_000
    _, later = rig.begin("a")
    assert key_of(later) == "sk-test-bbb"
    dead = [p for p in rig.store.list_profiles() if p.status == "dead"]
    assert [p.provider for p in dead] == ["a"]
    assert any("rejected" in t for t in rig.toasts)


def test_context_overflow_hands_the_error_back_without_another_attempt(tmp_path):
    rig = Rig(tmp_path, providers(a="sk-test-aaa", b="sk-test-bbb"))
    rid, plan = rig.begin("a")
    assert rig.fail(rid, plan, 400, OVERFLOW).action == "return"


def test_a_server_error_is_retried_after_a_backoff_then_failed_over(tmp_path):
    rig = Rig(tmp_path, providers(a="sk-test-aaa", b="sk-test-bbb"))
    rid, plan = rig.begin("a")
    plan = rig.fail(rid, plan, 500, "Internal Server Error")
    assert plan.action == "wait" and plan.delay_ms > 0  # backoff before the next attempt
    rig.clock.now += plan.delay_ms
    nxt = rig.resume(rid)  # the shim's fetch asks again after waiting
    # Target a rests after a server error, so the retry goes to the other provider.
    assert nxt.action == "send" and key_of(nxt) == "sk-test-bbb"


def test_a_refused_connection_fails_over_to_another_provider_with_the_url_rewritten(tmp_path):
    provider_map = providers(a="sk-test-aaa")
    provider_map["z"] = {"npm": "@ai-sdk/openai-compatible", "options": {"baseURL": "http://127.0.0.1:7/v2", "apiKey": "sk-test-zzz"}, "models": {"m": {}}}
    rig = Rig(tmp_path, provider_map, retry_budget=0)
    rid, plan = rig.begin("a")
    nxt = rig.fail(rid, plan, None, error="Unable to connect. Is the computer able to access the url?")
    assert nxt.action == "send" and key_of(nxt) == "sk-test-zzz"
    assert nxt.url == "http://127.0.0.1:7/v2/chat/completions"


def test_another_window_never_sends_a_key_this_one_saw_rate_limited(tmp_path):
    first = Rig(tmp_path, providers(a="sk-test-aaa", b="sk-test-bbb"))
    second = Rig(tmp_path, providers(a="sk-test-aaa", b="sk-test-bbb"), store=StateStore(tmp_path / "state.db"))
    rid, plan = first.begin("a")
    first.fail(rid, plan, 429, RATE_LIMIT, {"retry-after": "30"})
    _, plan = second.begin("a")
    assert key_of(plan) == "sk-test-bbb"


def test_an_aborted_request_is_not_failed_over(tmp_path):
    rig = Rig(tmp_path, providers(a="sk-test-aaa", b="sk-test-bbb"))
    rid, plan = rig.begin("a")
    rig.service.done(FetchDone(request_id=rid, attempt=plan.attempt, aborted=True))
    assert rig.service.engine.in_flight("a") == 0
    _, again = rig.begin("a")
    assert key_of(again) == "sk-test-aaa"


def test_unknown_provider_passes_through(tmp_path):
    rig = Rig(tmp_path, providers(a="sk-test-aaa"))
    assert rig.begin("elsewhere")[1].action == "pass"


def test_a_report_for_an_unknown_request_hands_the_response_back(tmp_path):
    rig = Rig(tmp_path, providers(a="sk-test-aaa"))
    assert rig.service.failed(FetchFailed(request_id="nope", attempt=1, status=500)).action == "return"


@pytest.mark.parametrize("text", ["rate limited", "HTTP 429", "took 1500 ms", "Service Unavailable", "try again in 5s"])
def test_the_retry_phrase_check_catches_what_opencode_retries(text):
    assert opencode_would_retry(text)


def test_without_the_fetch_the_key_is_chosen_in_chat_headers_and_retry_events_rotate_it(tmp_path):
    provider_map = providers(a="sk-test-aaa")
    rig = Rig(tmp_path, provider_map)
    # A second login for provider a (from auth.json), older than the configured key.
    from oswitcher.profiles import Credential

    rig.store.upsert_profiles([Credential(provider="a", kind="api", secret="sk-test-old", source="auth.json")], rig.clock.now - 1000)
    config = validate([ConfigLayer(source="test", text="", data={"provider": provider_map})])
    rig.service.apply(config.switcher, build_routing(config.discovery, config.providers, rig.store.list_profiles()))

    first = rig.service.choose_headers("ses_1", "a", "m")
    assert first == {"authorization": "Bearer sk-test-aaa"}
    # OpenCode's own retry loop says the attempt got a 429.
    rig.service.on_session_event("session.status", {"sessionID": "ses_1", "status": {
        "type": "retry", "attempt": 1, "message": "Rate limit reached for requests", "next": rig.clock.now + 20_000}})
    second = rig.service.choose_headers("ses_1", "a", "m")
    assert second == {"authorization": "Bearer sk-test-old"}
    rig.service.on_session_event("session.idle", {"sessionID": "ses_1"})
    assert rig.service.engine.in_flight("a") == 0
    assert rig.service.choose_headers("ses_other", "b", "m") is None


def test_a_different_model_only_where_the_config_allows_it_and_the_user_is_told(tmp_path):
    provider_map = providers(a="sk-test-aaa")
    provider_map["other"] = {"npm": "@ai-sdk/openai-compatible", "options": {"baseURL": BASE, "apiKey": "sk-test-ooo"},
                             "models": {"other-model": {}}}
    strict = Rig(tmp_path / "strict", provider_map)
    rid, plan = strict.begin("a")
    assert strict.fail(rid, plan, 401, REVOKED).action == "fail"  # never silently another model

    lenient = Rig(tmp_path / "lenient", provider_map, allow_model_change=True)
    rid, plan = lenient.begin("a")
    nxt = lenient.fail(rid, plan, 401, REVOKED)
    assert nxt.action == "send" and nxt.model == "other-model" and key_of(nxt) == "sk-test-ooo"
    assert any("other-model" in t and "allow_model_change" in t for t in lenient.toasts)


def test_a_new_turn_moves_to_another_api_format_only_when_its_own_is_out_and_the_config_allows_it(tmp_path):
    provider_map = providers(a="sk-test-aaa")
    provider_map["claude"] = {"npm": "@ai-sdk/anthropic", "options": {"apiKey": "sk-ant-test-ccc"},
                              "models": {"claude-x": {}}}
    rig = Rig(tmp_path, provider_map, allow_model_change=True)
    assert rig.service.route_turn("ses_1", "a", "m") is None  # its own provider can serve
    rid, plan = rig.begin("a")
    rig.fail(rid, plan, 429, RATE_LIMIT, {"retry-after": "3600"})
    assert rig.service.route_turn("ses_1", "a", "m") == ("claude", "claude-x")
    assert any("claude/claude-x" in t for t in rig.toasts)
    assert rig.service.engine.in_flight("claude") == 0  # a peek, not a request

    strict = Rig(tmp_path / "strict", provider_map)
    rid, plan = strict.begin("a")
    strict.fail(rid, plan, 429, RATE_LIMIT, {"retry-after": "3600"})
    assert strict.service.route_turn("ses_1", "a", "m") is None  # the user's model is not left


def test_a_short_outage_of_its_own_format_keeps_the_turn_where_it_is(tmp_path):
    provider_map = providers(a="sk-test-aaa")
    provider_map["claude"] = {"npm": "@ai-sdk/anthropic", "options": {"apiKey": "sk-ant-test-ccc"},
                              "models": {"claude-x": {}}}
    rig = Rig(tmp_path, provider_map, allow_model_change=True, max_wait_ms=60_000)
    rid, plan = rig.begin("a")
    rig.fail(rid, plan, 429, RATE_LIMIT, {"retry-after": "5"})
    assert rig.service.route_turn("ses_1", "a", "m") is None  # the fetch will wait 5 s instead


def test_retries_never_wait_longer_in_total_than_the_run_may(tmp_path):
    rig = Rig(tmp_path, providers(a="sk-test-aaa"), max_wait_ms=10_000)
    rid, plan = rig.begin("a")
    waited = 0
    for _ in range(10):
        if plan.action == "wait":
            waited += plan.delay_ms
            rig.clock.now += plan.delay_ms
            plan = rig.resume(rid)
        elif plan.action == "send":
            plan = rig.fail(rid, plan, 503, "Service Unavailable", {"retry-after": "4"})
        else:
            break
    assert plan.action == "fail"  # given up, with a message, once waiting more would pass the limit
    assert 0 < waited <= 10_000
