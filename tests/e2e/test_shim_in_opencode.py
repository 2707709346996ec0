"""Issue 2's proof: the real OpenCode loads the shim, its hooks reach the bridge, and a tool the
model calls is answered by the bridge."""

from __future__ import annotations

import pytest

from ..fake_provider import FakeProvider, Ok
from .shim import bridge_events, bridge_log_path, installed_shim

pytestmark = pytest.mark.e2e


def test_plugin_loads_and_hooks_and_events_reach_the_bridge(oc, fake_provider: FakeProvider):
    fake_provider.set_behaviour(None, Ok("Answer through O-Switcher."))
    box = oc(plugins=installed_shim())

    result = box.run("say hello")

    assert result.returncode == 0, result.explain()
    assert result.stdout == "Answer through O-Switcher.\n", result.explain()
    assert result.plugin_errors() == []
    log = bridge_log_path(box).read_text() if bridge_log_path(box).exists() else ""
    [init] = bridge_events(box, "bridge_initialized")
    assert init["directory"] == str(box.project), log[-2000:]
    # chat.params and chat.headers ran for both requests (title and build) and reached the bridge.
    params = bridge_events(box, "chat_params")
    headers = bridge_events(box, "chat_headers")
    assert {e["agent"] for e in params} == {"title", "build"}, log[-2000:]
    assert {e["agent"] for e in headers} == {"title", "build"}
    assert {(e["provider_id"], e["model_id"]) for e in params} == {("fake", "fake-model")}
    session = next(e["session_id"] for e in params if e["agent"] == "build")
    assert session.startswith("ses")
    # Events, filtered by the shim to the types the bridge asked for.
    events = bridge_events(box, "opencode_event")
    assert {"session.status", "session.idle"} <= {e["type"] for e in events}, log[-2000:]
    assert all(e["type"] in {"session.status", "session.error", "session.idle", "message.updated"} for e in events)
    assert any(e["session_id"] == session for e in events)
    # The provider got exactly what vanilla OpenCode sends: an empty patch changes nothing.
    assert {r.key for r in fake_provider.requests} == {"sk-test-good"}
    # The bridge went away with OpenCode (EOF on its stdin).
    assert bridge_events(box, "bridge_stopped"), log[-2000:]


def test_the_model_calls_profiles_list_and_gets_the_bridges_masked_table(oc, fake_provider: FakeProvider):
    box = oc(plugins=installed_shim(), auth={"openai": {"type": "api", "key": "sk-proj-e2eauthkey00000a1b2"}})

    result = box.run("CALL_TOOL:profiles-list:{}")

    assert result.returncode == 0, result.explain()
    first, second = fake_provider.chat_requests()
    assert "profiles-list" in first.tool_names
    [tool_message] = [m for m in second.messages if m["role"] == "tool"]
    table = tool_message["content"]
    # The bridge's answer: both keys it knows (auth.json and the config's apiKey), masked.
    assert "openai" in table and "fake" in table, table
    assert "a1b2" in table and "sk-proj-e2eauthkey00000a1b2" not in table and "sk-test-good" not in table, table
    assert "profiles-list" in result.ui
    assert "sk-proj-e2eauthkey00000a1b2" not in result.stdout + result.stderr
    assert "sk-proj-e2eauthkey00000a1b2" not in bridge_log_path(box).read_text()
    assert [e["tool"] for e in bridge_events(box, "tool_call")] == ["profiles-list"]
