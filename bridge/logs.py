"""The bridge's log: structlog NDJSON lines in a file, secrets redacted, never on stdout.

One line per event, ``{"event": "...", "msg": "...", "level": ..., "timestamp": ..., ...}``.
``msg`` repeats ``event`` so that both styles of the original O-Switcher's ``jq`` recipes work
(``select(.msg == "request_summary")`` and ``select(.event == "cooldown_set")``). Records of
stdlib ``logging`` (python-lsp-jsonrpc logs tracebacks that way) go through the same redaction.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import Any, BinaryIO

import msgspec
import structlog

from bridge.context import add_request_context
from oswitcher.redaction import redact

__all__ = ["LoopFlushedLog", "configure_logging", "default_log_path", "open_log"]

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def default_log_path(env: os._Environ[str] | dict[str, str] = os.environ) -> Path:
    """``$OSWITCHER_LOG``, else ``$XDG_STATE_HOME/o-switcher/bridge.log`` (``~/.local/state``)."""
    if env.get("OSWITCHER_LOG"):
        return Path(env["OSWITCHER_LOG"]).expanduser()
    state = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "o-switcher" / "bridge.log"


class _UtcTimestamp:
    """``timestamp`` in ISO 8601 UTC with microseconds; the date part is formatted once a second."""

    __slots__ = ("_prefix", "_second")

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def __call__(self, _logger: Any, _name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second, self._prefix = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        event_dict["timestamp"] = f"{self._prefix}.{int((now - second) * 1e6):06d}Z"
        return event_dict


_LEVEL_NAMES = {"warn": "warning", "exception": "error"}


class _Finish:
    """Every line's last steps in one pass: request context, tracebacks, redaction, then level,
    time and ``msg`` (added after redaction because they cannot hold secrets; ``msg`` copies the
    already redacted event). One processor instead of six: this runs for every hook call.
    """

    __slots__ = ("_timestamp",)

    def __init__(self) -> None:
        self._timestamp = _UtcTimestamp()

    def __call__(self, logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        add_request_context(logger, method_name, event_dict)
        if "exc_info" in event_dict:
            event_dict = structlog.processors.dict_tracebacks(logger, method_name, event_dict)
        event_dict = redact(event_dict)
        event_dict["level"] = _LEVEL_NAMES.get(method_name, method_name)
        self._timestamp(logger, method_name, event_dict)
        event_dict.setdefault("msg", event_dict.get("event"))
        return event_dict


def open_log(path: Path) -> BinaryIO:
    """Open the log for appending (creating its folder), private to the user: it may name keys' hashes."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    return os.fdopen(fd, "ab", buffering=0)


class LoopFlushedLog:
    """A log stream whose lines reach the file at the end of the current event-loop turn.

    A burst of requests handled in one turn then costs one ``write`` instead of one per line.
    Outside a running loop (start-up, shutdown, tests) every line is written at once. Nothing
    is lost on a crash that Python survives; a SIGKILL can lose the lines of one loop turn.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._pending = bytearray()
        self._scheduled = False

    def write(self, data: bytes) -> None:
        self._pending += data

    def flush(self) -> None:
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._write_out()
            return
        self._scheduled = True
        # A timer rather than call_soon: replies queued in this turn are written first.
        loop.call_later(0, self._write_out)

    def _write_out(self) -> None:
        self._scheduled = False
        if self._pending:
            data, self._pending = bytes(self._pending), bytearray()
            self._stream.write(data)

    def close(self) -> None:
        self._write_out()


def configure_logging(stream: BinaryIO, *, level: str = "info") -> None:
    """Send structlog (and stdlib ``logging``) to ``stream`` as redacted NDJSON."""
    finish = _Finish()
    encoder = msgspec.json.Encoder(enc_hook=str)
    structlog.configure(
        processors=[finish, lambda _logger, _name, event_dict: encoder.encode(event_dict)],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        logger_factory=structlog.BytesLoggerFactory(stream),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(_TextAdapter(stream))
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                lambda _logger, _name, event_dict: encoder.encode(event_dict).decode(),
            ],
            foreign_pre_chain=[structlog.stdlib.add_logger_name, finish],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    # python-lsp-jsonrpc logs a traceback for every error reply, including the ones the bridge
    # raises on purpose (invalid params); bridge.rpc logs each of those itself, once.
    logging.getLogger("pylsp_jsonrpc").setLevel(logging.CRITICAL)


class _TextAdapter:
    """A text ``write`` over the binary log stream, for stdlib logging's handler."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def write(self, text: str) -> None:
        self._stream.write(text.encode("utf-8", "replace"))

    def flush(self) -> None:
        self._stream.flush()
