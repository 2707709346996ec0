"""The classifier's one input shape, and converters from every form the bridge meets.

A failure reaches the bridge either as a direct HTTP result (the shim's custom fetch: status,
headers, body, or a transport error before any byte / in the middle of a stream) or as one of
OpenCode's error objects from events (``session.error``, ``message.updated``, ``session.status``).
All of them become an :class:`ErrorInput`; the classifier never sees the original shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import msgspec

__all__ = ["ErrorInput", "Phase", "from_opencode_error", "from_session_status", "lower_headers"]

#: Where the failure happened. ``response``: an HTTP status arrived. ``before_response``: the
#: transport failed before any byte (refused, DNS, TLS). ``in_stream``: a started response died.
#: ``unknown``: an event that does not say (OpenCode's ``APIError`` without ``statusCode``).
Phase = Literal["response", "before_response", "in_stream", "unknown"]


class ErrorInput(msgspec.Struct, frozen=True, kw_only=True):
    """A failed attempt, normalised.

    ``headers`` names are lower case (use :func:`lower_headers`). ``kind`` is OpenCode's error
    ``name`` (``APIError``, ``ProviderAuthError``, ``ContextOverflowError``…) when there was one.
    ``retry_at_ms`` is an absolute time the source asked to retry at (OpenCode's ``next``).
    """

    status: int | None = None
    headers: Mapping[str, str] = msgspec.field(default_factory=dict)
    body: str = ""
    message: str = ""
    provider: str = ""
    phase: Phase = "unknown"
    kind: str = ""
    retry_at_ms: int | None = None


def lower_headers(headers: Mapping[str, Any] | None) -> dict[str, str]:
    """Header names in lower case, values as strings (HTTP header names are case-insensitive)."""
    if not headers:
        return {}
    return {str(name).lower(): str(value) for name, value in headers.items()}


def from_opencode_error(error: Mapping[str, Any], *, provider: str = "") -> ErrorInput:
    """An OpenCode error object (``{name, data: {...}}``, or the same fields flattened)."""
    name = str(error.get("name") or "")
    data = error.get("data")
    fields: Mapping[str, Any] = data if isinstance(data, Mapping) else error
    status = fields.get("statusCode")
    if not isinstance(status, int) or isinstance(status, bool):
        status = None
    body = fields.get("responseBody")
    provider_id = fields.get("providerID")
    return ErrorInput(
        status=status,
        headers=lower_headers(
            fields.get("responseHeaders") if isinstance(fields.get("responseHeaders"), Mapping) else None
        ),
        body=body if isinstance(body, str) else "",
        message=str(fields.get("message") or ""),
        provider=provider or (provider_id if isinstance(provider_id, str) else ""),
        # OpenCode omits statusCode exactly when no response arrived, but it does not say
        # whether a stream had started: leave that to the message text.
        phase="response" if status is not None else "unknown",
        kind=name,
    )


def from_session_status(status: Mapping[str, Any], *, provider: str = "") -> ErrorInput:
    """A ``session.status`` of type ``retry``: ``{attempt, message, next /* epoch ms */}``."""
    when = status.get("next")
    return ErrorInput(
        message=str(status.get("message") or ""),
        provider=provider,
        kind="SessionRetry",
        retry_at_ms=when if isinstance(when, int) and not isinstance(when, bool) else None,
    )
