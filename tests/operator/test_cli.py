"""``o-switcher status|pause|resume|drain|reset|use|unpin|reload|doctor`` in a sandboxed environment."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.store import StateStore, default_db_path

REPO = Path(__file__).resolve().parents[2]
CONFIG = {
    "provider": {
        pid: {"npm": "@ai-sdk/openai-compatible", "options": {"baseURL": "http://127.0.0.1:9/v1", "apiKey": key},
              "models": {"m": {}}}
        for pid, key in {"fake": "sk-test-aaaaaaaaaaaaaaaa1111", "solo": "sk-test-bbbbbbbbbbbbbbbb2222"}.items()
    }
}
CONFIG["provider"]["solo"]["options"]["baseURL"] = "http://127.0.0.1:10/v1"  # its own pool: a single key


@pytest.fixture
def box(tmp_path: Path) -> dict[str, str]:
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    (project / "opencode.json").write_text(json.dumps(CONFIG))
    return {
        "PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state"), "LANG": "C.UTF-8",
        "PROJECT": str(project),
    }


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bridge.cli", *args], env=env, cwd=env["PROJECT"], text=True,
                          capture_output=True, timeout=60)


def audit(env: dict[str, str]) -> list[dict]:
    log = Path(env["XDG_STATE_HOME"]) / "o-switcher" / "bridge.log"
    return [e for e in map(json.loads, log.read_text().splitlines()) if e["event"] == "operator_command"]


def test_pause_writes_the_flag_every_bridge_reads_and_is_audited(box):
    done = cli(box, "pause", "fake")
    assert done.returncode == 0 and done.stdout.startswith("paused fake"), done
    with StateStore(default_db_path(box)) as store:
        assert store.operator_flags()["fake"].paused
    [event] = audit(box)
    assert (event["via"], event["command"], event["ok"], event["target_id"]) == ("cli", "pause", True, "fake")

    done = cli(box, "resume", "fake", "--json")
    assert json.loads(done.stdout)["ok"] is True
    with StateStore(default_db_path(box)) as store:
        assert not store.operator_flags()["fake"].paused


def test_a_wrong_target_fails_with_the_list_of_targets(box):
    done = cli(box, "drain", "nope")
    assert done.returncode == 1
    assert "no target named 'nope'; targets: fake, solo" in done.stderr
    assert json.loads(cli(box, "reset", "nope", "--json").stdout)["ok"] is False


def test_status_reads_config_and_store(box):
    cli(box, "pause", "solo")
    cli(box, "use", "fake")
    done = cli(box, "status")
    assert done.returncode == 0, done
    assert "solo" in done.stdout and "paused" in done.stdout and "every session → fake" in done.stdout
    view = json.loads(cli(box, "status", "--json").stdout)
    assert {t["target_id"]: t["state"] for t in view["targets"]} == {"fake": "ok", "solo": "paused"}
    assert view["pins"] == {"*": "fake"}
    assert cli(box, "unpin").stdout.startswith("every session is no longer pinned")


def test_reload_validates_and_bumps_the_request_counter_only_when_valid(box):
    done = cli(box, "reload", "--json")
    assert json.loads(done.stdout)["ok"] is True and json.loads(done.stdout)["targets"] == ["fake", "solo"]
    Path(box["PROJECT"], "opencode.json").write_text('{"switcher": {"circuit_breaker": {"failure_threshold": 0}}}')
    done = cli(box, "reload")
    assert done.returncode == 1 and "failure_threshold" in done.stderr
    with StateStore(default_db_path(box)) as store:
        assert store.reload_requests() == 1


def verdicts(env: dict[str, str]) -> tuple[int, dict[str, str], dict[str, str]]:
    done = cli(env, "doctor", "--json")
    report = json.loads(done.stdout)
    return done.returncode, {c["name"]: c["verdict"] for c in report["checks"]}, {c["name"]: c["detail"] for c in report["checks"]}


def test_doctor_on_a_fresh_machine_warns_about_what_is_not_there_yet(box):
    rc, verdict, detail = verdicts(box)
    assert rc == 0
    assert verdict["state store"] == "warn" and "not created yet" in detail["state store"]
    assert not default_db_path(box).exists()  # doctor created nothing
    assert verdict["config"] == "ok" and verdict["auth.json"] == "warn" and verdict["shim"] == "warn"


def test_doctor_fails_an_invalid_config_with_its_path(box):
    Path(box["PROJECT"], "opencode.json").write_text('{"switcher": {"circuit_breaker": {"failure_threshold": 0}}}')
    rc, verdict, detail = verdicts(box)
    assert rc == 1 and verdict["config"] == "fail"
    assert "$.switcher.circuit_breaker.failure_threshold" in detail["config"]


def test_doctor_fails_an_unreadable_auth_json(box):
    auth = Path(box["XDG_DATA_HOME"]) / "opencode" / "auth.json"
    auth.mkdir(parents=True)  # a directory: unreadable as a file, even for root
    rc, verdict, detail = verdicts(box)
    assert rc == 1 and verdict["auth.json"] == "fail" and "cannot read" in detail["auth.json"]


def test_doctor_fails_a_state_dir_that_cannot_be_created(box):
    Path(box["XDG_DATA_HOME"]).write_text("a file where the data folder should be")
    rc, verdict, detail = verdicts(box)
    assert rc == 1 and verdict["state store"] == "fail" and "cannot be created" in detail["state store"]


def test_doctor_warns_about_a_pool_with_a_single_key(box):
    cli(box, "status")  # opens the store
    subprocess.run([sys.executable, "-m", "bridge.cli", "profiles", "import"], env=box, cwd=box["PROJECT"], check=True,
                   capture_output=True)
    rc, verdict, detail = verdicts(box)
    assert verdict["state store"] == "ok"
    single = [name for name, d in detail.items() if "a single key for solo" in d]
    assert single and verdict[single[0]] == "warn"


def test_status_from_a_shell_shows_the_last_failovers_from_the_bridges_log(box):
    log = Path(box["XDG_STATE_HOME"]) / "o-switcher" / "bridge.log"
    log.parent.mkdir(parents=True)
    event = {"event": "failover_start", "timestamp": "2026-11-28T19:59:57.760741Z", "from_target": "fake",
             "from_profile": "fake-1", "to_target": "solo", "to_profile": "solo-1", "error_class": "RateLimited"}
    log.write_text('cut line"failover_start"\n' + json.dumps(event) + "\n")
    done = cli(box, "status")
    assert "19:59:57 UTC  fake (fake-1)  solo (solo-1)  RateLimited" in done.stdout, done.stdout
