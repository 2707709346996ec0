"""The bridge as a real process: stdout carries frames only, clean exits, a redacted log."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path


from tests.bridge.conftest import frame
from tests.bridge.test_redaction import CANARIES
from tests.shim.test_shim_bridge import isolated_env


def start_bridge(tmp_path: Path, **extra_env: str) -> subprocess.Popen[bytes]:
    env = {**isolated_env(tmp_path), "OSWITCHER_LOG": str(tmp_path / "bridge.log"), **extra_env}
    return subprocess.Popen(
        [sys.executable, "-m", "bridge"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )


def read_frames(proc: subprocess.Popen[bytes], count: int, timeout: float = 5.0) -> list[dict]:
    """Read exactly ``count`` frames from the bridge's stdout."""
    out = []
    deadline = time.monotonic() + timeout
    stdout = proc.stdout
    while len(out) < count:
        assert time.monotonic() < deadline, "bridge did not answer in time"
        header = b""
        while not header.endswith(b"\r\n\r\n"):
            byte = stdout.read(1)
            assert byte, f"bridge closed stdout; stderr: {proc.stderr.read().decode()[-2000:]}"
            header += byte
        length = int(header.split(b":")[1])
        out.append(json.loads(stdout.read(length)))
    return out


def initialize(msg_id: int = 1) -> bytes:
    return frame({"jsonrpc": "2.0", "id": msg_id, "method": "initialize", "params": {"shimVersion": "test"}})


def test_initialize_reports_versions_and_wanted_events(tmp_path):
    proc = start_bridge(tmp_path)
    proc.stdin.write(initialize())
    proc.stdin.flush()
    [reply] = read_frames(proc, 1)
    proc.stdin.close()
    assert proc.wait(timeout=5) == 0
    result = reply["result"]
    assert result["protocol"] == 1 and result["pid"] == proc.pid
    assert "session.error" in result["events"] and "session.status" in result["events"]
    assert result["logPath"] == str(tmp_path / "bridge.log")
    assert "profiles-list" in result["tools"]


def test_exits_on_stdin_eof_within_one_second(tmp_path):
    proc = start_bridge(tmp_path)
    proc.stdin.write(initialize())
    proc.stdin.flush()
    read_frames(proc, 1)
    t0 = time.monotonic()
    proc.stdin.close()
    assert proc.wait(timeout=5) == 0
    assert time.monotonic() - t0 < 1.0


def test_exits_on_sigterm_within_one_second(tmp_path):
    proc = start_bridge(tmp_path)
    proc.stdin.write(initialize())
    proc.stdin.flush()
    read_frames(proc, 1)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=5) == 0
    assert time.monotonic() - t0 < 1.0
    assert "bridge_stopped" in (tmp_path / "bridge.log").read_text()


def test_shutdown_request_is_answered_then_the_process_exits(tmp_path):
    proc = start_bridge(tmp_path)
    proc.stdin.write(frame({"jsonrpc": "2.0", "id": 9, "method": "shutdown"}))
    proc.stdin.flush()
    assert read_frames(proc, 1) == [{"jsonrpc": "2.0", "id": 9, "result": None}]
    assert proc.wait(timeout=2) == 0


def test_stray_prints_and_child_output_never_reach_the_wire(tmp_path):
    # Python code in the bridge printing, and a child process inheriting fd 1, both land on stderr.
    code = (
        "import os, subprocess, sys\n"
        "from bridge import server\n"
        "wire = server.claim_stdout()\n"
        "print('stray print')\n"
        "subprocess.run(['echo', 'child output'])\n"
        "os.write(wire, b'Content-Length: 2\\r\\n\\r\\n{}')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=Path(__file__).resolve().parents[2])
    assert done.stdout == b"Content-Length: 2\r\n\r\n{}"
    assert b"stray print" in done.stderr and b"child output" in done.stderr


def test_bad_input_never_kills_the_process_and_secrets_never_reach_the_log(tmp_path):
    proc = start_bridge(tmp_path)
    canary_event = {"type": "session.error", "properties": {
        "sessionID": "s1",
        "error": {"name": "APIError", "data": {"message": f"Incorrect API key provided: {CANARIES[0]}",
                                                "responseHeaders": {"authorization": f"Bearer {CANARIES[1]}"}}},
        "apiKey": CANARIES[2],
    }}
    data = (
        b"Content-Length: 7\r\n\r\n{broken"
        + b"Content-Length: nope\r\n\r\n"
        + frame({"jsonrpc": "2.0", "id": 1, "method": "chat/params", "params": {"sessionId": CANARIES[3]}})
        + frame({"jsonrpc": "2.0", "method": "event", "params": canary_event})
        + frame({"jsonrpc": "2.0", "id": 2, "method": "tool/call", "params": {"name": "x", "args": {"key": CANARIES[4]}}})
        + frame([1, 2])
        + initialize(3)
    )
    proc.stdin.write(data)
    proc.stdin.flush()
    replies = read_frames(proc, 6)
    proc.stdin.close()
    assert proc.wait(timeout=5) == 0
    # tool/call is answered by a coroutine (some tools await), so its reply may come after later ones.
    codes = [r.get("error", {}).get("code") for r in replies]
    assert sorted(codes, key=str) == sorted([-32700, -32600, -32602, None, -32600, None], key=str), codes
    assert [r for r in replies if r.get("id") == 3][0]["result"]["protocol"] == 1
    log = (tmp_path / "bridge.log").read_text()
    lines = [json.loads(line) for line in log.splitlines()]
    assert {"opencode_event", "invalid_params", "bad_json", "bad_frame", "tool_call"} <= {l["event"] for l in lines}
    for canary in CANARIES:
        assert canary not in log
    for canary in CANARIES:
        assert canary not in json.dumps(replies)


def test_log_file_is_private(tmp_path):
    proc = start_bridge(tmp_path)
    proc.stdin.close()
    proc.wait(timeout=5)
    assert (tmp_path / "bridge.log").stat().st_mode & 0o777 == 0o600
