"""Running the real OpenCode binary headless, isolated and offline.

A sandbox is one fake machine under a temp dir: its own HOME and XDG dirs, a git-initialised
project, OpenCode's config/auth files and plugin files, and an environment built from nothing
(like ``env -i``), so neither the developer's OpenCode setup nor the network leaks into a test.

    box = OpenCodeSandbox(binary=opencode_bin, root=tmp_path)
    box.write_config(fake_provider_config(fake.base_url))
    result = box.run("say hello")
    assert result.returncode == 0, result.explain()
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bridge.demo.fake_provider import unused_port
from bridge.demo.opencode_bin import OPENCODE_VERSION

__all__ = [
    "ConfigLocation",
    "OpenCodeSandbox",
    "RunResult",
    "RunningOpenCode",
    "fake_provider_config",
    "pooled_provider_config",
    "prepare_config_dir",
    "strip_ansi",
]

# "project": <project>/opencode.json; "dot-opencode": <project>/.opencode/opencode.json;
# "global": $XDG_CONFIG_HOME/opencode/opencode.json.
ConfigLocation = Literal["project", "dot-opencode", "global"]

# Each switches off a feature that would reach the internet or read the developer's machine.
OFFLINE_FLAGS = {
    "OPENCODE_DISABLE_MODELS_FETCH": "1",
    "OPENCODE_DISABLE_AUTOUPDATE": "1",
    "OPENCODE_DISABLE_LSP_DOWNLOAD": "1",
    "OPENCODE_DISABLE_SHARE": "1",
    "OPENCODE_DISABLE_CLAUDE_CODE": "1",
    "OPENCODE_DISABLE_EXTERNAL_SKILLS": "1",
}


def fake_provider_config(
    base_url: str,
    *,
    api_key: str | None = "sk-test-good",
    provider_id: str = "fake",
    model: str = "fake-model",
) -> dict[str, Any]:
    """An ``opencode.json`` using the fake server as the only provider, for both model slots.

    ``api_key=None`` leaves the key out of the config (for tests that put it in ``auth.json``).
    """
    options: dict[str, Any] = {"baseURL": base_url}
    if api_key is not None:
        options["apiKey"] = api_key
    return {
        "$schema": "https://opencode.ai/config.json",
        "provider": {
            provider_id: {
                # Bundled in the binary: nothing to install.
                "npm": "@ai-sdk/openai-compatible",
                "name": "Fake",
                "options": options,
                "models": {model: {"name": "Fake Model"}},
            }
        },
        "model": f"{provider_id}/{model}",
        "small_model": f"{provider_id}/{model}",
    }


def pooled_provider_config(
    base_url: str, keys: Mapping[str, str], *, switcher: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Provider entries ``{id: key}`` of one service (same package, same base URL): one pool.

    The first entry is OpenCode's model for both slots; ``switcher`` becomes the ``switcher``
    section when given.
    """
    config = fake_provider_config(base_url, api_key=None)
    template = config["provider"].pop("fake")
    for provider_id, key in keys.items():
        config["provider"][provider_id] = {**template, "options": {**template["options"], "apiKey": key}}
    first = next(iter(keys))
    config["model"] = config["small_model"] = f"{first}/fake-model"
    if switcher is not None:
        config["switcher"] = dict(switcher)
    return config


def prepare_config_dir(config_dir: Path) -> None:
    """Make OpenCode believe ``@opencode-ai/plugin`` is already installed in ``config_dir``.

    OpenCode npm-installs that package into every config dir it uses and makes plugins wait for
    it; offline, that stalls a run for about 70 s. It skips the install when it finds an empty
    ``node_modules/``, a ``package.json`` naming the package at its own version, and a v3
    ``package-lock.json`` listing it too.
    """
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "node_modules").mkdir(exist_ok=True)
    deps = {"@opencode-ai/plugin": OPENCODE_VERSION}
    (config_dir / "package.json").write_text(json.dumps({"dependencies": deps}, indent=2) + "\n")
    lock = {"lockfileVersion": 3, "requires": True, "packages": {"": {"dependencies": deps}}}
    (config_dir / "package-lock.json").write_text(json.dumps(lock, indent=2) + "\n")


