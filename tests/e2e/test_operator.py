"""Issue 6's proof: the operator surface, through the real OpenCode binary and from a shell.

Tools are called the way a user's model calls them (the fake provider asks for the call); shell
commands run with the sandbox's environment, so they share the running bridge's state store.
What counts is what the fake provider received (which key), and what the user saw.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest

from ..fake_provider import FakeProvider, Ok, Sequence
from .harness import OpenCodeSandbox
from .shim import bridge_events, installed_shim
from .test_failover import pooled_config

pytestmark = pytest.mark.e2e

KEYS = {"fake": "sk-test-first-aaaaaaaa", "fake2": "sk-test-second-bbbbbbb"}


def shell(box: OpenCodeSandbox, *args: str) -> subprocess.CompletedProcess[str]:
    """``o-switcher ARGS`` from a shell on the sandbox's machine (same store, same log)."""
    return subprocess.run([sys.executable, "-m", "bridge.cli", *args], env=box.env(), cwd=box.project, text=True,
                          capture_output=True, timeout=60)


def tool_outputs(fake: FakeProvider) -> list[str]:
    """What each tool answered, as OpenCode sent it back to the model."""
    return [m["content"] if isinstance(m["content"], str) else str(m["content"])
            for r in fake.chat_requests() for m in r.messages if m["role"] == "tool"]


def main_keys(fake: FakeProvider) -> list[str | None]:
    return [r.key for r in fake.chat_requests()]


def test_status_doctor_reload_and_a_wrong_name_through_opencode(oc, fake_provider: FakeProvider):
    box = oc(config=pooled_config(fake_provider.base_url, KEYS), plugins=installed_shim())

    result = box.run("CALL_TOOL:switcher-status:{} CALL_TOOL:switcher-doctor:{}"
                     ' CALL_TOOL:switcher-pause:{"target":"nope"} CALL_TOOL:switcher-reload:{}')

    assert result.returncode == 0, result.explain()
    status, doctor, pause, reload = tool_outputs(fake_provider)[:4]
    assert "O-Switcher status" in status and "fake2" in status and "pools:" in status, status
    rows = {line.split()[0]: line for line in doctor.splitlines() if line.strip()}
    assert "OK" in rows["opencode"] and "1.18.33" in rows["opencode"], doctor  # asked by the shim
    assert "OK" in rows["watchers"] and "OK" in rows["config"] and "OK" in rows["shim"], doctor
    assert pause == "Not done: no target named 'nope'; targets: fake, fake2", pause
    assert reload.startswith("config reloaded from ") and "no target changed; 2 target(s)." in reload, reload
    for key in KEYS.values():
        assert key not in status + doctor
    audited = [(e["via"], e["command"], e["ok"]) for e in bridge_events(box, "operator_command")]
    # OpenCode may run the four calls concurrently: their order in the log is not fixed.
    assert sorted(audited) == sorted([("tool", "status", True), ("tool", "doctor", True), ("tool", "pause", False),
                                      ("tool", "reload", True)]), audited


def test_pause_and_reload_from_a_shell_reach_the_running_bridge(oc, fake_provider: FakeProvider):
    # The first answer (the one asking for the tool call) takes 4 s: time to act from a shell.
    fake_provider.set_behaviour(KEYS["fake"], Sequence(Ok(delay_s=4.0), Ok()))
    fake_provider.set_behaviour(KEYS["fake2"], Ok())
    box = oc(config=pooled_config(fake_provider.base_url, KEYS), plugins=installed_shim())
    running = box.start("CALL_TOOL:switcher-status:{}")
    deadline = time.monotonic() + 30
    while KEYS["fake"] not in main_keys(fake_provider) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert main_keys(fake_provider) == [KEYS["fake"]], running.stderr_so_far()[-3000:]

    paused = shell(box, "pause", "fake")
    reload = shell(box, "reload")
    result = running.wait(timeout=60)

    assert paused.returncode == 0 and reload.returncode == 0, (paused, reload)
    assert result.returncode == 0, result.explain()
    # The request after the tool call went to the other target: the pause held, no restart.
    assert main_keys(fake_provider) == [KEYS["fake"], KEYS["fake2"]]
    [status] = tool_outputs(fake_provider)
    fake_row = next(line for line in status.splitlines() if line.startswith("fake "))
    assert "paused" in fake_row, status
    assert bridge_events(box, "operator_reload_applied"), "the bridge did not reload on request"
    assert [(e["via"], e["command"]) for e in bridge_events(box, "operator_command")][:2] == [("cli", "pause"), ("cli", "reload")]


