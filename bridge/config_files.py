"""Finding and reading OpenCode's config files and ``auth.json``, in OpenCode's order.

Layers, lowest precedence first (OpenCode's ``config.ts``):

1. global ``$XDG_CONFIG_HOME/opencode/``: ``config.json``, ``opencode.json``, ``opencode.jsonc``
2. ``$OPENCODE_CONFIG``
3. project files found walking up from the directory to the worktree root (the git root, or
   ``/`` outside git): every ``opencode.jsonc`` (root first), then every ``opencode.json``
4. ``.opencode/opencode.jsonc`` then ``.opencode/opencode.json`` of each ``.opencode`` dir from
   the directory up to the worktree root (nearest first, as OpenCode does), ``~/.opencode``,
   then ``$OPENCODE_CONFIG_DIR``
5. ``$OPENCODE_CONFIG_CONTENT``

``OPENCODE_DISABLE_PROJECT_CONFIG`` drops 3 and the project's ``.opencode`` dirs. OpenCode's
remote ``.well-known`` and enterprise managed configs are not read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from oswitcher.config_check import ConfigError, ConfigSnapshot, validate
from oswitcher.config_merge import ConfigLayer
from oswitcher.jsonc import JsoncError, loads
from oswitcher.substitution import SubstitutionError, substitute

__all__ = [
    "AuthFile",
    "CONTENT_SOURCE",
    "auth_path",
    "candidate_files",
    "find_worktree",
    "load_config",
    "read_auth",
    "read_layer",
    "read_layers",
]

CONTENT_SOURCE = "OPENCODE_CONFIG_CONTENT"
_PROJECT_NAMES = ("opencode.jsonc", "opencode.json")
_GLOBAL_NAMES = ("config.json", "opencode.json", "opencode.jsonc")


def _home(env: Mapping[str, str]) -> Path:
    return Path(env.get("HOME") or os.path.expanduser("~"))


def _config_home(env: Mapping[str, str]) -> Path:
    return Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else _home(env) / ".config"


def auth_path(env: Mapping[str, str]) -> Path:
    """``$XDG_DATA_HOME/opencode/auth.json`` (default ``~/.local/share/opencode/auth.json``)."""
    base = Path(env["XDG_DATA_HOME"]) if env.get("XDG_DATA_HOME") else _home(env) / ".local/share"
    return base / "opencode" / "auth.json"


def find_worktree(directory: Path) -> Path:
    """The git root above ``directory`` (a ``.git`` dir or file), else ``/`` as OpenCode does."""
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return Path(directory.anchor or "/")


def _up(start: Path, stop: Path) -> list[Path]:
    """``start`` and its parents up to ``stop`` inclusive (or to the root if ``stop`` is not above)."""
    out = []
    for candidate in (start, *start.parents):
        out.append(candidate)
        if candidate == stop:
            break
    return out


def candidate_files(directory: Path, env: Mapping[str, str], worktree: Path | None = None) -> list[Path]:
    """Every config file OpenCode would read for ``directory``, existing or not, in merge order."""
    directory = directory.resolve()
    worktree = (worktree or find_worktree(directory)).resolve()
    files = [_config_home(env) / "opencode" / name for name in _GLOBAL_NAMES]
    if env.get("OPENCODE_CONFIG"):
        files.append(Path(env["OPENCODE_CONFIG"]).expanduser())
    project = not env.get("OPENCODE_DISABLE_PROJECT_CONFIG")
    chain = _up(directory, worktree)
    if project:
        for name in _PROJECT_NAMES:
            files.extend(d / name for d in reversed(chain))
    dirs = [d / ".opencode" for d in chain] if project else []
    dirs.append(_home(env) / ".opencode")
    if env.get("OPENCODE_CONFIG_DIR"):
        dirs.append(Path(env["OPENCODE_CONFIG_DIR"]).expanduser())
    seen: set[Path] = set()
    for d in dirs:
        if d not in seen:
            seen.add(d)
            files.extend(d / name for name in _PROJECT_NAMES)
    return files


def _read_text(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def _parse(text: str, *, source: str, config_dir: str, env: Mapping[str, str]) -> ConfigLayer:
    try:
        text = substitute(text, env=env, read_file=_read_text, config_dir=config_dir, home=str(_home(env)))
    except SubstitutionError as exc:
        raise ConfigError("$", str(exc), file=source) from None
    try:
        data = loads(text)
    except JsoncError as exc:
        raise ConfigError("$", f"invalid JSONC: {exc.message}", file=source, line=exc.line, column=exc.column) from None
    if not isinstance(data, dict):
        raise ConfigError("$", "expected object at the top level", file=source, line=1, column=1)
    return ConfigLayer(source=source, text=text, data=data)


def read_layer(path: Path, env: Mapping[str, str]) -> ConfigLayer | None:
    """One config file as a layer; ``None`` when it does not exist or is empty (as OpenCode)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("$", f"cannot read the file ({type(exc).__name__})", file=str(path)) from None
    if not text:
        return None
    return _parse(text, source=str(path), config_dir=str(path.parent), env=env)


def read_layers(directory: Path, env: Mapping[str, str], worktree: Path | None = None) -> list[ConfigLayer]:
    """Every existing config layer for ``directory``, in merge order; raises ``ConfigError``."""
    layers = [layer for path in candidate_files(directory, env, worktree) if (layer := read_layer(path, env))]
    if env.get(CONTENT_SOURCE):
        layers.append(_parse(env[CONTENT_SOURCE], source=CONTENT_SOURCE, config_dir=str(directory), env=env))
    return layers


class AuthFile(msgspec.Struct, frozen=True, kw_only=True):
    """``auth.json`` as read: ``data`` is ``None`` when absent or unusable, with ``problem`` saying why."""

    source: str
    data: dict[str, Any] | None
    problem: str | None = None


def read_auth(env: Mapping[str, str]) -> AuthFile:
    """Read ``auth.json`` (or ``$OPENCODE_AUTH_CONTENT``). Never raises for bad content: a
    half-written file is reported and skipped, so no profile is ever dropped because of it."""
    if env.get("OPENCODE_AUTH_CONTENT"):
        source, text = "OPENCODE_AUTH_CONTENT", env["OPENCODE_AUTH_CONTENT"]
    else:
        path = auth_path(env)
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return AuthFile(source=source, data=None)
        except (OSError, UnicodeDecodeError) as exc:
            return AuthFile(source=source, data=None, problem=f"cannot read ({type(exc).__name__})")
    try:
        data = loads(text)
    except JsoncError as exc:
        return AuthFile(source=source, data=None, problem=f"invalid JSON at line {exc.line}, column {exc.column}")
    if not isinstance(data, dict):
        return AuthFile(source=source, data=None, problem="top level is not an object")
    return AuthFile(source=source, data=data)


def load_config(
    directory: Path, env: Mapping[str, str], worktree: Path | None = None, *, auth: AuthFile | None = None
) -> ConfigSnapshot:
    """Read, merge and validate the config for ``directory``; raises ``ConfigError``."""
    auth = auth if auth is not None else read_auth(env)
    layers = read_layers(directory, env, worktree)
    return validate(layers, auth_providers=tuple(auth.data or ()))
