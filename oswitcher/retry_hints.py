"""Retry hints: how long a server asked us to wait, in every form providers use.

Forms understood, first match wins in :func:`hint_from_headers`:

* ``retry-after-ms: 1500`` (OpenAI, Azure): milliseconds.
* ``retry-after: 30`` seconds, or an HTTP date (needs ``now_ms``).
* ``x-ratelimit-reset-requests`` / ``x-ratelimit-reset-tokens``: Go-style durations such as
  ``1m30s``, ``6m0s``, ``20ms`` (OpenAI, Groq). The exhausted one (its ``remaining`` is 0) wins;
  without that evidence the longer one, since waiting too little only buys another 429.
* ``x-ratelimit-reset: 1741305600000`` (OpenRouter): epoch milliseconds (needs ``now_ms``).

Body and text forms: Google's ``RetryInfo.retryDelay`` (``"59s"``, see the classifier) and
phrases such as "try again in 9m38.016s", "Please wait 6 minutes", "retry after 30 seconds".

Everything here is pure: the current time is an argument, never read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

__all__ = ["parse_duration_ms", "hint_from_headers", "hint_from_text"]

_UNIT_MS = {
    "ms": 1,
    "msec": 1,
    "msecs": 1,
    "millisecond": 1,
    "milliseconds": 1,
    "s": 1000,
    "sec": 1000,
    "secs": 1000,
    "second": 1000,
    "seconds": 1000,
    "m": 60_000,
    "min": 60_000,
    "mins": 60_000,
    "minute": 60_000,
    "minutes": 60_000,
    "h": 3_600_000,
    "hr": 3_600_000,
    "hrs": 3_600_000,
    "hour": 3_600_000,
    "hours": 3_600_000,
    "d": 86_400_000,
    "day": 86_400_000,
    "days": 86_400_000,
}
# Longest alternatives first so that "ms" is not read as "m" followed by junk.
_UNIT = r"(?:milliseconds?|msecs?|ms|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s|days?|d)(?![a-z])"
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(" + _UNIT + r")", re.IGNORECASE)
_DURATION = re.compile(r"^\s*(?:\d+(?:\.\d+)?\s*" + _UNIT + r"\s*)+$", re.IGNORECASE)
_NUMBER = re.compile(r"^\s*\d+(?:\.\d+)?\s*$")
_TEXT_HINT = re.compile(
    r"(?:try(?:ing)? again|retry|retrying|wait|reset)(?:\s+again)?(?:\s+(?:in|after|for))?"
    r"(?:\s+(?:about|approximately|at least))?\s+"
    r"((?:\d+(?:\.\d+)?\s*" + _UNIT + r"[\s,]*(?:and\s+)?)+)",
    re.IGNORECASE,
)
_EPOCH_MS_FLOOR = 10**12  # anything this large is an epoch timestamp, not a duration


def parse_duration_ms(text: str) -> int | None:
    """``"1m30s"`` → 90000, ``"20ms"`` → 20, ``"59.5s"`` → 59500, ``"6 minutes"`` → 360000.

    A bare number is seconds (as in ``Retry-After``). Anything else is ``None``.
    """
    if _NUMBER.match(text):
        return _non_negative_ms(float(text) * 1000)
    if not _DURATION.match(text):
        return None
    total = 0.0
    for amount, unit in _PART.findall(text):
        total += float(amount) * _UNIT_MS[unit.lower()]
    return _non_negative_ms(total)


def hint_from_headers(headers: Mapping[str, str], *, now_ms: int | None) -> int | None:
    """The wait the headers ask for, in ms, or ``None``. Header names must be lower case."""
    if not headers:
        return None
    raw = headers.get("retry-after-ms")
    if raw is not None and _NUMBER.match(raw):
        return _non_negative_ms(float(raw))
    raw = headers.get("retry-after")
    if raw is not None:
        hinted = _retry_after(raw, now_ms=now_ms)
        if hinted is not None:
            return hinted
    resets = []
    for kind in ("requests", "tokens"):
        raw = headers.get(f"x-ratelimit-reset-{kind}")
        if raw is None:
            continue
        parsed = parse_duration_ms(raw)
        if parsed is None:
            continue
        if headers.get(f"x-ratelimit-remaining-{kind}", "").strip() == "0":
            return parsed
        resets.append(parsed)
    if resets:
        return max(resets)
    raw = headers.get("x-ratelimit-reset")
    if raw is not None and _NUMBER.match(raw):
        value = float(raw)
        if value >= _EPOCH_MS_FLOOR:
            return None if now_ms is None else _non_negative_ms(value - now_ms)
        return _non_negative_ms(value * 1000)
    return None


def hint_from_text(text: str) -> int | None:
    """A wait stated in prose: "try again in 9m38.016s", "Please wait 6 minutes"."""
    match = _TEXT_HINT.search(text)
    if match is None:
        return None
    total = 0.0
    for amount, unit in _PART.findall(match.group(1)):
        total += float(amount) * _UNIT_MS[unit.lower()]
    return _non_negative_ms(total)


def _retry_after(raw: str, *, now_ms: int | None) -> int | None:
    if _NUMBER.match(raw):
        return _non_negative_ms(float(raw) * 1000)
    if now_ms is None:
        return None
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a naive result means it said so implicitly
        return None
    return _non_negative_ms(when.timestamp() * 1000 - now_ms)


def _non_negative_ms(value: float) -> int:
    return max(0, round(value))
