"""Profile accumulation: every credential the user ever used, one profile each, never forgotten.

OpenCode keeps one credential per provider in ``auth.json`` and a new login overwrites it.
Each distinct credential seen (in ``auth.json`` or as ``apiKey`` in a provider entry) becomes a
profile whose id is a fingerprint of the provider and the credential's stable secret (the API
key, or the OAuth *refresh* token, which outlives its access tokens). Profiles are only ever
added or updated here; removing one is the user's decision (``o-switcher profiles remove``).

This module is pure: it turns parsed data into values and plans upserts; the store persists.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import msgspec

from oswitcher.secrets import describe_secret

__all__ = [
    "AuthProblem",
    "Credential",
    "Profile",
    "credentials_from_auth",
    "credentials_from_providers",
    "plan_upsert",
    "profile_id",
]

Kind = Literal["api", "oauth", "wellknown"]
Status = Literal["active", "cooling", "dead"]


def _safe_repr(obj: msgspec.Struct) -> str:
    # Structs holding secrets must not print them: a repr ends up in logs and tracebacks.
    fields = []
    for name in obj.__struct_fields__:
        value = getattr(obj, name)
        if name == "secret":
            value = describe_secret(value)
        elif name == "payload":
            value = sorted(value)  # only the names: OAuth access tokens live here
        fields.append(f"{name}={value!r}")
    return f"{type(obj).__name__}({', '.join(fields)})"


class Credential(msgspec.Struct, frozen=True, kw_only=True):
    """One credential as found. ``secret`` is the stable part (API key or refresh token);
    ``payload`` the rest needed to use it (OAuth access token and expiry, account id, …)."""

    provider: str
    kind: Kind
    secret: str
    source: str
    payload: dict[str, Any] = {}

    @property
    def profile_id(self) -> str:
        """This credential's profile id."""
        return profile_id(self.provider, self.secret)

    __repr__ = _safe_repr


class Profile(msgspec.Struct, frozen=True, kw_only=True):
    """A stored credential and what is known about it. Times are epoch milliseconds."""

    id: str
    provider: str
    kind: Kind
    secret: str
    source: str
    label: str
    first_seen_ms: int
    last_seen_ms: int
    payload: dict[str, Any] = {}
    status: Status = "active"
    status_reason: str | None = None
    last_used_ms: int | None = None
    last_error_class: str | None = None
    uses: int = 0

    __repr__ = _safe_repr


class AuthProblem(msgspec.Struct, frozen=True, kw_only=True):
    """An ``auth.json`` entry (or the whole file) that could not be used, and why (no values)."""

    provider: str | None
    reason: str


def profile_id(provider: str, secret: str) -> str:
    """16 hex digits of sha256(provider, NUL, secret): stable, and reveals nothing."""
    return hashlib.sha256(f"{provider}\0{secret}".encode()).hexdigest()[:16]


def _nonempty(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def credentials_from_auth(auth: Any, *, source: str) -> tuple[list[Credential], list[AuthProblem]]:
    """Credentials in a decoded ``auth.json``; malformed entries become problems, not errors."""
    if not isinstance(auth, dict):
        return [], [AuthProblem(provider=None, reason="top level is not an object")]
    found: list[Credential] = []
    problems: list[AuthProblem] = []
    for provider, entry in auth.items():
        kind = entry.get("type") if isinstance(entry, dict) else None
        if kind == "api" and _nonempty(entry.get("key")):
            payload = {"metadata": entry["metadata"]} if isinstance(entry.get("metadata"), dict) else {}
            found.append(Credential(provider=provider, kind="api", secret=entry["key"], source=source, payload=payload))
        elif kind == "oauth" and _nonempty(entry.get("refresh")):
            payload = {k: entry[k] for k in ("access", "expires", "accountId", "enterpriseUrl") if k in entry}
            found.append(
                Credential(provider=provider, kind="oauth", secret=entry["refresh"], source=source, payload=payload)
            )
        elif kind == "wellknown" and _nonempty(entry.get("key")) and _nonempty(entry.get("token")):
            # For well-known auth, ``key`` names an env var and ``token`` is the secret.
            found.append(
                Credential(
                    provider=provider, kind="wellknown", secret=entry["token"], source=source,
                    payload={"key": entry["key"]},
                )
            )
        else:
            problems.append(AuthProblem(provider=provider, reason=f"unusable entry of type {kind!r}"))
    return found, problems


def credentials_from_providers(providers: Mapping[str, Any], *, source: str) -> list[Credential]:
    """API keys written in provider entries (``apiKey`` or ``options.apiKey``) of a config."""
    found = []
    for provider, entry in providers.items():
        if not isinstance(entry, dict):
            continue
        options = entry.get("options") if isinstance(entry.get("options"), dict) else {}
        for key in (entry.get("apiKey"), options.get("apiKey")):
            if _nonempty(key):
                found.append(Credential(provider=provider, kind="api", secret=key, source=source))
    return found


_LABEL_NUMBER = re.compile(r"-(\d+)$")


def _next_label(provider: str, taken: Iterable[str]) -> str:
    highest = 0
    for label in taken:
        if label.startswith(f"{provider}-") and (m := _LABEL_NUMBER.search(label)):
            highest = max(highest, int(m.group(1)))
    return f"{provider}-{highest + 1}"


def plan_upsert(existing: Sequence[Profile], credentials: Iterable[Credential], now_ms: int) -> list[Profile]:
    """The profiles to write so that every credential has one: new ones labelled
    ``<provider>-<n>``, known ones with ``last_seen_ms`` (and an OAuth payload) refreshed.

    Status, label, usage and first sighting of a known profile are kept.
    """
    by_id = {p.id: p for p in existing}
    labels = [p.label for p in existing]
    out: dict[str, Profile] = {}
    for cred in credentials:
        pid = cred.profile_id
        current = out.get(pid) or by_id.get(pid)
        if current is None:
            label = _next_label(cred.provider, labels)
            labels.append(label)
            out[pid] = Profile(
                id=pid, provider=cred.provider, kind=cred.kind, secret=cred.secret, source=cred.source,
                label=label, first_seen_ms=now_ms, last_seen_ms=now_ms, payload=dict(cred.payload),
            )
        else:
            payload = {**current.payload, **cred.payload}
            if current.last_seen_ms != now_ms or payload != current.payload:
                out[pid] = msgspec.structs.replace(current, last_seen_ms=max(now_ms, current.last_seen_ms),
                                                   payload=payload)
    return list(out.values())
