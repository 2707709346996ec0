"""``o-switcher install``: put the shim where OpenCode loads plugins from, and the ``/switcher`` command.

OpenCode loads every ``plugins/*.js`` and ``commands/*.md`` of its config dirs, so installing is
writing two files: globally into ``$XDG_CONFIG_HOME/opencode/`` (``~/.config/opencode/``), or for
one project into ``DIR/.opencode/``. The copy records the absolute command that starts
*this* bridge (this Python, ``-m bridge``), so OpenCode finds it whatever its PATH is.
Installing twice changes nothing; ``--print`` shows what would be done and does nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["command_dir", "command_source", "install_plan", "register", "render_shim", "shim_source"]

SHIM_NAME = "o-switcher.js"
#: The ``/switcher`` command: OpenCode 1.18.33 reads ``{command,commands}/**/*.md`` of each config dir.
COMMAND_NAME = "switcher.md"
_MARKER = "O-Switcher's OpenCode plugin"
_COMMAND_MARKER = "description: O-Switcher status"
_PLACEHOLDER = "const INSTALLED_BRIDGE_CMD = null;"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "install",
        help="register O-Switcher with OpenCode (globally, or for one project)",
        description=__doc__.split("\n\n")[1],
    )
    parser.add_argument("--project", metavar="DIR", type=Path, help="install into DIR/.opencode/plugins/ instead")
    parser.add_argument("--print", dest="dry_run", action="store_true", help="show what would be done; change nothing")
    parser.set_defaults(run=_run)


def _shipped(name: str) -> str:
    checkout = Path(__file__).resolve().parents[2] / "js-shim" / name
    if checkout.is_file():
        return checkout.read_text(encoding="utf-8")
    from importlib.resources import files

    return files("bridge.js_shim").joinpath(name).read_text(encoding="utf-8")


def shim_source() -> str:
    """The shim's source: from the checkout when running from one, else from the installed package."""
    return _shipped(SHIM_NAME)


def command_source() -> str:
    """The ``/switcher`` command file (a prompt template asking for the ``switcher-status`` tool)."""
    return _shipped(COMMAND_NAME)


def render_shim(source: str, bridge_cmd: list[str]) -> str:
    """The shim with ``bridge_cmd`` recorded as the command that starts the bridge."""
    if _PLACEHOLDER not in source:
        raise RuntimeError(f"the shim source has no {_PLACEHOLDER!r} line to record the bridge command in")
    return source.replace(_PLACEHOLDER, f"const INSTALLED_BRIDGE_CMD = {json.dumps(bridge_cmd)};", 1)


def plugin_dir(project: Path | None, env: dict[str, str] | os._Environ[str] = os.environ) -> Path:
    """Where OpenCode looks for plugin files: the global config dir, or the project's ``.opencode``."""
    if project is not None:
        return project.expanduser().resolve() / ".opencode" / "plugins"
    config = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "opencode" / "plugins"


def command_dir(project: Path | None, env: dict[str, str] | os._Environ[str] = os.environ) -> Path:
    """Where OpenCode looks for command files, beside ``plugins/``."""
    return plugin_dir(project, env).parent / "commands"


def install_plan(project: Path | None) -> tuple[Path, str]:
    """The shim file to write and its content."""
    bridge_cmd = [sys.executable, "-m", "bridge"]
    return plugin_dir(project) / SHIM_NAME, render_shim(shim_source(), bridge_cmd)


def _plan(project: Path | None) -> list[tuple[Path, str, str]]:
    shim, content = install_plan(project)
    return [(shim, content, _MARKER), (command_dir(project) / COMMAND_NAME, command_source(), _COMMAND_MARKER)]


def _write_atomically(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _run(args: argparse.Namespace) -> int:
    if args.project is not None and not args.project.is_dir():
        print(f"o-switcher install: --project {args.project}: no such directory", file=sys.stderr)
        return 2
    plan = _plan(args.project)
    existing = {path: path.read_text(encoding="utf-8") if path.is_file() else None for path, _, _ in plan}
    for (path, _, marker), what in zip(plan, ("shim", "command")):
        if existing[path] is not None and marker not in existing[path]:
            print(f"o-switcher install: {path} exists and is not O-Switcher's {what}; not touching it", file=sys.stderr)
            return 1
    if all(existing[path] == content for path, content, _ in plan):
        print(f"O-Switcher is already installed: {', '.join(str(path) for path, _, _ in plan)}")
        return 0
    for path, content, _ in plan:
        if existing[path] == content:
            continue
        verb = "would write" if args.dry_run else ("updated" if existing[path] else "installed")
        if not args.dry_run:
            _write_atomically(path, content)
        print(f"{verb} {path}")
    print(f"  bridge command: {sys.executable} -m bridge")
    print(f"  log: {os.environ.get('OSWITCHER_LOG') or '$XDG_STATE_HOME/o-switcher/bridge.log'}")
    if not args.dry_run:
        print("OpenCode loads it at its next start.")
    return 0
