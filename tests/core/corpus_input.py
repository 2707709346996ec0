"""Turn one corpus / ``classify`` input object into an :class:`ErrorInput` (test helper)."""

from __future__ import annotations

from typing import Any

import msgspec

from oswitcher.error_input import ErrorInput, from_opencode_error, lower_headers


def to_error_input(entry: dict[str, Any]) -> ErrorInput:
    if "error" in entry:
        base = from_opencode_error(entry["error"], provider=entry.get("provider", ""))
        return msgspec.structs.replace(
            base,
            message=entry.get("message") or base.message,
            phase=entry.get("phase") or base.phase,
        )
    status = entry.get("status")
    return ErrorInput(
        status=status,
        headers=lower_headers(entry.get("headers")),
        body=entry.get("body", ""),
        message=entry.get("message", ""),
        provider=entry.get("provider", ""),
        phase=entry.get("phase") or ("response" if status is not None else "unknown"),
    )
