"""Helpers for bridge tests: frames in byte buffers, replies collected in lists."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from bridge.rpc import MethodTable, RpcConnection


def frame(message: Any) -> bytes:
    body = json.dumps(message).encode() if not isinstance(message, bytes) else message
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def split_frames(data: bytes) -> list[dict[str, Any]]:
    """Every frame body in ``data``, decoded; asserts the framing is exact."""
    out = []
    while data:
        header, sep, rest = data.partition(b"\r\n\r\n")
        assert sep, f"no header terminator in {data[:60]!r}"
        name, _, value = header.partition(b":")
        assert name == b"Content-Length", header
        length = int(value)
        out.append(json.loads(rest[:length]))
        data = rest[length:]
    return out


class Peer:
    """An RpcConnection on in-memory streams: feed bytes in, read replies out."""

    def __init__(self, methods: MethodTable) -> None:
        self.reader = asyncio.StreamReader()
        self.written = bytearray()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.connection = RpcConnection(self.reader, self.written.extend, methods, spawn=self._spawn)

    def _spawn(self, coro):
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def replies(self) -> list[dict[str, Any]]:
        return split_frames(bytes(self.written))

    async def wait_for_replies(self, count: int, timeout: float = 2.0) -> list[dict[str, Any]]:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.replies()) < count:
            assert asyncio.get_running_loop().time() < deadline, f"only {self.replies()} of {count} replies"
            await asyncio.sleep(0.001)
        return self.replies()

    async def exchange(self, data: bytes, *, replies: int | None = None) -> list[dict[str, Any]]:
        """Feed ``data``, wait for ``replies`` replies (if given), then EOF; return every reply."""
        self.reader.feed_data(data)
        serving = asyncio.create_task(self.connection.serve())
        if replies is not None:
            await self.wait_for_replies(replies)
        self.reader.feed_eof()
        await serving
        return self.replies()


@pytest.fixture
def peer_factory():
    return Peer
