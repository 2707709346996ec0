"""The operator's tools as the bridge answers them (the e2e tests drive them through OpenCode)."""

from __future__ import annotations

import asyncio

import structlog

from bridge.operator import operator_tools
from bridge.protocol import ToolCallParams

from .conftest import KEYS


def call(runtime, tool: str, session: str | None = "s1", **args) -> str:
    result = operator_tools(runtime)[tool](ToolCallParams(name=tool, args=args, session_id=session))
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    return result.output


def test_status_lists_every_target_and_pool_and_never_a_key(runtime):
    out = call(runtime, "switcher-status")
    assert "fake " in out and "fake2" in out and "pools:" in out and "live" in out
    assert all(key not in out for key in KEYS.values())


def test_pause_with_a_wrong_or_missing_name_says_what_would_work(runtime):
    assert call(runtime, "switcher-pause", target="nope") == "Not done: no target named 'nope'; targets: fake, fake2"
    assert call(runtime, "switcher-pause", target="") == "Not done: say which target to pause; targets: fake, fake2"
    assert call(runtime, "switcher-use", name="nope").startswith("Not done: no target or profile named 'nope'")
    assert call(runtime, "switcher-reset", name="nope").startswith("Not done: no target named 'nope'")


def test_pause_then_status_then_resume_all(runtime):
    assert call(runtime, "switcher-pause", target="fake").startswith("paused fake")
    assert call(runtime, "switcher-drain", target="fake2").startswith("draining fake2")
    status = call(runtime, "switcher-status")
    assert "paused" in status and "drained" in status  # draining, and nothing in flight
    out = call(runtime, "switcher-resume", target="")
    assert "resumed fake:" in out and "resumed fake2:" in out
    assert call(runtime, "switcher-resume", target="") == "No target is paused or draining."


def test_use_and_unpin_are_per_session_and_shown_in_status(runtime):
    assert "this session now uses fake2" in call(runtime, "switcher-use", name="fake2")
    assert "this session → fake2" in call(runtime, "switcher-status")
    assert "session s1 → fake2" in call(runtime, "switcher-status", session="s2")
    assert call(runtime, "switcher-unpin") == "this session is no longer pinned."
    assert "pins: none" in call(runtime, "switcher-status")


def test_profiles_list_shows_uses_last_error_and_what_holds_a_key(runtime):
    label = [p.label for p in runtime.store.list_profiles() if p.provider == "fake2"][0]
    call(runtime, "switcher-use", name=label)
    out = call(runtime, "profiles-list")
    assert "uses" in out and "last error" in out and "now" in out and "pinned" in out
    assert all(key not in out for key in KEYS.values())


def test_every_action_is_an_operator_command_audit_event(runtime):
    with structlog.testing.capture_logs() as logs:
        call(runtime, "switcher-pause", target="fake")
        call(runtime, "switcher-pause", target="nope")
    events = [e for e in logs if e["event"] == "operator_command"]
    assert [(e["via"], e["command"], e["ok"]) for e in events] == [("tool", "pause", True), ("tool", "pause", False)]
    assert events[0]["target_id"] == "fake" and "paused fake" in events[0]["message"]


def test_doctor_in_a_bridge_reports_versions_store_and_single_key_pools(runtime, tmp_path):
    runtime.env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
                   "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    out = operator_tools(runtime)["switcher-doctor"](
        ToolCallParams(name="switcher-doctor", args={}, session_id="s1", opencode_version="1.18.33"))
    text = out.output
    lines = {line.split()[0]: line for line in text.splitlines() if line.strip()}
    assert "OK" in lines["opencode"] and "1.18.33" in lines["opencode"], text
    assert "state store" in text and "healthy" in text
    assert "watchers" in text and "FAIL" in text  # this runtime has no watcher
    assert "2 keys for fake, fake2" in text


def test_the_tools_the_bridge_answers_are_the_ones_the_protocol_names():
    from bridge.operator import operator_tools
    from bridge.protocol import TOOLS

    class Runtime:  # operator_tools only keeps a reference until a tool runs
        pass

    assert set(operator_tools(Runtime())) == set(TOOLS)  # type: ignore[arg-type]