def test_everything_paused_from_a_shell_refuses_requests_with_a_clear_message(oc, fake_provider: FakeProvider):
    box = oc(config=pooled_config(fake_provider.base_url, KEYS), plugins=installed_shim())
    assert shell(box, "pause", "fake").returncode == 0
    assert shell(box, "drain", "fake2").returncode == 0

    result = box.run("hello")

    assert result.returncode != 0, result.explain()
    assert "paused by you" in result.ui, result.explain()
    assert main_keys(fake_provider) == []
    assert result.duration_s < 20, result.explain()  # OpenCode did not retry the refusal


def test_switcher_use_pins_this_session_then_the_switcher_command_shows_status(oc, fake_provider: FakeProvider):
    box = oc(config=pooled_config(fake_provider.base_url, KEYS), plugins={})
    install = shell(box, "install")  # the shim and the /switcher command, as a user installs them
    assert install.returncode == 0, install.stderr
    assert (box.global_config_dir / "commands" / "switcher.md").is_file()

    pinned = box.run('CALL_TOOL:switcher-use:{"name":"fake2"}')
    command = box.run("CALL_TOOL:switcher-status:{}", args=("--command", "switcher"))

    assert pinned.returncode == 0 and command.returncode == 0, pinned.explain() + command.explain()
    first_run, second_run = main_keys(fake_provider)[:2], main_keys(fake_provider)[2:]
    # In the pinned session, the request after the tool call used the pinned target's key.
    assert first_run == [KEYS["fake"], KEYS["fake2"]], first_run
    # A new session (the command's run) is not pinned.
    assert second_run and second_run[0] == KEYS["fake"], second_run
    template = [m for m in fake_provider.chat_requests()[2].messages if m["role"] == "user"][-1]
    assert "switcher-status" in str(template["content"]), template
    assert "O-Switcher status" in tool_outputs(fake_provider)[-1]
    assert "this session now uses fake2" in tool_outputs(fake_provider)[0]


def test_status_shows_a_cooldown_until_when_and_why_and_the_failover(oc, fake_provider: FakeProvider):
    from ..fake_provider import rate_limited

    fake_provider.set_behaviour(KEYS["fake"], rate_limited(retry_after=600))
    box = oc(config=pooled_config(fake_provider.base_url, KEYS), plugins=installed_shim())

    result = box.run("CALL_TOOL:switcher-status:{}")

    assert result.returncode == 0, result.explain()
    [status] = tool_outputs(fake_provider)
    keys_out = status.split("keys out:")[1].split("pools:")[0]
    # Retry-After 600 s (plus the cooldown's jitter), from the server's hint.
    assert "fake-1" in keys_out and re.search(r"until \d\d:\d\d:\d\d UTC \(in 1[0-2]m\) RateLimited, hint", keys_out), status
    assert "none usable" in next(line for line in status.splitlines() if line.startswith("fake ")), status
    assert "fake2-1 sk-" in next(line for line in status.splitlines() if line.startswith("fake2 ")), status
    failovers = status.split("last failovers:")[1]
    assert "fake (fake-1)  fake2 (fake2-1)  RateLimited" in failovers, status
    assert KEYS["fake"] not in status
