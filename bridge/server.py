"""The bridge process: stdio wire, log file, signals, and the task group everything runs in.

stdout is the wire. Before anything else runs, the real fd 1 is duplicated for the JSON-RPC
writer and fd 1 (and ``sys.stdout``) are pointed at stderr, so a stray ``print``, a library or
a child process can never write into the stream. The process ends on stdin EOF, on
``shutdown``, or on SIGTERM/SIGINT, cancelling every task it started.
"""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import sys
import threading
from collections.abc import Callable

import structlog

from bridge import __version__
from bridge.framing import MAX_HEADER_BYTES
from bridge.logs import LoopFlushedLog, configure_logging, default_log_path, open_log
from bridge.methods import BridgeMethods
from bridge.rpc import RpcConnection
from bridge.runtime import BridgeRuntime

__all__ = ["main", "serve"]

_log = structlog.get_logger("bridge.server")


def claim_stdout() -> int:
    """Keep the real stdout for frames only; returns the wire's file descriptor."""
    wire = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return wire


def _pollable(fd: int) -> bool:
    """Pipes and sockets go through the event loop; files, /dev/null and terminals cannot."""
    mode = os.fstat(fd).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


async def _open_input(fd: int, reader: asyncio.StreamReader) -> Callable[[], None]:
    """Feed ``fd`` into ``reader``; returns how to stop.

    Pipes and sockets (how OpenCode starts the bridge) go through the event loop; anything else
    (a regular file, ``/dev/null``, a terminal) cannot be polled, so a thread reads it.
    """
    loop = asyncio.get_running_loop()
    if _pollable(fd):
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0, closefd=False)
        )
        return transport.close

    def pump() -> None:
        while chunk := os.read(fd, 1 << 16):
            loop.call_soon_threadsafe(reader.feed_data, chunk)
        loop.call_soon_threadsafe(reader.feed_eof)

    threading.Thread(target=pump, name="stdin-reader", daemon=True).start()
    return lambda: None


async def _open_output(fd: int) -> tuple[Callable[[bytes], object], Callable[[], None]]:
    """A non-blocking writer for ``fd`` and how to close it; regular files are written directly."""
    loop = asyncio.get_running_loop()
    if _pollable(fd):
        transport, _ = await loop.connect_write_pipe(asyncio.Protocol, os.fdopen(fd, "wb", buffering=0, closefd=False))
        return transport.write, transport.close
    return (lambda data: os.write(fd, data)), (lambda: None)


async def serve(stdin_fd: int, wire_fd: int, *, log_path: os.PathLike[str] | str) -> None:
    """Serve JSON-RPC on ``stdin_fd`` → ``wire_fd`` until EOF, ``shutdown`` or a signal."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=MAX_HEADER_BYTES)
    close_input = await _open_input(stdin_fd, reader)
    write, close_output = await _open_output(wire_fd)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with asyncio.TaskGroup() as tasks:
            runtime = BridgeRuntime(
                env=os.environ, spawn=tasks.create_task, notify=lambda m, p: connection.notify(m, p), stop=stop
            )
            methods = BridgeMethods(runtime=runtime, log_path=log_path, on_shutdown=lambda: loop.call_soon(stop.set))
            connection = RpcConnection(reader, write, methods.table(), spawn=tasks.create_task)
            serving = tasks.create_task(connection.serve())
            stopping = tasks.create_task(stop.wait())
            done, _ = await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
            reason = "eof" if serving in done else "stop"
            stop.set()  # ends the config watcher
            serving.cancel()
            stopping.cancel()
        runtime.close()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        close_input()
        close_output()
    _log.info("bridge_stopped", reason=reason)


def main() -> int:
    """Entry point of ``python -m bridge`` and ``o-switcher bridge``."""
    wire = claim_stdout()
    log_path = default_log_path()
    log = LoopFlushedLog(open_log(log_path))
    configure_logging(log, level=os.environ.get("OSWITCHER_LOG_LEVEL", "info"))
    _log.info("bridge_started", version=__version__, pid=os.getpid(), python=sys.version.split()[0])
    try:
        asyncio.run(serve(0, wire, log_path=log_path))
    finally:
        log.close()
    return 0
