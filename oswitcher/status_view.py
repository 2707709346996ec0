"""The operator's view of O-Switcher: every target and pool, and what is keeping each one out.

Built from plain values (so the bridge, which has a live engine, and the command line, which has
only the config and the state store, show the same thing), rendered as plain-text tables that
read well in OpenCode's chat and in a terminal. Keys appear only masked (``describe_secret``);
times are shown in UTC, computed from ``now_ms`` (passed in, like every clock here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from oswitcher.pins import Pin
from oswitcher.targets import Target

__all__ = [
    "CooldownInfo",
    "KeyStatus",
    "PoolStatus",
    "StatusView",
    "TargetStatus",
    "build_status",
    "clock_time",
    "render_status",
    "render_table",
]


class CooldownInfo(msgspec.Struct, frozen=True, kw_only=True):
    """A rest period: until when, and why (error class, and the source of its length)."""

    until_ms: int
    error_class: str
    reason: str | None = None


class KeyStatus(msgspec.Struct, frozen=True, kw_only=True):
    """One key of a target: label, masked key, dead or cooling."""

    profile_id: str
    label: str
    key: str
    dead: bool = False
    dead_reason: str | None = None
    cooldown: CooldownInfo | None = None


class TargetStatus(msgspec.Struct, frozen=True, kw_only=True):
    """One target: the operator's flags, its circuit, cooldown, load, and the key it would use."""

    target_id: str
    provider_id: str
    pool_id: str
    state: str  # ok | paused | draining | drained (draining, nothing in flight) | disabled
    circuit: str  # closed | open | half_open | unknown
    circuit_until_ms: int | None = None
    health: float | None = None
    cooldown: CooldownInfo | None = None
    in_flight: int | None = None
    profile_in_use: str | None = None
    keys: tuple[KeyStatus, ...] = ()


class PoolStatus(msgspec.Struct, frozen=True, kw_only=True):
    """Targets sharing one service, and how many distinct keys they have between them."""

    pool_id: str
    members: tuple[str, ...]
    keys: int
    usable_keys: int


class StatusView(msgspec.Struct, frozen=True, kw_only=True):
    """Everything ``switcher-status`` and ``o-switcher status`` show."""

    now_ms: int
    source: str  # "bridge" (live engine) or "store" (a shell: config and state store)
    targets: tuple[TargetStatus, ...] = ()
    pools: tuple[PoolStatus, ...] = ()
    pins: dict[str, str] = {}
    recent_failovers: tuple[dict[str, Any], ...] = ()
    config_error: str | None = None


def clock_time(ms: int) -> str:
    """``HH:MM:SS UTC`` of an epoch-milliseconds time (arithmetic only: the core reads no clock)."""
    seconds = (ms // 1000) % 86400
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d} UTC"


