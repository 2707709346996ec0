"""The product's shim as a sandbox gets it, and what its bridge logged."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bridge.commands.install import SHIM_NAME, render_shim, shim_source

from .harness import OpenCodeSandbox

#: The bridge of this checkout, started by the shim with the test environment's Python.
BRIDGE_CMD = [sys.executable, "-m", "bridge"]


def installed_shim() -> dict[str, str]:
    """``plugins`` argument of the ``oc`` fixture: the shim exactly as ``o-switcher install`` writes it."""
    return {SHIM_NAME: render_shim(shim_source(), BRIDGE_CMD)}


def bridge_log_path(box: OpenCodeSandbox) -> Path:
    return box.state_home / "o-switcher" / "bridge.log"


def bridge_events(box: OpenCodeSandbox, event: str | None = None) -> list[dict[str, Any]]:
    """Every line the bridge logged in this sandbox (or those named ``event``)."""
    path = bridge_log_path(box)
    if not path.exists():
        return []
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [line for line in lines if event is None or line.get("event") == event]
