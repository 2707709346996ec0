"""Keeping secrets out of logs, errors and tool output.

Two nets, both needed: values under a secret-sounding key (``apiKey``, ``authorization``,
``refresh``…) are replaced whatever they look like, and secret-shaped text (``sk-…``, ``AIza…``,
``Bearer …``, JWTs, ``?key=`` in URLs) is replaced wherever it appears, because a key often
travels inside a free-text message or a response body. A replaced secret becomes
``[redacted:1a2b3c4d]``: a short hash keeps two keys distinguishable in a log without revealing
either.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["fingerprint", "is_secret_key", "redact", "redact_text"]

# Normalised (lower case, no "-" or "_") key names whose values are always secret.
_SECRET_KEYS = frozenset(
    {
        "apikey",
        "key",
        "access",
        "refresh",
        "token",
        "authorization",
        "proxyauthorization",
        "xapikey",
        "xgoogapikey",
        "secret",
        "clientsecret",
        "password",
        "cookie",
        "setcookie",
    }
)
_SECRET_SUFFIXES = ("token", "secret", "password", "apikey")

_SECRET_TEXT = re.compile(
    r"""
    (?P<bearer>\b(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]{8,}      # Authorization header values
    | \bsk-(?:ant-|proj-|or-v1-)?[A-Za-z0-9_-]{8,}               # OpenAI, Anthropic, OpenRouter…
    | \bAIza[0-9A-Za-z_-]{20,}                                   # Google API keys
    | \b(?:gsk|xai|pplx|fw|nvapi)[-_][A-Za-z0-9_-]{16,}          # Groq, xAI, Perplexity, …
    | \beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+  # JWTs (OAuth access tokens)
    | (?P<query>[?&](?:key|api[_-]?key|token|access_token)=)[^&\s"']+  # secrets in URLs
    """,
    re.VERBOSE | re.IGNORECASE,
)


def fingerprint(secret: str, *, length: int = 8) -> str:
    """A short, stable, non-reversible name for a secret (hex of its SHA-256)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:length]


@functools.lru_cache(maxsize=4096)
def is_secret_key(name: str) -> bool:
    """Whether a mapping key names a secret (``api_key``, ``X-Api-Key``, ``refreshToken``…)."""
    norm = name.lower().replace("-", "").replace("_", "")
    return norm in _SECRET_KEYS or norm.endswith(_SECRET_SUFFIXES)


def _mask(secret: str) -> str:
    return f"[redacted:{fingerprint(secret)}]"


def _replace(match: re.Match[str]) -> str:
    prefix = match.group("bearer") or match.group("query")
    if prefix:
        return prefix + _mask(match.group(0)[len(prefix) :])
    return _mask(match.group(0))


# Every pattern above starts with one of these (lower-cased): a cheap test that spares the
# regex the ids and names that make up most of a log line.
_TRIGGERS = ("sk-", "aiza", "bearer", "basic", "gsk", "xai", "pplx", "fw", "nvapi", "eyj", "key=", "token=")


def redact_text(text: str) -> str:
    """``text`` with every secret-shaped substring replaced by its short hash."""
    if len(text) < 8:  # shorter than any pattern above
        return text
    if len(text) <= 256:
        return _redact_short(text)
    return _redact_scan(text)


@functools.lru_cache(maxsize=8192)
def _redact_short(text: str) -> str:
    # Log lines repeat the same short values (session ids, model and method names) on every
    # hook call: remembering the answer makes redaction nearly free for them.
    return _redact_scan(text)


def _redact_scan(text: str) -> str:
    lowered = text.lower()
    for trigger in _TRIGGERS:  # a plain loop: a generator or a regex here costs 3-4× more
        if trigger in lowered:
            return _SECRET_TEXT.sub(_replace, text)
    return text


def redact(value: Any) -> Any:
    """A copy of ``value`` (nested dicts, lists, strings) with every secret replaced.

    Strings under a secret-sounding key are replaced whole; other strings are scanned for
    secret-shaped text. Other scalars pass through. (This runs on every log line: concrete type
    checks come first.)
    """
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(item, str):
                out[key] = _mask(item) if item and isinstance(key, str) and is_secret_key(key) else redact_text(item)
            elif item is None or isinstance(item, (bool, int, float)):
                out[key] = item
            else:
                out[key] = redact(item)
        return out
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if value is None or isinstance(value, (int, float)):
        return value
    if isinstance(value, Mapping):
        return redact(dict(value))
    return value