def _until(ms: int, now_ms: int) -> str:
    left = max(0, (ms - now_ms + 999) // 1000)
    span = f"{left}s" if left < 120 else (f"{left // 60}m" if left < 7200 else f"{left // 3600}h")
    return f"until {clock_time(ms)} (in {span})"


def build_status(
    *,
    now_ms: int,
    source: str,
    targets: Sequence[Target],
    labels: Mapping[str, str],
    masked: Mapping[str, str],
    cooldowns: Mapping[tuple[str | None, str | None], CooldownInfo],
    circuits: Mapping[str, tuple[str, int | None]],
    paused: frozenset[str] = frozenset(),
    draining: frozenset[str] = frozenset(),
    dead: Mapping[str, str] | None = None,
    health: Mapping[str, float] | None = None,
    in_flight: Mapping[str, int] | None = None,
    pins: Mapping[str, Pin] | None = None,
    recent_failovers: Sequence[Mapping[str, Any]] = (),
) -> StatusView:
    """Join the pieces into a view. ``cooldowns`` is keyed by ``(target_id, key_id)`` as the engine
    scopes them (``(t, None)`` a target, ``(None, k)`` a key everywhere, ``(t, k)`` a key on a target);
    ``circuits`` maps a target to its state name and, when open, until when."""
    dead = dead or {}
    active = {scope: cd for scope, cd in cooldowns.items() if cd.until_ms > now_ms}
    rows: list[TargetStatus] = []
    for target in sorted(targets, key=lambda t: t.target_id):
        tid = target.target_id
        keys = []
        in_use = None
        for key_id in target.keys:
            cds = [cd for cd in (active.get((None, key_id)), active.get((tid, key_id))) if cd]
            cd = max(cds, key=lambda c: c.until_ms) if cds else None
            status = KeyStatus(
                profile_id=key_id, label=labels.get(key_id, key_id[:8]), key=masked.get(key_id, "…"),
                dead=key_id in dead, dead_reason=dead.get(key_id), cooldown=cd,
            )
            keys.append(status)
            if in_use is None and not status.dead and cd is None:
                in_use = f"{status.label} {status.key}"
        if not target.keys:
            in_use = "(no key)"
        state = "disabled" if not target.enabled else (
            "paused" if tid in paused else "draining" if tid in draining else "ok"
        )
        if state == "draining" and in_flight is not None and in_flight.get(tid, 0) == 0:
            state = "drained"  # nothing left in flight: safe to take out
        circuit, circuit_until = circuits.get(tid, ("closed", None))
        rows.append(
            TargetStatus(
                target_id=tid, provider_id=target.provider_id, pool_id=target.pool or tid, state=state,
                circuit=circuit, circuit_until_ms=circuit_until, health=(health or {}).get(tid),
                cooldown=active.get((tid, None)), in_flight=None if in_flight is None else in_flight.get(tid, 0),
                profile_in_use=in_use, keys=tuple(keys),
            )
        )
    pools: dict[str, list[TargetStatus]] = {}
    for row in rows:
        pools.setdefault(row.pool_id, []).append(row)
    pool_rows = []
    for pool_id, members in sorted(pools.items()):
        distinct = {k.profile_id: k for m in members for k in m.keys}
        usable = [k for k in distinct.values() if not k.dead and k.cooldown is None]
        pool_rows.append(
            PoolStatus(pool_id=pool_id, members=tuple(m.target_id for m in members), keys=len(distinct),
                       usable_keys=len(usable))
        )
    pin_labels = {session: pin.label or (pin.target_id or pin.profile_id or "?") for session, pin in (pins or {}).items()}
    return StatusView(
        now_ms=now_ms, source=source, targets=tuple(rows), pools=tuple(pool_rows), pins=pin_labels,
        recent_failovers=tuple(dict(f) for f in recent_failovers),
    )


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """An aligned plain-text table with a dashed rule under the headers."""
    table = [tuple(headers), *(tuple(r) for r in rows)]
    widths = [max(len(row[i]) for row in table) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cooldown_cell(cd: CooldownInfo | None, now_ms: int) -> str:
    if cd is None:
        return "-"
    why = cd.error_class + (f", {cd.reason}" if cd.reason else "")
    return f"{_until(cd.until_ms, now_ms)} {why}"


def _circuit_cell(row: TargetStatus, now_ms: int) -> str:
    if row.circuit == "open" and row.circuit_until_ms is not None and row.circuit_until_ms > now_ms:
        return f"open {_until(row.circuit_until_ms, now_ms)}"
    return row.circuit


def render_status(view: StatusView, *, session_id: str | None = None) -> str:
    """The whole view as text: targets, keys cooling or dead, pools, pins, last failovers."""
    now = view.now_ms
    where = "live, from this OpenCode's bridge" if view.source == "bridge" else "from the state store"
    parts = [f"O-Switcher status at {clock_time(now)} ({where})"]
    if view.config_error:
        parts.append(f"config problem: {view.config_error}")
    if not view.targets:
        parts.append("No targets: add a provider to opencode.json.")
        return "\n\n".join(parts)
    # Pools are listed below with their members: pool ids hold URLs, too wide for this table.
    parts.append(render_table(
        ("target", "state", "health", "circuit", "cooldown", "in flight", "profile in use"),
        [
            (r.target_id, r.state, "-" if r.health is None else f"{r.health:.2f}", _circuit_cell(r, now),
             _cooldown_cell(r.cooldown, now), "-" if r.in_flight is None else str(r.in_flight),
             r.profile_in_use or "none usable")
            for r in view.targets
        ],
    ))
    troubled = [(r.target_id, k) for r in view.targets for k in r.keys if k.dead or k.cooldown]
    if troubled:
        parts.append("keys out:\n" + render_table(
            ("target", "profile", "key", "why"),
            [(t, k.label, k.key, f"dead ({k.dead_reason})" if k.dead else _cooldown_cell(k.cooldown, now))
             for t, k in troubled],
        ))
    parts.append("pools:\n" + render_table(
        ("pool", "targets", "keys", "usable"),
        [(p.pool_id, ", ".join(p.members), str(p.keys), str(p.usable_keys)) for p in view.pools],
    ))
    pins = []
    for session, label in sorted(view.pins.items()):
        who = "every session" if session == "*" else ("this session" if session == session_id else f"session {session}")
        pins.append(f"{who} → {label}")
    parts.append("pins: " + ("; ".join(pins) if pins else "none"))
    if view.recent_failovers:
        parts.append("last failovers:\n" + render_table(
            ("at", "from", "to", "because"),
            [(clock_time(int(f.get("at_ms", 0))), f"{f.get('from_target')} ({f.get('from_profile')})",
              f"{f.get('to_target')} ({f.get('to_profile')})", str(f.get("error_class") or "-"))
             for f in view.recent_failovers[-5:]],
        ))
    else:
        parts.append("last failovers: none" + (" in this bridge" if view.source == "bridge" else " in the log"))
    return "\n\n".join(parts)
