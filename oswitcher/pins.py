"""Pins: the user asked that a session (or every session) use one target or one key.

A pin is a preference, not a cage: the pinned target (or key) gets every request it can serve;
when it cannot (cooling down, dead, paused, another API format), selection goes on as if there
were no pin, and the failover is announced as usual. That keeps the promise O-Switcher makes
(OpenCode keeps working) while honouring the user's choice whenever it is possible.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec

from oswitcher.targets import Target

__all__ = ["EVERY_SESSION", "Pin", "pin_for", "pinned_choice"]

#: The session id under which a pin made from a shell (no session) is stored.
EVERY_SESSION = "*"


class Pin(msgspec.Struct, frozen=True, kw_only=True):
    """A target id or a profile id (exactly one is set) a session should use."""

    target_id: str | None = None
    profile_id: str | None = None
    label: str = ""


def pin_for(pins: Mapping[str, Pin], session_id: str | None) -> Pin | None:
    """The session's own pin, else the pin for every session, else None."""
    if session_id and session_id in pins:
        return pins[session_id]
    return pins.get(EVERY_SESSION)


def pinned_choice(
    pin: Pin, targets: Iterable[Target], allowed: Iterable[str]
) -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    """Where a pinned request may go: (targets, extra ``tried`` pairs that rule out other keys).

    Empty targets mean the pin cannot apply to this request (unknown target, other API format).
    """
    allowed = frozenset(allowed)
    if pin.target_id is not None:
        return (frozenset({pin.target_id}) & allowed, frozenset())
    places = [t for t in targets if t.target_id in allowed and pin.profile_id in t.keys]
    others = frozenset((t.target_id, k) for t in places for k in t.keys if k != pin.profile_id)
    return frozenset(t.target_id for t in places), others
