"""The OpenCode binary for tests: ``bridge.demo.opencode_bin``, installed into ``tests/.opencode``.

    python -m tests.e2e.opencode_bin     install it now (``.ci/run`` does, before the tests)
"""

from __future__ import annotations

from pathlib import Path

from bridge.demo import opencode_bin as _bin
from bridge.demo.opencode_bin import ENV_BIN, OPENCODE_VERSION, OpenCodeUnavailable

__all__ = ["ENV_BIN", "OPENCODE_VERSION", "OpenCodeUnavailable", "ensure_opencode", "install_dir"]


def install_dir() -> Path:
    """``<repo>/tests/.opencode``: git-ignored, shared by every test run on this checkout."""
    return Path(__file__).resolve().parent.parent / ".opencode"


def ensure_opencode() -> Path:
    """The pinned binary, installed into :func:`install_dir` when missing."""
    return _bin.ensure_opencode(install_dir())


if __name__ == "__main__":
    print(f"opencode {OPENCODE_VERSION}: {ensure_opencode()}")
