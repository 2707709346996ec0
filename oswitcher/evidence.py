"""Evidence: everything the classifier's rules look at, extracted once from an :class:`ErrorInput`.

Status codes and ``type`` fields lie, so evidence is gathered from all of: the HTTP status (or
the one a provider repeats inside its JSON, as Google and OpenRouter do), the lower-cased
structured identifiers anywhere in a JSON body or JSON-looking message (OpenAI ``error.type`` /
``error.code``, Anthropic ``error.type`` and ``details.error_code``, Google ``status`` and
``details[].reason``, Bedrock ``__type`` and ``x-amzn-errortype``, OpenRouter ``metadata.raw``),
Google ``QuotaFailure`` quota ids and ``RetryInfo.retryDelay``, and the prose.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from oswitcher.error_input import ErrorInput
from oswitcher.retry_hints import parse_duration_ms

__all__ = ["Evidence", "gather_evidence"]

#: Enough for any provider's error; keeps a giant HTML error page cheap to scan.
_TEXT_LIMIT = 8192
_GOOGLE_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"


@dataclass(frozen=True, slots=True)
class Evidence:
    """Everything the rules look at, extracted once per input.

    ``codes`` holds the lower-cased structured identifiers found anywhere in the body
    (``type``, ``code``, ``status``, ``reason``, ``__type``, ``error_code``); ``text`` the
    lower-cased message plus body; ``quota_ids`` Google's ``QuotaFailure`` quota ids.
    """

    status: int | None
    phase: str
    kind: str
    codes: frozenset[str]
    text: str
    quota_ids: tuple[str, ...]
    retry_delay_ms: int | None


def gather_evidence(error: ErrorInput) -> Evidence:
    """Parse the body (and a JSON-looking message) once; collect codes, text and hints."""
    codes: set[str] = set()
    quota_ids: list[str] = []
    delays: list[int] = []
    texts = [error.message[:_TEXT_LIMIT]]
    status = error.status
    document = _parse_json(error.body)
    if document is None:
        texts.append(error.body[:_TEXT_LIMIT])
    else:
        # Only the document's prose is searched, not its keys and punctuation: less to scan.
        status = _merge_status(status, _walk(document, codes, quota_ids, delays, texts))
    if "{" in error.message:
        document = _parse_json(error.message)
        if document is not None:
            status = _merge_status(status, _walk(document, codes, quota_ids, delays, texts))
    amazon = error.headers.get("x-amzn-errortype")
    if amazon:
        codes.add(amazon.split(":", 1)[0].lower())
    return Evidence(
        status=status,
        phase=error.phase,
        kind=error.kind,
        codes=frozenset(codes),
        text="\n".join(texts).lower(),
        quota_ids=tuple(quota_ids),
        retry_delay_ms=delays[0] if delays else None,
    )


def _merge_status(status: int | None, embedded: int | None) -> int | None:
    # Google and OpenRouter repeat the HTTP status as error.code: useful when none came with it.
    return status if status is not None else embedded


def _parse_json(source: str) -> object | None:
    start = source.find("{")
    bracket = source.find("[")
    if start < 0 and bracket < 0:
        return None
    if 0 <= bracket < start or start < 0:
        start = bracket
    try:
        return msgspec.json.decode(source[start:].strip().encode())
    except msgspec.DecodeError:
        return None


_CODE_KEYS = frozenset({"type", "code", "status", "reason", "__type", "error_code", "errorType"})
_TEXT_KEYS = frozenset({"message", "msg", "detail", "description"})
_CHILD_KEYS = frozenset({"error", "details", "metadata", "violations", "errors"})


def _walk(
    node: object, codes: set[str], quota_ids: list[str], delays: list[int], texts: list[str], depth: int = 0
) -> int | None:
    """Collect identifiers from a provider's error document; returns an embedded HTTP status."""
    if depth > 6:
        return None
    embedded: int | None = None
    if isinstance(node, list):
        for item in node[:8]:
            found = _walk(item, codes, quota_ids, delays, texts, depth + 1)
            embedded = embedded if embedded is not None else found
        return embedded
    if not isinstance(node, dict):
        return None
    # One pass over the (small) object's items instead of a lookup per known key.
    for key, value in node.items():
        if key in _CODE_KEYS:
            if isinstance(value, str):
                if value:
                    codes.add(value.lower())
            elif key == "code" and type(value) is int and 100 <= value <= 599:
                embedded = value
        elif key in _TEXT_KEYS:
            if isinstance(value, str):
                texts.append(value[:_TEXT_LIMIT])
        elif key in _CHILD_KEYS:
            if isinstance(value, (dict, list)):
                found = _walk(value, codes, quota_ids, delays, texts, depth + 1)
                embedded = embedded if embedded is not None else found
            elif key == "error" and isinstance(value, str):
                texts.append(value[:_TEXT_LIMIT])
        elif key == "quotaId":
            if isinstance(value, str):
                quota_ids.append(value.lower())
        elif key == "retryDelay":
            if isinstance(value, str) and node.get("@type") == _GOOGLE_RETRY_INFO:
                parsed = parse_duration_ms(value)
                if parsed is not None:
                    delays.append(parsed)
        elif key == "raw" and isinstance(value, str):
            texts.append(value[:_TEXT_LIMIT])  # OpenRouter wraps the upstream provider's error here
            inner = _parse_json(value)
            if inner is not None:
                _walk(inner, codes, quota_ids, delays, texts, depth + 1)
    return embedded
    if not isinstance(node, dict):
        return None
    for key in ("type", "code", "status", "reason", "__type", "error_code", "errorType"):
        value = node.get(key)
        if isinstance(value, str) and value:
            codes.add(value.lower())
        elif key == "code" and isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
            embedded = value
    if node.get("@type") == _GOOGLE_RETRY_INFO and isinstance(node.get("retryDelay"), str):
        parsed = parse_duration_ms(node["retryDelay"])
        if parsed is not None:
            delays.append(parsed)
    quota_id = node.get("quotaId")
    if isinstance(quota_id, str):
        quota_ids.append(quota_id.lower())
    for key in ("message", "msg", "detail", "description"):
        value = node.get(key)
        if isinstance(value, str):
            texts.append(value[:_TEXT_LIMIT])
    raw = node.get("raw")
    if isinstance(raw, str):
        texts.append(raw[:_TEXT_LIMIT])  # OpenRouter wraps the upstream provider's error here
        inner = _parse_json(raw)
        if inner is not None:
            _walk(inner, codes, quota_ids, delays, texts, depth + 1)
    for key in ("error", "details", "metadata", "violations", "errors"):
        child = node.get(key)
        if isinstance(child, (dict, list)):
            found = _walk(child, codes, quota_ids, delays, texts, depth + 1)
            embedded = embedded if embedded is not None else found
        elif key == "error" and isinstance(child, str):
            texts.append(child[:_TEXT_LIMIT])
    return embedded