@dataclass(frozen=True, slots=True)
class RunResult:
    """What one ``opencode run`` did. ``returncode`` is None when it timed out and was killed."""

    args: tuple[str, ...]
    returncode: int | None
    stdout: str
    stderr: str
    duration_s: float

    @property
    def timed_out(self) -> bool:
        return self.returncode is None

    @property
    def ui(self) -> str:
        """stderr without colour codes: where ``opencode run`` draws its UI (agent line, tool
        calls, ``Error: ...``); stdout carries only the assistant's final text."""
        return strip_ansi(self.stderr)

    def events(self) -> list[dict[str, Any]]:
        """The JSON events of a run made with ``args=("--format", "json")``, one per stdout line.

        Types seen: ``step_start``, ``text`` (``part.text``), ``tool_use`` (``part.tool``,
        ``part.state.{input,output,status}``), ``step_finish`` (``part.reason``, ``part.tokens``),
        ``error`` (``error.{name,data}``: the same ``APIError`` data plugins see).
        """
        return [json.loads(line) for line in self.stdout.splitlines() if line.startswith("{")]

    def plugin_errors(self) -> list[str]:
        """OpenCode's "failed to load plugin" log lines (needs ``print_logs``). A plugin that
        fails to load does not fail the run: it is only logged, so tests should check this."""
        return [line for line in self.stderr.splitlines() if "failed to load plugin" in line]

    def stderr_tail(self, lines: int = 40) -> str:
        return "\n".join(self.stderr.splitlines()[-lines:])

    def explain(self, lines: int = 40) -> str:
        """A summary for assertion messages: rc, time, stdout, and the end of OpenCode's log."""
        return (
            f"opencode rc={self.returncode} after {self.duration_s:.1f}s\n"
            f"--- stdout ---\n{self.stdout}\n--- stderr (last {lines} lines) ---\n{self.stderr_tail(lines)}"
        )


