"""Gathering the operator's status view: live from a bridge's engine, or from the store in a shell.

Both paths end in :func:`oswitcher.status_view.build_status`, so ``switcher-status`` inside
OpenCode and ``o-switcher status`` in a shell show the same table; the shell has no engine, so
it shows no health or in-flight counts, and circuit states as the bridges last stored them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from oswitcher.breaker import HalfOpen, Open
from oswitcher.pins import Pin
from oswitcher.routing import RoutingTable, build_routing
from oswitcher.secrets import describe_secret
from oswitcher.shared_state import StoredCooldown, from_store
from oswitcher.snapshot import CooldownRow
from oswitcher.status_view import CooldownInfo, StatusView, build_status

if TYPE_CHECKING:
    from bridge.runtime import BridgeRuntime
    from bridge.store import StateStore

__all__ = ["bridge_status", "failovers_from_log", "store_status", "stored_pins"]

#: How much of the end of the log a shell reads for the last failovers.
_LOG_TAIL_BYTES = 512 * 1024


def _cooldowns(rows: list[CooldownRow]) -> dict[tuple[str | None, str | None], CooldownInfo]:
    return {
        (r.target_id, r.key_id): CooldownInfo(until_ms=r.until_ms, error_class=str(r.error_class), reason=r.source)
        for r in rows
    }


def _masked(routing: RoutingTable) -> dict[str, str]:
    return {key_id: describe_secret(secret) for key_id, secret in routing.secrets.items()}


def stored_pins(store: StateStore) -> dict[str, Pin]:
    """The store's pins as the failover service reads them."""
    return {
        session: Pin(target_id=p.target_id, profile_id=p.profile_id, label=p.label)
        for session, p in store.pins().items()
    }


def failovers_from_log(path: Path, *, limit: int = 5) -> list[dict[str, object]]:
    """The last ``failover_start`` events of the bridges' log (a shell has no bridge to ask)."""
    import json
    from datetime import datetime

    try:
        with open(path, "rb") as log:
            log.seek(max(0, log.seek(0, 2) - _LOG_TAIL_BYTES))
            lines = log.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return []
    found: list[dict[str, object]] = []
    for line in lines:
        if '"failover_start"' not in line:
            continue
        try:
            event = json.loads(line)
            at = datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # the first line of the tail may be cut
        if event.get("event") == "failover_start":
            found.append({**event, "at_ms": int(at.timestamp() * 1000)})
    return found[-limit:]


def bridge_status(runtime: BridgeRuntime) -> StatusView:
    """The live view of this bridge (after merging what other bridges and shells wrote)."""
    now = runtime.clock()
    failover = runtime.failover
    if failover is None:
        return StatusView(now_ms=now, source="bridge", config_error="the bridge has not started routing yet")
    failover.sync_shared_state()
    engine = failover.engine
    snapshot = engine.snapshot()
    circuits: dict[str, tuple[str, int | None]] = {}
    for target in engine.targets:
        state = engine.circuit(target.target_id)
        if isinstance(state, Open):
            circuits[target.target_id] = ("open", state.opened_at_ms + state.open_for_ms)
        else:
            circuits[target.target_id] = ("half_open" if isinstance(state, HalfOpen) else "closed", None)
    view = build_status(
        now_ms=now,
        source="bridge",
        targets=engine.targets,
        labels=failover.routing.labels,
        masked=_masked(failover.routing),
        cooldowns=_cooldowns(list(snapshot.cooldowns)),
        circuits=circuits,
        paused=snapshot.paused,
        draining=snapshot.draining,
        dead={k: d.reason for k, d in snapshot.dead_keys.items()},
        health={t: h.score_at(now) for t, h in snapshot.health.items()},
        in_flight={t.target_id: engine.in_flight(t.target_id) for t in engine.targets},
        pins=failover.pins,
        recent_failovers=failover.recent_failovers,
    )
    return view


def store_status(store: StateStore, directory: Path, env: Mapping[str, str] | None = None, *, now_ms: int) -> StatusView:
    """The view a shell can build: the config of ``directory`` joined with the state store (and
    the last failovers from the log)."""
    from bridge.config_files import load_config
    from bridge.logs import default_log_path
    from oswitcher.config_check import ConfigError

    env = os.environ if env is None else env
    try:
        snapshot = load_config(directory, env)
    except ConfigError as error:
        return StatusView(now_ms=now_ms, source="store", config_error=f"{error.where() or '-'}: {error.path}: {error.message}")
    profiles = store.list_profiles()
    routing = build_routing(snapshot.discovery, snapshot.providers, profiles, rotate_oauth=snapshot.switcher.rotate_oauth)
    rows = [
        row
        for cd in store.active_cooldowns(now_ms)
        if (row := from_store(StoredCooldown(scope=cd.scope, scope_id=cd.scope_id, until_ms=cd.until_ms,
                                             error_class=cd.error_class, reason=cd.reason))) is not None
    ]
    flags = store.operator_flags()
    circuits = {t: (str(state.get("state", "unknown")), None) for t, (state, _) in store.load_circuits().items()}
    return build_status(
        now_ms=now_ms,
        source="store",
        targets=routing.targets,
        labels=routing.labels,
        masked=_masked(routing),
        cooldowns=_cooldowns(rows),
        circuits=circuits,
        paused=frozenset(t for t, f in flags.items() if f.paused),
        draining=frozenset(t for t, f in flags.items() if f.draining),
        dead={p.id: p.status_reason or "marked dead" for p in profiles if p.status == "dead"},
        pins=stored_pins(store),
        recent_failovers=failovers_from_log(default_log_path(dict(env))),
    )
