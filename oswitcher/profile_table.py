"""The profiles as a plain-text table, for the ``profiles-list`` tool and ``o-switcher profiles list``.

Keys are masked with their fingerprint; times are shown relative to ``now_ms`` (passed in)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from oswitcher.profiles import Profile
from oswitcher.secrets import describe_secret

__all__ = ["ago", "profile_row", "render_profiles_table"]

_HEADERS = ("id", "provider", "label", "key", "status", "last used", "last error", "uses")


def ago(then_ms: int | None, now_ms: int) -> str:
    """``never``, ``just now``, ``42s ago``, ``5m ago``, ``3h ago``, ``2d ago``."""
    if then_ms is None:
        return "never"
    seconds = max(0, (now_ms - then_ms) // 1000)
    if seconds < 1:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def profile_row(profile: Profile, now_ms: int) -> tuple[str, ...]:
    """One table row: every cell safe to show (the key masked)."""
    status = profile.status if not profile.status_reason else f"{profile.status} ({profile.status_reason})"
    return (
        profile.id,
        profile.provider,
        profile.label,
        describe_secret(profile.secret),
        status,
        ago(profile.last_used_ms, now_ms),
        profile.last_error_class or "-",
        str(profile.uses),
    )


def render_profiles_table(profiles: Sequence[Profile], now_ms: int, *, notes: Mapping[str, str] | None = None) -> str:
    """An aligned plain-text table of ``profiles``, or a sentence when there are none.

    ``notes`` (profile id → text) adds a last column, ``now``: what holds a key right now
    (a cooldown and until when, a pin), as only a running bridge knows it."""
    if not profiles:
        return "No profiles yet: log in with `opencode auth login` or add an apiKey to a provider."
    headers = _HEADERS + (("now",) if notes is not None else ())
    rows = [headers, *(profile_row(p, now_ms) + ((notes.get(p.id, "-"),) if notes is not None else ()) for p in profiles)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
