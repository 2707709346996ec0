"""The sandbox itself, with a stand-in shell script for the binary (fast, no OpenCode)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from .harness import OpenCodeSandbox, fake_provider_config

# Prints its arguments, cwd and environment as JSON, then behaves as $STANDIN_MODE says.
STANDIN = """#!/usr/bin/env python3
import json, os, sys, time
print(json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd(), "env": dict(os.environ)}))
mode = os.environ.get("STANDIN_MODE", "")
if mode == "hang":
    time.sleep(60)
print("to stderr", file=sys.stderr)
sys.exit(3 if mode == "fail" else 0)
"""


@pytest.fixture
def box(tmp_path: Path) -> OpenCodeSandbox:
    binary = tmp_path / "opencode"
    binary.write_text(STANDIN)
    binary.chmod(0o755)
    return OpenCodeSandbox(binary=binary, root=tmp_path / "sandbox", extra_path=(tmp_path / "venv-bin",))


def test_the_environment_is_built_from_nothing(box: OpenCodeSandbox, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-leak")
    env = box.env({"EXTRA": "1"})
    assert "OPENAI_API_KEY" not in env
    assert env["EXTRA"] == "1"
    assert env["HOME"].startswith(str(box.root)) and env["XDG_STATE_HOME"].startswith(str(box.root))
    assert env["PATH"].split(os.pathsep)[0].endswith("venv-bin")
    assert env["OPENCODE_DISABLE_AUTOUPDATE"] == "1"
    assert env["npm_config_registry"].startswith("http://127.0.0.1:")


def test_global_config_dir_gets_the_plugin_install_trick(box: OpenCodeSandbox):
    d = box.global_config_dir
    assert (d / "node_modules").is_dir() and not any((d / "node_modules").iterdir())
    assert json.loads((d / "package.json").read_text())["dependencies"] == {"@opencode-ai/plugin": "1.18.33"}
    lock = json.loads((d / "package-lock.json").read_text())
    assert lock["lockfileVersion"] == 3
    assert lock["packages"][""]["dependencies"] == {"@opencode-ai/plugin": "1.18.33"}
    assert (box.project / ".git").is_dir()


def test_files_land_where_opencode_looks(box: OpenCodeSandbox):
    config = fake_provider_config("http://127.0.0.1:1/v1")
    assert box.write_config(config) == box.project / "opencode.json"
    assert box.write_config(config, location="global") == box.global_config_dir / "opencode.json"
    assert box.write_config(config, location="dot-opencode") == box.project / ".opencode" / "opencode.json"
    assert (box.project / ".opencode" / "package-lock.json").exists()
    auth = box.write_auth({"fake": {"type": "api", "key": "sk-test-a"}})
    assert auth == box.data_home / "opencode" / "auth.json"
    assert stat.S_IMODE(auth.stat().st_mode) == 0o600
    assert box.add_plugin("p.js", "export const P = async () => ({})", location="project") == (
        box.project / ".opencode" / "plugins" / "p.js"
    )


def test_run_passes_the_prompt_as_words_after_the_flags(box: OpenCodeSandbox):
    result = box.run("-x  two words", model="fake/fake-model", args=("--format", "json"))
    assert result.returncode == 0, result.explain()
    seen = result.events()[0]
    assert seen["argv"] == ["run", "--print-logs", "--model", "fake/fake-model", "--format", "json",
                            "--", "-x", "", "two", "words"]
    assert seen["cwd"] == str(box.project)
    assert "to stderr" in result.stderr and result.duration_s > 0


def test_a_failing_run_keeps_its_return_code(box: OpenCodeSandbox):
    assert box.run("hi", env={"STANDIN_MODE": "fail"}).returncode == 3


def test_a_run_past_its_timeout_is_killed(box: OpenCodeSandbox):
    result = box.run("hi", env={"STANDIN_MODE": "hang"}, timeout=0.5)
    assert result.timed_out and result.returncode is None
    assert "killed after 0.5s timeout" in result.explain()
    assert result.duration_s < 10
