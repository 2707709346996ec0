"""Shared fixtures for the core tests: a fake clock (just an int) and a scripted random source."""

from __future__ import annotations

import pytest


class FakeClock:
    """Milliseconds that move only when the test says so."""

    def __init__(self, start: int = 1_000_000) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms


class FixedRandom:
    """Always the same draw; tests that care set ``value``."""

    def __init__(self, value: float = 0.5) -> None:
        self.value = value

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def rnd() -> FixedRandom:
    return FixedRandom()
