"""Reload requests: the tool's report, and a shell's request reaching a running bridge."""

from __future__ import annotations

import asyncio

from bridge.operator.sync import describe_reload
from bridge.watcher import ConfigApplied, ConfigRejected
from oswitcher.config_check import ConfigError, validate
from oswitcher.config_check import ConfigLayer
from oswitcher.discovery import TargetDiff


def snapshot():
    layer = ConfigLayer(source="/p/opencode.json", text="{}", data={"provider": {"a": {"options": {"apiKey": "sk-test-x"}}}})
    return validate([layer])


def test_describe_reload_says_what_changed_or_the_error_by_path():
    applied = ConfigApplied(snapshot=snapshot(), diff=TargetDiff(added=("a",), removed=(), changed=(), unchanged=()))
    assert describe_reload(applied) == "config reloaded from /p/opencode.json: added a; 1 target(s)."
    error = ConfigError("$.switcher.max_wait_ms", "expected int", file="/p/opencode.json", line=3, column=5)
    text = describe_reload(ConfigRejected(error=error, kept=None))
    assert text.startswith("config rejected, the last good one stays in force:") and "$.switcher.max_wait_ms" in text


class FakeWatcher:
    def __init__(self) -> None:
        self.reloads = 0

    async def reload(self):
        self.reloads += 1
        return ConfigApplied(snapshot=snapshot(), diff=TargetDiff(added=(), removed=(), changed=(), unchanged=("a",)))


async def test_a_reload_request_in_the_store_makes_the_bridge_reload_within_a_second(runtime):
    runtime.watcher = FakeWatcher()
    runtime.store.request_reload()  # an old request: not replayed at start
    stop = asyncio.Event()
    task = asyncio.create_task(runtime.sync.run(stop))
    await asyncio.sleep(0.7)
    assert runtime.watcher.reloads == 0

    runtime.store.request_reload()
    await asyncio.sleep(0.8)
    stop.set()
    await task

    assert runtime.watcher.reloads == 1
    assert any("no target changed" in t for t in runtime.toasts), runtime.toasts
