"""The real shim module under Node against the real bridge process (no OpenCode)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHIM = REPO / "js-shim" / "o-switcher.js"
DRIVER = Path(__file__).with_name("driver.mjs")
BRIDGE_CMD = [sys.executable, "-m", "bridge"]

pytestmark = pytest.mark.shim


def isolated_env(tmp_path: Path) -> dict[str, str]:
    """This environment, with every place the bridge reads or writes moved under ``tmp_path``."""
    home = tmp_path / "home"
    return {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "PYTHONPATH": str(REPO),
    }


def node() -> str:
    found = shutil.which("node")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("node is not installed: the shim tests need Node.js")
        pytest.skip("node is not installed")
    return found


class Driver:
    """The driver script: one JSON command in, one JSON answer out."""

    def __init__(self, tmp_path: Path, *, bridge_cmd=BRIDGE_CMD, options=None, shim: Path = SHIM) -> None:
        self.log = tmp_path / "state" / "bridge.log"
        self.project = tmp_path / "project"
        self.project.mkdir(exist_ok=True)
        env = {**isolated_env(tmp_path), "OSWITCHER_LOG": str(self.log), "OSWITCHER_BRIDGE_CMD": json.dumps(bridge_cmd)}
        self.proc = subprocess.Popen(
            [node(), str(DRIVER), json.dumps(options), str(shim)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=self.project,
        )

    def __call__(self, op: str, **fields) -> dict:
        self.proc.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, f"driver died: {self.proc.stderr.read()[-2000:]}"
        return json.loads(line)

    def bridge_pids(self) -> list[int]:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Until the bridge has answered ``initialize`` (it logs it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log.exists() and self.log.read_text().count('"event":"bridge_initialized"') >= self._ready_count + 1:
                self._ready_count += 1
                return
            time.sleep(0.02)
        raise AssertionError(f"bridge never initialized; log: {self.log.read_text() if self.log.exists() else '-'}")

    _ready_count = 0

    def close(self) -> int:
        self("dispose")
        return self.proc.wait(timeout=10)

    def log_events(self) -> list[dict]:
        return [json.loads(line) for line in self.log.read_text().splitlines()]


def test_hooks_round_trip_through_the_bridge(tmp_path):
    drive = Driver(tmp_path)
    drive.wait_ready()
    params = drive("params", sessionID="ses_a")
    headers = drive("headers", sessionID="ses_a")
    drive("event", type="session.status", properties={"sessionID": "ses_a", "status": {"type": "busy"}})
    drive("event", type="message.part.updated", properties={"sessionID": "ses_a"})
    tool = drive("tool", name="profiles-list")
    assert drive.close() == 0
    # Empty patches leave OpenCode's output as it was.
    assert params["output"] == {"temperature": 0.5, "topP": 1, "topK": 0, "options": {}}
    assert headers["output"] == {"headers": {}}
    assert "profiles" in tool["result"]["output"]
    events = drive.log_events()
    names = [e["event"] for e in events]
    assert "chat_params" in names and "chat_headers" in names and "tool_call" in names
    forwarded = [e for e in events if e["event"] == "opencode_event"]
    # Only the event types the bridge asked for at initialize are forwarded.
    assert [e["type"] for e in forwarded] == ["session.status"]
    chat = next(e for e in events if e["event"] == "chat_params")
    assert chat["session_id"] == "ses_a" and chat["provider_id"] == "fake" and chat["model_id"] == "fake-model"
    # The provider's options (with its key) are never sent to the bridge.
    assert "sk-test-never-sent" not in drive.log.read_text()


def test_a_stalled_bridge_costs_a_hook_at_most_its_timeout(tmp_path):
    stall = [sys.executable, "-c", "import time; time.sleep(5)"]
    drive = Driver(tmp_path, bridge_cmd=stall, options={"rpc": {"timeout_ms": 100}})
    time.sleep(0.3)
    params = drive("params")
    headers = drive("headers")
    drive.proc.kill()
    assert params["output"]["temperature"] == 0.5 and headers["output"] == {"headers": {}}
    assert 90 <= params["ms"] < 400
    assert 90 <= headers["ms"] < 400


def test_a_killed_bridge_is_restarted_and_hooks_pass_through_meanwhile(tmp_path):
    drive = Driver(tmp_path, options={"rpc": {"restart_base_ms": 500}})
    drive.wait_ready()
    [first] = drive.bridge_pids()
    os.kill(first, signal.SIGKILL)
    time.sleep(0.1)
    during = drive("params")  # no bridge: passes through at once
    assert during["output"]["temperature"] == 0.5 and during["ms"] < 50
    drive.wait_ready()
    [second] = drive.bridge_pids()
    assert second != first
    drive("params", sessionID="after_restart")
    assert drive.close() == 0
    assert any(e.get("session_id") == "after_restart" for e in drive.log_events())
    assert any(e["event"] == "bridge_exited" and e.get("source") == "shim" for e in drive.log_events())


def test_restarts_back_off_exponentially_up_to_the_cap(tmp_path):
    dies = [sys.executable, "-c", "import sys; sys.exit(3)"]
    drive = Driver(tmp_path, bridge_cmd=dies, options={"rpc": {"restart_base_ms": 50, "restart_max_ms": 400}})
    time.sleep(2.0)
    drive.proc.kill()
    exits = [e for e in drive.log_events() if e["event"] == "bridge_exited"]
    times = [time.mktime(time.strptime(e["timestamp"][:19], "%Y-%m-%dT%H:%M:%S")) + float("0." + e["timestamp"][20:23])
             for e in exits]
    gaps = [b - a for a, b in zip(times, times[1:])]
    # 50, 100, 200, 400, 400… ms: a handful of restarts in 2 s, not hundreds.
    assert 4 <= len(exits) <= 10, len(exits)
    assert max(gaps) < 0.7
    assert all(e["code"] == 3 for e in exits)


def test_dispose_closes_stdin_and_the_bridge_exits(tmp_path):
    drive = Driver(tmp_path)
    drive.wait_ready()
    [pid] = drive.bridge_pids()
    assert drive.close() == 0
    deadline = time.monotonic() + 2
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        status = Path(f"/proc/{pid}/status").read_text() if Path(f"/proc/{pid}/status").exists() else ""
        if "zombie" in status:
            break
        time.sleep(0.02)
    assert any(e["event"] == "bridge_stopped" and e["reason"] == "eof" for e in drive.log_events())


def test_bridge_stderr_goes_to_a_file_not_to_opencode(tmp_path):
    noisy = [sys.executable, "-c", "import sys, time; sys.stderr.write('noise from the bridge\\n'); sys.stderr.flush(); time.sleep(5)"]
    drive = Driver(tmp_path, bridge_cmd=noisy)
    time.sleep(0.5)
    drive.proc.kill()
    _, err = drive.proc.communicate()
    assert "noise from the bridge" not in err
    assert "noise from the bridge" in (tmp_path / "state" / "bridge-stderr.log").read_text()


def test_installed_shim_finds_its_recorded_bridge_without_env(tmp_path):
    from bridge.commands.install import render_shim, shim_source

    installed = tmp_path / "o-switcher.js"
    installed.write_text(render_shim(shim_source(), BRIDGE_CMD))
    env = {k: v for k, v in isolated_env(tmp_path).items() if k != "OSWITCHER_BRIDGE_CMD"}
    env.update(OSWITCHER_LOG=str(tmp_path / "state" / "bridge.log"), PATH="/usr/bin:/bin")
    proc = subprocess.run(
        [node(), str(DRIVER), "null", str(installed)],
        input='{"op":"sleep","ms":1500}\n{"op":"params","sessionID":"recorded"}\n{"op":"dispose"}\n',
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=20,
    )
    assert proc.returncode == 0, proc.stderr
    assert '"session_id":"recorded"' in (tmp_path / "state" / "bridge.log").read_text()


def test_profiles_list_shows_keys_from_auth_json_masked(tmp_path):
    data = tmp_path / "home" / ".local" / "share" / "opencode"
    data.mkdir(parents=True)
    (data / "auth.json").write_text(json.dumps({"openai": {"type": "api", "key": "sk-proj-shimtest0000aaaa"}}))
    drive = Driver(tmp_path)
    drive.wait_ready()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        output = drive("tool", name="profiles-list")["result"]["output"]
        if "openai" in output:
            break
        time.sleep(0.05)
    assert drive.close() == 0
    assert "openai" in output and "aaaa" in output
    assert "sk-proj-shimtest0000aaaa" not in output


def test_an_invalid_config_is_reported_to_the_user_with_its_path(tmp_path):
    drive = Driver(tmp_path)
    (drive.project / "opencode.json").write_text('{"switcher": {"circuit_breaker": {"failure_threshold": 0}}}')
    drive.wait_ready()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not (toasts := drive("toasts")["toasts"]):
        time.sleep(0.05)
    assert drive.close() == 0
    assert toasts and toasts[0]["variant"] == "error"
    assert "$.switcher.circuit_breaker.failure_threshold" in toasts[0]["message"]
    assert "opencode.json" in toasts[0]["message"]


def test_the_config_hook_gives_every_api_key_provider_the_fetch_and_leaves_oauth_logins_alone(tmp_path):
    data = tmp_path / "home" / ".local" / "share" / "opencode"
    data.mkdir(parents=True)
    (data / "auth.json").write_text(json.dumps({
        "openai": {"type": "api", "key": "sk-test-login"},
        "anthropic": {"type": "oauth", "refresh": "r-test", "access": "a-test", "expires": 0},
        "fake": {"type": "api", "key": "sk-test-fake"},
    }))
    drive = Driver(tmp_path)
    config = {"provider": {"fake": {"npm": "@ai-sdk/openai-compatible", "options": {"baseURL": "http://127.0.0.1:9"}},
                           "anthropic": {"options": {}}}}
    answer = drive("config", config=config)
    assert drive.close() == 0
    # openai: known only from its login, now has an entry with the fetch; anthropic logs in by
    # OAuth, so its own auth plugin keeps signing its requests.
    assert answer["wrapped"] == ["fake", "openai"]
    assert answer["providers"] == ["anthropic", "fake", "openai"]
