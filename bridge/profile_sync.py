"""Feeding the profile store from ``auth.json`` and the config's provider entries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import structlog

from bridge.config_files import AuthFile
from bridge.store import StateStore
from oswitcher.config_merge import ConfigLayer
from oswitcher.profiles import Credential, Profile, credentials_from_auth, credentials_from_providers

__all__ = ["ProfileAccumulator", "collect_credentials", "sync_profiles"]


def collect_credentials(auth: AuthFile | None, layers: Sequence[ConfigLayer] = ()) -> list[Credential]:
    """Every credential in ``auth`` and in the layers' provider entries (logging unusable ones)."""
    log = structlog.get_logger()
    found: list[Credential] = []
    if auth is not None:
        if auth.problem:
            log.warning("auth_skipped", path=auth.source, reason=auth.problem)
        if auth.data is not None:
            creds, problems = credentials_from_auth(auth.data, source=auth.source)
            found.extend(creds)
            for problem in problems:
                log.warning("auth_entry_skipped", path=auth.source, provider=problem.provider, reason=problem.reason)
    for layer in layers:
        providers = layer.data.get("provider")
        if isinstance(providers, dict):
            found.extend(credentials_from_providers(providers, source=layer.source))
    return found


def sync_profiles(
    store: StateStore, auth: AuthFile | None, layers: Sequence[ConfigLayer], now_ms: int
) -> list[Profile]:
    """Record every credential seen as a profile; returns the profiles added or refreshed."""
    written = store.upsert_profiles(collect_credentials(auth, layers), now_ms)
    new = [p for p in written if p.first_seen_ms == now_ms]
    if new:
        structlog.get_logger().info(
            "profiles_added", count=len(new), profiles=[{"id": p.id, "provider": p.provider, "label": p.label} for p in new]
        )
    return written


class ProfileAccumulator:
    """Wires profile accumulation to the config watcher.

    Pass ``on_auth`` as the watcher's ``on_auth`` and call ``on_config`` from its ``on_config``:
    every credential in ``auth.json`` and in the valid config's provider entries is recorded.
    A rejected config or an unreadable ``auth.json`` adds nothing and removes nothing.
    """

    __slots__ = ("_auth", "_clock", "_layers", "_store")

    def __init__(self, *, store: StateStore, clock: Callable[[], int]) -> None:
        self._store = store
        self._clock = clock
        self._auth: AuthFile | None = None
        self._layers: tuple[ConfigLayer, ...] = ()

    def on_auth(self, auth: AuthFile) -> list[Profile]:
        """``auth.json`` was (re)read: record its credentials."""
        self._auth = auth
        return sync_profiles(self._store, auth, (), self._clock())

    def on_config(self, result: Any) -> list[Profile]:
        """A reload result: when the config was applied, record its providers' keys."""
        snapshot = getattr(result, "snapshot", None)
        if snapshot is None:
            return []
        self._layers = snapshot.layers
        return sync_profiles(self._store, None, self._layers, self._clock())
