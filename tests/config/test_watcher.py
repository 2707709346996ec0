"""Hot reload with real files, saved the ways editors save them."""

import asyncio
import os

import pytest

from bridge.watcher import ConfigApplied, ConfigRejected, ConfigWatcher

TIMEOUT = 5.0


class Running:
    """A watcher running in a task, its results in a queue."""

    def __init__(self, oc):
        self.results: asyncio.Queue = asyncio.Queue()
        self.auths: asyncio.Queue = asyncio.Queue()
        self.stop = asyncio.Event()
        self.watcher = ConfigWatcher(
            directory=oc.subdir, env=oc.env, on_config=self.results.put_nowait, on_auth=self.auths.put_nowait
        )

    async def next(self, predicate=lambda r: True):
        """The next result matching ``predicate`` (editors may produce intermediate states)."""
        async with asyncio.timeout(TIMEOUT):
            while True:
                result = await self.results.get()
                if predicate(result):
                    return result


@pytest.fixture
async def running(oc):
    oc.write(oc.project / "opencode.json", '{"switcher": {"retry": 1}}')
    r = Running(oc)
    task = asyncio.create_task(r.watcher.run(r.stop))
    first = await r.next()
    assert isinstance(first, ConfigApplied) and first.snapshot.switcher.retry == 1
    await asyncio.sleep(0.1)  # let the watch start
    yield r
    r.stop.set()
    async with asyncio.timeout(TIMEOUT):
        await task


def retry_is(n):
    return lambda r: isinstance(r, ConfigApplied) and r.snapshot.switcher.retry == n


async def test_in_place_write(oc, running):
    (oc.project / "opencode.json").write_text('{"switcher": {"retry": 2}}')
    await running.next(retry_is(2))


async def test_atomic_rename(oc, running):
    tmp = oc.project / ".opencode.json.tmp123"
    tmp.write_text('{"switcher": {"retry": 3}}')
    os.replace(tmp, oc.project / "opencode.json")
    await running.next(retry_is(3))


async def test_vim_style_save(oc, running):
    target = oc.project / "opencode.json"
    os.rename(target, oc.project / "opencode.json~")
    (oc.project / ".opencode.json.swp").write_text("swap")
    target.write_text('{"switcher": {"retry": 4}}')
    os.unlink(oc.project / "opencode.json~")
    await running.next(retry_is(4))


async def test_delete_then_recreate(oc, running):
    (oc.project / "opencode.json").unlink()
    await running.next(retry_is(3))  # the layer is gone: defaults
    (oc.project / "opencode.json").write_text('{"switcher": {"retry": 5}}')
    await running.next(retry_is(5))


async def test_invalid_edit_is_rejected_and_the_last_good_config_kept(oc, running):
    (oc.project / "opencode.json").write_text('{"switcher": {"retry": 2}}')
    await running.next(retry_is(2))
    (oc.project / "opencode.json").write_text('{\n"switcher": {"retry": -1}}')
    rejected = await running.next(lambda r: isinstance(r, ConfigRejected))
    assert rejected.error.path == "$.switcher.retry" and rejected.error.line == 2
    assert rejected.kept.switcher.retry == 2
    assert running.watcher.current.switcher.retry == 2


async def test_a_new_file_in_a_new_dot_opencode_dir_is_seen(oc, running):
    (oc.subdir / ".opencode").mkdir()
    await asyncio.sleep(1.5)  # the watch set is re-checked on the next tick
    (oc.subdir / ".opencode" / "opencode.json").write_text('{"switcher": {"retry": 8}}')
    await running.next(retry_is(8))


async def test_provider_edit_reports_a_target_diff(oc, running):
    (oc.project / "opencode.json").write_text('{"provider": {"a": {}, "b": {}}}')
    applied = await running.next(lambda r: isinstance(r, ConfigApplied) and r.diff.added)
    assert applied.diff.added == ("a", "b")


async def test_auth_json_change_calls_on_auth(oc, running):
    assert (await running.auths.get()).data is None  # the initial read
    oc.auth_file.write_text('{"openai": {"type": "api", "key": "sk-test-1"}}')
    async with asyncio.timeout(TIMEOUT):
        auth = await running.auths.get()
    assert auth.data == {"openai": {"type": "api", "key": "sk-test-1"}}


async def test_profiles_accumulate_while_watching(oc, tmp_path):
    from bridge.profile_sync import ProfileAccumulator
    from bridge.store import StateStore

    store = StateStore(tmp_path / "state" / "state.db")
    clock = iter(range(1000, 10**6, 1000))
    acc = ProfileAccumulator(store=store, clock=lambda: next(clock))
    oc.write(oc.project / "opencode.json", '{"provider": {"w": {"api": "openai", "apiKey": "sk-test-cfg"}}}')
    oc.write(oc.auth_file, '{"openai": {"type": "api", "key": "sk-test-first"}}')
    results: asyncio.Queue = asyncio.Queue()

    def on_config(result):
        acc.on_config(result)
        results.put_nowait(result)

    stop = asyncio.Event()
    watcher = ConfigWatcher(directory=oc.subdir, env=oc.env, on_config=on_config, on_auth=acc.on_auth)
    task = asyncio.create_task(watcher.run(stop))
    await asyncio.wait_for(results.get(), TIMEOUT)
    await asyncio.sleep(0.1)
    oc.auth_file.write_text('{"openai": {"type": "api", "key": "sk-test-second"}}')  # a second login
    async with asyncio.timeout(TIMEOUT):
        while len(store.list_profiles()) < 3:
            await results.get()
    stop.set()
    await asyncio.wait_for(task, TIMEOUT)
    assert sorted((p.label, p.secret) for p in store.list_profiles()) == [
        ("openai-1", "sk-test-first"), ("openai-2", "sk-test-second"), ("w-1", "sk-test-cfg")]


async def test_removing_a_watched_directory_is_not_a_crash(oc, running):
    dot = oc.subdir / ".opencode"
    dot.mkdir()
    (dot / "opencode.json").write_text('{"switcher": {"retry": 6}}')
    await running.next(retry_is(6))
    (dot / "opencode.json").unlink()
    dot.rmdir()
    await running.next(retry_is(1))
    (oc.project / "opencode.json").write_text('{"switcher": {"retry": 7}}')
    await running.next(retry_is(7))


async def test_half_written_auth_json_does_not_reject_the_config(oc):
    oc.write(oc.auth_file, '{"anthropic": {"type": "api", "key": "sk-test-a"}}')
    oc.write(oc.project / "opencode.json",
             '{"switcher": {"targets": [{"target_id": "c", "provider_id": "anthropic"}]}}')
    r = Running(oc)
    task = asyncio.create_task(r.watcher.run(r.stop))
    assert isinstance(await r.next(), ConfigApplied)
    await asyncio.sleep(0.1)
    oc.auth_file.write_text('{"anthropic": {"type": "ap')
    unreadable = await asyncio.wait_for(r.auths.get(), TIMEOUT)
    while unreadable.problem is None:
        unreadable = await asyncio.wait_for(r.auths.get(), TIMEOUT)
    assert isinstance(await r.next(), ConfigApplied)
    r.stop.set()
    await asyncio.wait_for(task, TIMEOUT)
