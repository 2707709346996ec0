"""Finding or installing the real OpenCode binary that ``o-switcher demo`` and the end-to-end tests drive.

The version is pinned: the facts in ``docs/opencode-e2e.md`` and the shared OpenCode facts were
measured against it, and a newer OpenCode may behave differently.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import threading
from pathlib import Path

__all__ = ["ENV_BIN", "OPENCODE_VERSION", "OpenCodeUnavailable", "ensure_opencode", "install_dir", "installed_binary"]

OPENCODE_VERSION = "1.18.33"
ENV_BIN = "OSWITCHER_OPENCODE_BIN"

# Parallel fixtures must not run two npm installs into the same folder: this lock covers threads,
# the file lock in ensure_opencode covers processes (pytest-xdist workers, two pytest runs).
_install_lock = threading.Lock()


class OpenCodeUnavailable(RuntimeError):
    """The OpenCode binary could not be found, installed, or is the wrong version."""


def install_dir() -> Path:
    """``$XDG_CACHE_HOME/o-switcher/opencode`` (``~/.cache/…``): where the demo installs OpenCode."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "o-switcher" / "opencode"


def installed_binary(prefix: Path) -> Path:
    """Where ``npm install --prefix prefix`` puts the ``opencode`` command."""
    return prefix / "node_modules" / ".bin" / "opencode"


def ensure_opencode(prefix: Path | None = None) -> Path:
    """The path of an ``opencode`` binary at ``OPENCODE_VERSION``, installing it into ``prefix``
    (default :func:`install_dir`) if needed.

    ``$OSWITCHER_OPENCODE_BIN`` names an existing binary and skips the install. Raises
    ``OpenCodeUnavailable`` with a message saying what to do.
    """
    override = os.environ.get(ENV_BIN)
    if override:
        path = Path(override)
        if not path.is_file() or not os.access(path, os.X_OK):
            raise OpenCodeUnavailable(f"${ENV_BIN}={override} is not an executable file")
        _check_version(path)
        return path

    prefix = prefix or install_dir()
    prefix.mkdir(parents=True, exist_ok=True)
    with _install_lock, open(prefix / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        path = installed_binary(prefix)
        # A missing binary or an install left by an older pin: (re)install the pinned version.
        if not path.exists() or _version(path) != OPENCODE_VERSION:
            _npm_install(prefix)
        if not path.exists():
            raise OpenCodeUnavailable(f"npm install finished but {path} does not exist")
        _check_version(path)
        return path


def _npm_install(prefix: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise OpenCodeUnavailable(
            f"npm is not on PATH: install Node.js, or set ${ENV_BIN} to an opencode {OPENCODE_VERSION} binary"
        )
    # npm blocks opencode-ai's postinstall script; the binary still arrives through the optional
    # platform package (opencode-linux-x64) and node_modules/.bin/opencode points at it.
    cmd = [npm, "install", "--no-audit", "--no-fund", "--prefix", str(prefix), f"opencode-ai@{OPENCODE_VERSION}"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OpenCodeUnavailable(f"could not run {' '.join(cmd)}: {exc}") from exc
    if proc.returncode != 0:
        raise OpenCodeUnavailable(
            f"{' '.join(cmd)} failed (rc {proc.returncode}):\n{proc.stderr[-2000:]}"
        )


def _version(path: Path) -> str:
    """What ``opencode --version`` prints (about 1 s: the binary is a 185 MB Bun executable)."""
    try:
        proc = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OpenCodeUnavailable(f"{path} --version failed: {exc}") from exc
    return proc.stdout.strip() if proc.returncode == 0 else f"<rc {proc.returncode}: {proc.stderr.strip()[:200]}>"


def _check_version(path: Path) -> None:
    version = _version(path)
    if version != OPENCODE_VERSION:
        raise OpenCodeUnavailable(f"{path} --version gave {version!r}; the tests need {OPENCODE_VERSION}")
