"""Finding the OpenCode binary: the override variable and the version check (no install)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .opencode_bin import ENV_BIN, OPENCODE_VERSION, OpenCodeUnavailable, ensure_opencode


def fake_binary(tmp_path: Path, version: str) -> Path:
    path = tmp_path / "opencode"
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(0o755)
    return path


def test_override_names_a_binary_of_the_pinned_version(tmp_path, monkeypatch):
    path = fake_binary(tmp_path, OPENCODE_VERSION)
    monkeypatch.setenv(ENV_BIN, str(path))
    assert ensure_opencode() == path


def test_override_with_another_version_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_BIN, str(fake_binary(tmp_path, "0.0.1")))
    with pytest.raises(OpenCodeUnavailable, match="'0.0.1'.*1.18.33"):
        ensure_opencode()


def test_override_that_does_not_exist_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_BIN, str(tmp_path / "missing"))
    with pytest.raises(OpenCodeUnavailable, match="not an executable file"):
        ensure_opencode()
