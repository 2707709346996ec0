"""A bare Content-Length echo over stdio: the floor any JSON-RPC bridge is measured against."""

import sys

# This folder is first on sys.path and its select.py would shadow the standard library's.
sys.path.pop(0)

import asyncio  # noqa: E402
import os  # noqa: E402


async def main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    transport, _ = await loop.connect_write_pipe(asyncio.Protocol, os.fdopen(1, "wb", buffering=0))
    while True:
        try:
            header = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return
        body = await reader.readexactly(int(header.split(b":")[1]))
        transport.write(header + body)


asyncio.run(main())
