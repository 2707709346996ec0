"""Showing a secret without revealing it: a masked form and a short fingerprint."""

from __future__ import annotations

import hashlib
import re

__all__ = ["fingerprint", "mask_secret", "describe_secret"]

# A known vendor prefix says which service a key is for and nothing secret; anything else
# at the start of a key may be random, so it is not shown.
_PREFIX = re.compile(r"^(?:sk-ant-|sk-proj-|sk-or-|sk-|xai-|gsk_|AIza)")
#: Below this length nothing of the secret is shown; between it and _SHOW_TAIL only the prefix.
_SHOW_PREFIX = 12
_SHOW_TAIL = 16


def mask_secret(secret: str) -> str:
    """``sk-proj-abcdef…wxyz`` → ``sk-proj-…wxyz``: a known vendor prefix and at most 4 last characters.

    Short secrets show nothing but ``…``; medium ones only their prefix.
    """
    if len(secret) < _SHOW_PREFIX:
        return "…"
    match = _PREFIX.match(secret)
    prefix = match.group() if match else ""
    if len(secret) < _SHOW_TAIL:
        return f"{prefix}…"
    return f"{prefix}…{secret[-4:]}"


def fingerprint(secret: str) -> str:
    """First 8 hex digits of the secret's sha256: tells keys apart in logs, reveals nothing."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:8]


def describe_secret(secret: str) -> str:
    """``sk-…wxyz (3f2a9c1d)``: the form used in every output meant for people."""
    return f"{mask_secret(secret)} ({fingerprint(secret)})"
