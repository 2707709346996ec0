"""Targets: where a request can go, and the keys usable there.

A target is one provider entry serving some models. Its ``pool`` names the service: keys of one
pool can stand in for each other (two OpenAI keys; two OpenRouter accounts). Keys are referred
to by ``key_id`` (a profile fingerprint, never the secret), listed in order of preference.
"""

from __future__ import annotations

import msgspec

__all__ = ["Target", "Request"]


class Target(msgspec.Struct, frozen=True, kw_only=True):
    """A routing target. ``models`` empty means any model; ``keys`` empty means keyless (local)."""

    target_id: str
    provider_id: str
    pool: str = ""
    enabled: bool = True
    operator_priority: int = 0
    capabilities: frozenset[str] = frozenset({"chat"})
    models: frozenset[str] = frozenset()
    keys: tuple[str, ...] = ()


class Request(msgspec.Struct, frozen=True, kw_only=True):
    """What a selection is for.

    ``tried`` holds the ``(target_id, key_id)`` pairs this request already used and must not
    reuse (``key_id`` "" for a keyless target); ``exclude_targets`` whole targets it left.
    """

    request_id: str = ""
    model: str | None = None
    capabilities: frozenset[str] = frozenset({"chat"})
    tried: frozenset[tuple[str, str]] = frozenset()
    exclude_targets: frozenset[str] = frozenset()
