"""Which JSON-RPC request is being handled: bound per call, read by every log line.

Two plain context variables instead of structlog's ``bind_contextvars``: that one copies and
scans the whole context on every log call, which cost more than handling the request itself.
Tasks started while handling a request inherit its context, so their log lines carry its id.
"""

from __future__ import annotations

import contextvars
from typing import Any

__all__ = ["add_request_context", "request_id", "request_method"]

request_id: contextvars.ContextVar[str | int | None] = contextvars.ContextVar("request_id", default=None)
request_method: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_method", default=None)


def add_request_context(_logger: Any, _name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: ``rpc_id`` and ``rpc_method`` of the request being handled, if any."""
    method = request_method.get()
    if method is not None:
        event_dict.setdefault("rpc_method", method)
        event_dict.setdefault("rpc_id", request_id.get())
    return event_dict
