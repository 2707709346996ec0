"""``o-switcher demo`` end to end: the real OpenCode, the fake providers, the narrated timeline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


def test_demo_narrates_a_run_that_survives_an_outage_and_a_rate_limit(opencode_bin: Path, tmp_path: Path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "OSWITCHER_OPENCODE_BIN": str(opencode_bin)}
    done = subprocess.run([sys.executable, "-m", "bridge.cli", "demo"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)

    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "OpenCode answered" in out and "Hello from the personal key" in out, out
    assert "switched" in out and "→ personal" in out, out
    assert "429 → RateLimited" in out and "TransientServerFailure" in out, out
    assert "Bridge log" in out and str(tmp_path / "cache") in out, out
    assert "sk-demo" not in out  # keys are never printed
    assert "Installing OpenCode" not in out  # the binary was given
