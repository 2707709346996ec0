"""Issue 5's proof: the outcomes a user sees (design.md), against the real OpenCode binary.

Each test asserts on what the fake provider received (which key, how many requests) and on what
the user saw (exit code, output), not only on O-Switcher's own log.
"""

from __future__ import annotations

from typing import Any

import pytest

from ..fake_provider import FakeProvider, Ok, rate_limited, revoked, unused_port
from .harness import fake_provider_config
from .harness import pooled_provider_config as pooled_config
from .shim import bridge_events, bridge_log_path, installed_shim

pytestmark = pytest.mark.e2e


def main_requests(fake: FakeProvider) -> list[Any]:
    return fake.chat_requests()


def test_baseline_and_429_retry_after_30_on_the_first_key_costs_milliseconds(oc, fake_provider: FakeProvider):
    fake_provider.set_behaviour("sk-test-limited", rate_limited(retry_after=30))
    fake_provider.set_behaviour("sk-test-good", Ok("Served by the second key."))
    baseline_box = oc(config=pooled_config(fake_provider.base_url, {"fake": "sk-test-good"}), plugins=installed_shim())
    baseline = baseline_box.run("hello")
    assert baseline.returncode == 0, baseline.explain()
    fake_provider.clear_requests()

    box = oc(
        config=pooled_config(fake_provider.base_url, {"fake": "sk-test-limited", "fake2": "sk-test-good"}),
        plugins=installed_shim(),
    )
    result = box.run("hello")

    assert result.returncode == 0, result.explain()
    assert result.stdout == "Served by the second key.\n", result.explain()
    keys = [r.key for r in main_requests(fake_provider)]
    # One 429 on the first key, then the second key; the first is never sent again in this run.
    assert keys == ["sk-test-limited", "sk-test-good"], keys
    assert result.duration_s - baseline.duration_s < 2.0, (baseline.duration_s, result.duration_s)
    log = bridge_log_path(box).read_text()
    [cooldown] = bridge_events(box, "cooldown_set")
    assert cooldown["error_class"] == "RateLimited" and cooldown["source"] == "hint", log[-3000:]
    assert bridge_events(box, "failover_start"), log[-3000:]
    summaries = [e for e in bridge_events(box, "request_summary") if e["outcome"] == "success"]
    assert any(s["failovers"] == 1 and s["targets"] == ["fake", "fake2"] for s in summaries), summaries
    assert any(e["variant"] == "warning" and "switched" in e["message"] for e in bridge_events(box, "toast"))
    assert "sk-test-limited" not in log and "sk-test-good" not in log


def test_a_provider_refusing_connections_fails_over_to_the_next(oc, fake_provider: FakeProvider):
    fake_provider.set_behaviour(None, Ok("From the provider that is up."))
    config = pooled_config(fake_provider.base_url, {"fake": "sk-test-good", "up": "sk-test-other"})
    down = f"http://127.0.0.1:{unused_port()}/v1"
    config["provider"]["fake"]["options"]["baseURL"] = down  # same package, another (dead) server
    box = oc(config=config, plugins=installed_shim())

    result = box.run("hello")

    assert result.returncode == 0, result.explain()
    assert result.stdout == "From the provider that is up.\n", result.explain()
    assert {r.key for r in main_requests(fake_provider)} == {"sk-test-other"}
    assert result.duration_s < 20, result.explain()
    summaries = bridge_events(box, "request_summary")
    assert any(s["outcome"] == "success" and s["targets"] == ["fake", "up"] for s in summaries), summaries
    # The user is told (a toast in the TUI; headless, the bridge's log shows what it asked for).
    assert any("switched to up" in t["message"] for t in bridge_events(box, "toast")), bridge_events(box, "toast")


def test_every_key_cooling_for_an_hour_ends_the_run_promptly_with_a_clear_message(oc, fake_provider: FakeProvider):
    fake_provider.set_behaviour("sk-test-a", rate_limited(retry_after=3600))
    fake_provider.set_behaviour("sk-test-b", rate_limited(retry_after=3600))
    box = oc(
        config=pooled_config(fake_provider.base_url, {"fake": "sk-test-a", "fake2": "sk-test-b"},
                             switcher={"max_wait_ms": 5000}),
        plugins=installed_shim(),
    )

    result = box.run("hello", timeout=60)

    assert not result.timed_out, result.explain()
    assert result.returncode != 0, result.explain()
    assert result.duration_s < 20, result.explain()
    assert "O-Switcher stopped this request" in result.ui, result.explain()
    assert "usable again at" in result.ui, result.explain()
    # Each key was tried once; OpenCode did not retry O-Switcher's answer.
    assert sorted(r.key for r in main_requests(fake_provider)) == ["sk-test-a", "sk-test-b"]


