"""Fixtures for end-to-end tests: the OpenCode binary, a fake provider, isolated sandboxes."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import pytest

from ..fake_provider import FakeProvider
from .harness import ConfigLocation, OpenCodeSandbox, fake_provider_config
from .opencode_bin import OpenCodeUnavailable, ensure_opencode


@pytest.fixture(scope="session")
def opencode_bin() -> Path:
    """The pinned OpenCode binary, installed once per checkout.

    Without it the e2e tests cannot say anything: in CI that is a failure, locally a skip
    with the reason (e.g. no npm registry on a plane).
    """
    try:
        return ensure_opencode()
    except OpenCodeUnavailable as exc:
        message = f"OpenCode binary unavailable: {exc}"
    # Outside the except block, so the report shows the message and not a chained traceback.
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture
def fake_provider() -> Iterator[FakeProvider]:
    """A running fake provider answering every key with ``Ok()``; change it with ``set_behaviour``."""
    with FakeProvider() as fake:
        yield fake


OcFactory = Callable[..., OpenCodeSandbox]


@pytest.fixture
def oc(opencode_bin: Path, tmp_path: Path, fake_provider: FakeProvider) -> OcFactory:
    """Make an isolated OpenCode sandbox, by default configured for ``fake_provider``.

    ``oc(config=None, location="project", auth=None, plugins=None, plugin_location="global",
    extra_path=())``:
    ``config=None`` writes ``fake_provider_config(fake_provider.base_url)``; ``config={}`` writes
    none. ``plugins`` maps file names to JS sources dropped into ``plugins/`` of the global config
    dir or of the project's ``.opencode/``.
    Each call gets its own root under ``tmp_path``.
    """
    count = 0

    def make(
        *,
        config: dict[str, Any] | None = None,
        location: ConfigLocation = "project",
        auth: dict[str, Any] | None = None,
        plugins: dict[str, str] | None = None,
        plugin_location: Literal["global", "project"] = "global",
        extra_path: tuple[Path, ...] = (),
    ) -> OpenCodeSandbox:
        nonlocal count
        count += 1
        box = OpenCodeSandbox(binary=opencode_bin, root=tmp_path / f"oc{count}", extra_path=extra_path)
        if config is None:
            config = fake_provider_config(fake_provider.base_url)
        if config:
            box.write_config(config, location=location)
        if auth is not None:
            box.write_auth(auth)
        for name, source in (plugins or {}).items():
            box.add_plugin(name, source, location=plugin_location)
        return box

    return make
