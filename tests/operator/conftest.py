"""A bridge-side setup without OpenCode: a real store, a failover service over two pooled keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.failover import FailoverService
from bridge.operator import attach
from bridge.store import StateStore
from oswitcher.config import SwitcherConfig
from oswitcher.discovery import discover
from oswitcher.profiles import Credential
from oswitcher.routing import build_routing

BASE = "http://127.0.0.1:9/v1"
KEYS = {"fake": "sk-test-aaaaaaaaaaaaaaaa1111", "fake2": "sk-test-bbbbbbbbbbbbbbbb2222"}


def providers() -> dict:
    return {
        pid: {"npm": "@ai-sdk/openai-compatible", "options": {"baseURL": BASE, "apiKey": key}, "models": {"m": {}}}
        for pid, key in KEYS.items()
    }


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000_000

    def __call__(self) -> int:
        return self.now


class FakeRuntime:
    """The parts of BridgeRuntime the operator uses, with no event loop or watcher."""

    def __init__(self, store: StateStore, clock: FakeClock) -> None:
        self.store = store
        self.clock = clock
        self.toasts: list[str] = []
        self.watcher = None
        self.client_info = None
        self.env: dict[str, str] = {}
        self.failover = FailoverService(config=SwitcherConfig(), store=lambda: store, clock=clock,
                                        random=lambda: 0.5, toast=lambda m, **_: self.toasts.append(m))
        store.upsert_profiles(
            [Credential(provider=p, kind="api", secret=k, source="config") for p, k in KEYS.items()], clock()
        )
        routing = build_routing(discover(providers()), providers(), store.list_profiles())
        self.failover.apply(SwitcherConfig(), routing)
        self.sync = attach(self)  # type: ignore[arg-type]

    def toast(self, message: str, *, variant: str = "info") -> None:
        self.toasts.append(message)


@pytest.fixture
def store(tmp_path: Path):
    with StateStore(tmp_path / "state.db") as s:
        yield s


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def runtime(store: StateStore, clock: FakeClock) -> FakeRuntime:
    return FakeRuntime(store, clock)