def test_a_revoked_key_is_marked_dead_never_sent_again_and_shown_dead(oc, fake_provider: FakeProvider):
    fake_provider.set_behaviour("sk-test-revoked", revoked())
    fake_provider.set_behaviour("sk-test-good", Ok("Fine."))
    config = pooled_config(fake_provider.base_url, {"fake": "sk-test-revoked", "fake2": "sk-test-good"})
    box = oc(config=config, plugins=installed_shim())

    first = box.run("hello")
    second = box.run("CALL_TOOL:profiles-list:{}")

    assert first.returncode == 0 and second.returncode == 0, first.explain() + second.explain()
    keys = [r.key for r in fake_provider.requests if not r.is_title]
    assert keys.count("sk-test-revoked") == 1, keys  # never again, in this run or the next
    tool_output = [m for m in fake_provider.chat_requests()[-1].messages if m["role"] == "tool"][0]["content"]
    assert "dead" in tool_output, tool_output
    assert "sk-test-revoked" not in tool_output
    assert bridge_events(box, "key_marked_dead")


def test_context_overflow_is_neither_retried_nor_failed_over(oc, fake_provider: FakeProvider):
    from ..fake_provider import Status

    overflow = Status(400, body={"error": {"message": "This model's maximum context length is 128000 tokens. However, your messages resulted in 200000 tokens.", "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}})
    fake_provider.set_behaviour("sk-test-big", overflow)
    config = pooled_config(fake_provider.base_url, {"fake": "sk-test-big", "fake2": "sk-test-good"})
    config["compaction"] = {"auto": False}
    box = oc(config=config, plugins=installed_shim())

    result = box.run("hello")

    assert result.returncode != 0, result.explain()
    assert [r.key for r in main_requests(fake_provider)] == ["sk-test-big"]
    assert not bridge_events(box, "failover_start")


def test_a_cooling_key_is_not_sent_by_the_next_window_and_the_preferred_key_comes_back(oc, fake_provider: FakeProvider):
    from ..fake_provider import Sequence

    # The first key answers 429 (Retry-After: 12) once, then recovers.
    fake_provider.set_behaviour("sk-test-first", Sequence(rate_limited(retry_after=12), Ok("first key")))
    fake_provider.set_behaviour("sk-test-second", Ok("second key"))
    box = oc(config=pooled_config(fake_provider.base_url, {"fake": "sk-test-first", "fake2": "sk-test-second"}),
             plugins=installed_shim())

    one = box.run("hello")   # 429 on the first key → the second
    two = box.run("hello")   # another OpenCode process (another window): the cooling key is skipped
    import time

    [cooldown] = bridge_events(box, "cooldown_set")
    while time.time() * 1000 < cooldown["until_ms"] + 200:
        time.sleep(0.2)
    three = box.run("hello")  # the cooldown is over: back to the preferred key

    assert [r.returncode for r in (one, two, three)] == [0, 0, 0], one.explain() + two.explain() + three.explain()
    assert [one.stdout, two.stdout, three.stdout] == ["second key\n", "second key\n", "first key\n"]
    assert [r.key for r in main_requests(fake_provider)] == ["sk-test-first", "sk-test-second", "sk-test-second", "sk-test-first"]


def test_two_logins_are_both_kept_listed_and_used(oc, fake_provider: FakeProvider):
    fake_provider.set_behaviour("sk-test-login-one", Ok("answered by login one"))
    fake_provider.set_behaviour("sk-test-login-two", rate_limited(retry_after=60))
    box = oc(config=fake_provider_config(fake_provider.base_url, api_key=None), plugins=installed_shim(),
             auth={"fake": {"type": "api", "key": "sk-test-login-one"}})
    first = box.run("hello")
    box.write_auth({"fake": {"type": "api", "key": "sk-test-login-two"}})  # `opencode auth login` again

    second = box.run("CALL_TOOL:profiles-list:{}")

    assert first.returncode == 0 and second.returncode == 0, first.explain() + second.explain()
    # OpenCode itself now only knows the second key; it is rate limited, O-Switcher uses the first.
    keys = [r.key for r in main_requests(fake_provider)]
    assert keys[0] == "sk-test-login-one" and "sk-test-login-two" in keys[1:], keys
    assert keys[-1] == "sk-test-login-one", keys
    table = [m for m in main_requests(fake_provider)[-1].messages if m["role"] == "tool"][0]["content"]
    assert table.count("fake") >= 2 and "sk-test-login" not in table, table


def test_a_spent_quota_on_every_key_ends_the_run_without_a_loop(oc, fake_provider: FakeProvider):
    from ..fake_provider import INSUFFICIENT_QUOTA_429_BODY, Status

    spent = Status(429, body=INSUFFICIENT_QUOTA_429_BODY)
    fake_provider.set_behaviour("sk-test-spent-a", spent)
    fake_provider.set_behaviour("sk-test-spent-b", spent)
    box = oc(config=pooled_config(fake_provider.base_url, {"fake": "sk-test-spent-a", "fake2": "sk-test-spent-b"}),
             plugins=installed_shim())

    result = box.run("hello", timeout=60)

    assert not result.timed_out and result.returncode != 0, result.explain()
    assert result.duration_s < 20, result.explain()
    assert sorted(r.key for r in main_requests(fake_provider)) == ["sk-test-spent-a", "sk-test-spent-b"]
    assert "quota" in result.ui, result.explain()
    cooldowns = bridge_events(box, "cooldown_set")
    assert {c["error_class"] for c in cooldowns} == {"QuotaExhausted"}
    assert all(c["until_ms"] - c["at_ms"] >= 3_000_000 for c in cooldowns), cooldowns


def test_the_run_completes_when_the_bridge_is_killed_mid_run(oc, fake_provider: FakeProvider):
    import os
    import signal
    import time

    fake_provider.set_behaviour(None, Ok("slow but sure", delay_s=4))
    box = oc(plugins=installed_shim())
    running = box.start("hello")
    deadline = time.monotonic() + 20
    bridge_pid = None
    while time.monotonic() < deadline and bridge_pid is None:
        started = bridge_events(box, "bridge_started")
        bridge_pid = started[0]["pid"] if started else None
        time.sleep(0.05)
    assert bridge_pid is not None, running.stderr_so_far()[-2000:]
    fake_provider.wait_for_requests(1, timeout=20)
    os.kill(bridge_pid, signal.SIGKILL)

    result = running.wait(timeout=60)

    assert result.returncode == 0, result.explain()
    assert result.stdout == "slow but sure\n", result.explain()
    # The shim started a new bridge (OpenCode's later hooks and the title request went on).
    deadline = time.monotonic() + 5
    while len(bridge_events(box, "bridge_started")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(bridge_events(box, "bridge_started")) >= 2, bridge_log_path(box).read_text()[-2000:]


def test_editing_opencode_json_applies_to_the_next_request_without_a_restart(oc, fake_provider: FakeProvider):
    import json as _json
    import time

    fake_provider.set_behaviour(None, Ok("ok"))
    config = fake_provider_config(fake_provider.base_url, api_key="sk-test-before")
    box = oc(config=config, plugins=installed_shim())
    # The model calls bash `sleep 5`; meanwhile the user edits opencode.json, twice.
    running = box.start('CALL_TOOL:bash:{"command":"sleep 5","description":"wait a bit"}')
    deadline = time.monotonic() + 30
    while not main_requests(fake_provider) and time.monotonic() < deadline:
        time.sleep(0.05)
    first_key = main_requests(fake_provider)[0].key
    # An invalid edit first: rejected with its path, the last good config stays in force.
    invalid = {**config, "switcher": {"circuit_breaker": {"failure_threshold": 0}}}
    (box.project / "opencode.json").write_text(_json.dumps(invalid))
    deadline = time.monotonic() + 10
    while not bridge_events(box, "config_rejected") and time.monotonic() < deadline:
        time.sleep(0.05)
    config["provider"]["fake"]["options"]["apiKey"] = "sk-test-after"
    (box.project / "opencode.json").write_text(_json.dumps(config))
    result = running.wait(timeout=60)

    assert result.returncode == 0, result.explain()
    keys = [r.key for r in main_requests(fake_provider)]
    assert first_key == "sk-test-before" and keys[-1] == "sk-test-after", keys
    [rejected] = bridge_events(box, "config_rejected")
    assert rejected["path"] == "$.switcher.circuit_breaker.failure_threshold" and rejected["line"], rejected
    assert any(t["variant"] == "error" and "failure_threshold" in t["message"] for t in bridge_events(box, "toast"))
    assert bridge_events(box, "config_applied")
