"""``o-switcher install``: where the shim goes, what it records, idempotence, --print."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


REPO = Path(__file__).resolve().parents[2]


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    return subprocess.run([sys.executable, "-m", "bridge.cli", *args], capture_output=True, text=True, env=env, cwd=REPO)


def recorded_command(shim: Path) -> list[str]:
    line = next(l for l in shim.read_text().splitlines() if l.startswith("const INSTALLED_BRIDGE_CMD"))
    return json.loads(line.split("=", 1)[1].strip().rstrip(";"))


def test_global_install_writes_the_shim_with_this_bridge_recorded(tmp_path):
    done = run("install", home=tmp_path)
    assert done.returncode == 0, done.stderr
    shim = tmp_path / ".config" / "opencode" / "plugins" / "o-switcher.js"
    assert shim.is_file()
    assert recorded_command(shim) == [sys.executable, "-m", "bridge"]
    assert "export const OSwitcher" in shim.read_text()
    assert str(shim) in done.stdout


def test_install_is_idempotent(tmp_path):
    run("install", home=tmp_path)
    shim = tmp_path / ".config" / "opencode" / "plugins" / "o-switcher.js"
    before = shim.stat().st_mtime_ns
    again = run("install", home=tmp_path)
    assert again.returncode == 0 and "already installed" in again.stdout
    assert shim.stat().st_mtime_ns == before
    assert sorted(p.name for p in shim.parent.iterdir()) == ["o-switcher.js"]


def test_project_install(tmp_path):
    project = tmp_path / "proj"
    project.mkdir()
    assert run("install", "--project", str(project), home=tmp_path).returncode == 0
    assert (project / ".opencode" / "plugins" / "o-switcher.js").is_file()
    assert not (tmp_path / ".config" / "opencode").exists()


def test_print_changes_nothing(tmp_path):
    done = run("install", "--print", home=tmp_path)
    assert done.returncode == 0 and "would write" in done.stdout
    assert not (tmp_path / ".config").exists()


def test_missing_project_dir_is_a_clear_error(tmp_path):
    done = run("install", "--project", str(tmp_path / "nope"), home=tmp_path)
    assert done.returncode == 2 and "no such directory" in done.stderr


def test_a_foreign_file_is_never_overwritten(tmp_path):
    shim = tmp_path / ".config" / "opencode" / "plugins" / "o-switcher.js"
    shim.parent.mkdir(parents=True)
    shim.write_text("// someone else's plugin\n")
    done = run("install", home=tmp_path)
    assert done.returncode == 1 and "not O-Switcher's shim" in done.stderr
    assert shim.read_text() == "// someone else's plugin\n"


def test_version():
    done = subprocess.run([sys.executable, "-m", "bridge.cli", "--version"], capture_output=True, text=True, cwd=REPO)
    assert done.stdout.strip() == "o-switcher 0.1.0"


def test_install_puts_the_switcher_command_beside_the_plugins_globally_and_per_project(tmp_path):
    assert run("install", home=tmp_path).returncode == 0
    command = tmp_path / ".config" / "opencode" / "commands" / "switcher.md"
    assert "switcher-status" in command.read_text()
    project = tmp_path / "proj"
    project.mkdir()
    assert run("install", "--project", str(project), home=tmp_path).returncode == 0
    assert (project / ".opencode" / "commands" / "switcher.md").is_file()


def test_an_own_switcher_command_is_never_overwritten(tmp_path):
    command = tmp_path / ".config" / "opencode" / "commands" / "switcher.md"
    command.parent.mkdir(parents=True)
    command.write_text("my own command\n")
    done = run("install", home=tmp_path)
    assert done.returncode == 1 and "not O-Switcher's" in done.stderr
    assert command.read_text() == "my own command\n"