class RunningOpenCode:
    """One ``opencode run`` in progress. Output goes to files, so a chatty run cannot block on a
    full pipe while the test does something else."""

    def __init__(self, cmd: list[str], *, cwd: Path, env: dict[str, str], out_dir: Path) -> None:
        self.args = tuple(cmd)
        out_dir.mkdir(parents=True, exist_ok=True)
        self.stdout_path = out_dir / "stdout"
        self.stderr_path = out_dir / "stderr"
        self._started = time.monotonic()
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                cmd,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,  # its own process group: a timeout kills plugin children too
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def stderr_so_far(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def wait(self, timeout: float = 60.0) -> RunResult:
        """Wait for the exit; past ``timeout`` kill the run's process group (``returncode`` None)."""
        note = ""
        try:
            rc: int | None = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            rc, note = None, f"\n[harness] killed after {timeout}s timeout"
        duration = time.monotonic() - self._started
        return RunResult(
            self.args,
            rc,
            self.stdout_path.read_text(errors="replace"),
            self.stderr_path.read_text(errors="replace") + note,
            duration,
        )


class OpenCodeSandbox:
    """An isolated home for running ``opencode`` under ``root`` (usually pytest's ``tmp_path``)."""

    def __init__(self, *, binary: Path, root: Path, extra_path: tuple[Path, ...] = ()) -> None:
        """``extra_path``: dirs put in front of PATH, e.g. the venv's ``bin/`` so a plugin under
        test can start the bridge."""
        self.binary = Path(binary).absolute()  # the run happens with cwd = project
        self.root = Path(root).absolute()
        self.extra_path = tuple(Path(p).absolute() for p in extra_path)
        self.home = self.root / "home"
        self.config_home = self.root / "config"
        self.data_home = self.root / "data"
        self.cache_home = self.root / "cache"
        self.state_home = self.root / "state"
        self.project = self.root / "project"
        for d in (self.home, self.config_home, self.data_home, self.cache_home, self.state_home, self.project):
            d.mkdir(parents=True, exist_ok=True)
        # OpenCode finds the project root (and `.opencode/` dirs) through git.
        subprocess.run(["git", "init", "-q", str(self.project)], check=True, capture_output=True)
        prepare_config_dir(self.global_config_dir)
        self._runs = 0

    @property
    def global_config_dir(self) -> Path:
        """``$XDG_CONFIG_HOME/opencode``: the user's config, plugins and commands."""
        return self.config_home / "opencode"

    @property
    def project_config_dir(self) -> Path:
        """``<project>/.opencode``: the project's config dir (prepared on first use)."""
        return self.project / ".opencode"

    @property
    def auth_path(self) -> Path:
        return self.data_home / "opencode" / "auth.json"

    @property
    def log_dir(self) -> Path:
        """Where OpenCode writes its own log file (``opencode.log``)."""
        return self.data_home / "opencode" / "log"

    def write_config(self, config: Mapping[str, Any], *, location: ConfigLocation = "project") -> Path:
        """Write ``config`` as ``opencode.json`` at ``location``; returns the file's path."""
        if location == "project":
            path = self.project / "opencode.json"
        elif location == "dot-opencode":
            prepare_config_dir(self.project_config_dir)
            path = self.project_config_dir / "opencode.json"
        elif location == "global":
            path = self.global_config_dir / "opencode.json"
        else:
            raise ValueError(f"unknown config location {location!r}")
        path.write_text(json.dumps(config, indent=2) + "\n")
        return path

    def write_auth(self, entries: Mapping[str, Any]) -> Path:
        """Write ``auth.json`` (provider id → ``{"type": "api", "key": ...}``) with mode 0600."""
        self.auth_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.auth_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(entries, f, indent=2)
        os.chmod(self.auth_path, 0o600)  # O_CREAT's mode does not apply to an existing file
        return self.auth_path

    def add_plugin(
        self, filename: str, source: str, *, location: Literal["global", "project"] = "global"
    ) -> Path:
        """Drop a plugin module into ``<config dir>/plugins/``, where OpenCode loads it from."""
        config_dir = self.global_config_dir if location == "global" else self.project_config_dir
        prepare_config_dir(config_dir)
        path = config_dir / "plugins" / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
        return path

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The whole environment of a run: built from nothing, never from ``os.environ``."""
        env = {
            # The binary needs git (and a shell for its bash tool); nothing else from the host.
            "PATH": os.pathsep.join([*map(str, self.extra_path), "/usr/local/bin", "/usr/bin", "/bin"]),
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.config_home),
            "XDG_DATA_HOME": str(self.data_home),
            "XDG_CACHE_HOME": str(self.cache_home),
            "XDG_STATE_HOME": str(self.state_home),
            "LANG": "C.UTF-8",
            **OFFLINE_FLAGS,
            # Anything that still tries npm fails at once instead of waiting on a real registry.
            "npm_config_registry": f"http://127.0.0.1:{unused_port()}/",
        }
        env.update(extra or {})
        return env

    def run(
        self,
        prompt: str,
        *,
        model: str | None = None,
        args: tuple[str, ...] = (),
        env: Mapping[str, str] | None = None,
        timeout: float = 60.0,
        print_logs: bool = True,
    ) -> RunResult:
        """Run ``opencode run <prompt>`` in the project dir and wait for it (killed at ``timeout``)."""
        return self.start(prompt, model=model, args=args, env=env, print_logs=print_logs).wait(timeout)

    def start(
        self,
        prompt: str,
        *,
        model: str | None = None,
        args: tuple[str, ...] = (),
        env: Mapping[str, str] | None = None,
        print_logs: bool = True,
    ) -> RunningOpenCode:
        """Start ``opencode run <prompt>`` without waiting, for tests that act during a run."""
        cmd = [str(self.binary), "run"]
        if print_logs:
            cmd.append("--print-logs")  # OpenCode's log on stderr: the first thing to read on failure
        if model:
            cmd += ["--model", model]
        # `opencode run` joins its message words with spaces but wraps any word that contains a
        # space in double quotes and backslash-escapes the quotes inside it; passing the prompt
        # as space-separated words makes it arrive verbatim. "--": words are never flags.
        cmd += [*args, "--", *prompt.split(" ")]
        self._runs += 1
        out_dir = self.root / "runs" / str(self._runs)
        return RunningOpenCode(cmd, cwd=self.project, env=self.env(env), out_dir=out_dir)

    def opencode_log(self) -> str:
        """OpenCode's own log files, concatenated (the same lines ``--print-logs`` prints)."""
        if not self.log_dir.is_dir():
            return ""
        return "".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("*.log")))


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    """``text`` without terminal colour codes (OpenCode colours its UI even into a pipe)."""
    return _ANSI.sub("", text)
