"""Resolving the names an operator types (a target, a profile) to ids, with messages that help.

A wrong name is the most common operator error, so the message lists what would have worked:
``no target named 'x'; targets: a, b``. Profiles are found by id, id prefix (8+ characters) or
label, never by key: a key typed into a chat would be a leak.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec

from oswitcher.profiles import Profile

__all__ = ["Pinnable", "UnknownName", "resolve_pinnable", "resolve_profile", "resolve_target"]

_MIN_PREFIX = 8


class UnknownName(ValueError):
    """A name that matches no target or profile; ``str()`` is the message for the user."""


class Pinnable(msgspec.Struct, frozen=True, kw_only=True):
    """What a name resolved to: a target, or a profile (``target_id`` None then)."""

    target_id: str | None = None
    profile_id: str | None = None
    label: str


def _choices(names: Iterable[str]) -> str:
    listed = sorted(names)
    return ", ".join(listed) if listed else "(none)"


def resolve_target(name: str, target_ids: Iterable[str]) -> str:
    """``name`` if it is a target id; raises :class:`UnknownName` listing the targets."""
    ids = list(target_ids)
    cleaned = name.strip()
    if cleaned in ids:
        return cleaned
    raise UnknownName(f"no target named {cleaned!r}; targets: {_choices(ids)}")


def resolve_profile(name: str, profiles: Sequence[Profile]) -> Profile:
    """The profile whose label, id or id prefix is ``name``; raises :class:`UnknownName`."""
    cleaned = name.strip()
    for profile in profiles:
        if cleaned in (profile.id, profile.label):
            return profile
    if len(cleaned) >= _MIN_PREFIX:
        matches = [p for p in profiles if p.id.startswith(cleaned)]
        if len(matches) == 1:
            return matches[0]
    raise UnknownName(f"no profile named {cleaned!r}; profiles: {_choices(p.label for p in profiles)}")


def resolve_pinnable(name: str, target_ids: Iterable[str], profiles: Sequence[Profile]) -> Pinnable:
    """A target id first (targets are what users see in status), else a profile label or id."""
    ids = list(target_ids)
    cleaned = name.strip()
    if cleaned in ids:
        return Pinnable(target_id=cleaned, label=cleaned)
    try:
        profile = resolve_profile(cleaned, profiles)
    except UnknownName:
        raise UnknownName(
            f"no target or profile named {cleaned!r}; targets: {_choices(ids)};"
            f" profiles: {_choices(p.label for p in profiles)}"
        ) from None
    return Pinnable(profile_id=profile.id, label=profile.label)
