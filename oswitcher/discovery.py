"""Routing targets and key pools, from OpenCode's ``provider`` section or explicit ``targets``.

With no ``switcher.targets``, every ``provider`` entry is a target (id = provider id,
capabilities ``["chat"]``, priority 0). Entries that reach the same service form one pool whose
keys can stand in for each other: same ``api`` value, or same ``npm`` package and same
``options.baseURL``. Any other entry is a pool of its own. Explicit targets turn discovery off;
they are pooled by the provider they name, the same way.

Target ids come from the config (provider ids or explicit ids), never from order or counters,
so they are stable across reloads and ``diff`` can keep the state of unchanged targets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import msgspec

from oswitcher.config import TargetSpec

__all__ = ["Discovery", "Pool", "Target", "TargetDiff", "diff", "discover", "pool_key", "public_url"]


class Target(msgspec.Struct, frozen=True, kw_only=True):
    """A place a request can be sent: one provider entry (one key, one endpoint)."""

    target_id: str
    provider_id: str
    pool_id: str
    enabled: bool = True
    operator_priority: int = 0
    capabilities: tuple[str, ...] = ("chat",)
    policy_tags: tuple[str, ...] = ()
    api: str | None = None
    npm: str | None = None
    base_url: str | None = None
    #: Model ids the provider entry declares (``provider.X.models``), in declared order.
    models: tuple[str, ...] = ()

    def __repr__(self) -> str:
        # ``base_url`` is kept whole (requests go there) but may hold credentials: not in a repr.
        fields = ", ".join(
            f"{name}={public_url(value) if name == 'base_url' and value else value!r}"
            for name in self.__struct_fields__
            for value in (getattr(self, name),)
        )
        return f"Target({fields})"


class Pool(msgspec.Struct, frozen=True, kw_only=True):
    """Targets whose keys are interchangeable (same service); members sorted by id."""

    pool_id: str
    members: tuple[str, ...]


class Discovery(msgspec.Struct, frozen=True, kw_only=True):
    """The targets (sorted by id) and pools of one config; ``discovered`` is False for explicit targets."""

    targets: tuple[Target, ...]
    pools: tuple[Pool, ...]
    discovered: bool

    def target(self, target_id: str) -> Target | None:
        """The target with this id, or ``None``."""
        return next((t for t in self.targets if t.target_id == target_id), None)


class TargetDiff(msgspec.Struct, frozen=True, kw_only=True):
    """What a reload changed, by target id; each tuple sorted."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when no target was added, removed or changed."""
        return not (self.added or self.removed or self.changed)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _base_url(entry: Mapping[str, Any]) -> str | None:
    options = entry.get("options")
    if isinstance(options, dict) and _str_or_none(options.get("baseURL")):
        return options["baseURL"]
    return _str_or_none(entry.get("baseURL"))


def public_url(url: str) -> str:
    """``url`` without user info, query or fragment: a base URL can carry credentials
    (``user:pass@host``, ``?key=…``) and pool ids and outputs are shown to people."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "invalid-url"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def pool_key(provider_id: str, entry: Mapping[str, Any] | None) -> str:
    """The pool id of a provider entry: ``api:<api>``, ``npm:<pkg>@<url>`` or the provider id."""
    if entry:
        api = _str_or_none(entry.get("api"))
        if api:
            return f"api:{api}"
        npm = _str_or_none(entry.get("npm"))
        url = _base_url(entry)
        if npm and url:
            return f"npm:{npm}@{public_url(url)}"
    return provider_id


def _models(entry: Mapping[str, Any] | None) -> tuple[str, ...]:
    models = entry.get("models") if entry else None
    return tuple(models) if isinstance(models, dict) else ()


def _target(target_id: str, provider_id: str, entry: Mapping[str, Any] | None, **fields: Any) -> Target:
    entry = entry or {}
    return Target(
        target_id=target_id,
        provider_id=provider_id,
        pool_id=pool_key(provider_id, entry),
        api=_str_or_none(entry.get("api")),
        npm=_str_or_none(entry.get("npm")),
        base_url=_base_url(entry),
        models=_models(entry),
        **fields,
    )


def discover(providers: Mapping[str, Any], specs: Sequence[TargetSpec] = ()) -> Discovery:
    """Targets and pools for a ``provider`` section and the explicit ``switcher.targets``."""
    if specs:
        targets = [
            _target(
                s.target_id,
                s.provider_id,
                providers.get(s.provider_id) if isinstance(providers.get(s.provider_id), dict) else None,
                enabled=s.enabled,
                operator_priority=s.operator_priority,
                capabilities=s.capabilities,
                policy_tags=s.policy_tags,
            )
            for s in specs
        ]
    else:
        targets = [
            _target(pid, pid, entry if isinstance(entry, dict) else None) for pid, entry in providers.items()
        ]
    targets.sort(key=lambda t: t.target_id)
    members: dict[str, list[str]] = {}
    for t in targets:
        members.setdefault(t.pool_id, []).append(t.target_id)
    pools = tuple(Pool(pool_id=pid, members=tuple(ids)) for pid, ids in sorted(members.items()))
    return Discovery(targets=tuple(targets), pools=pools, discovered=not specs)


def diff(old: Discovery | None, new: Discovery) -> TargetDiff:
    """Which target ids were added, removed, changed (any field) or left as they were."""
    before = {t.target_id: t for t in old.targets} if old else {}
    after = {t.target_id: t for t in new.targets}
    return TargetDiff(
        added=tuple(sorted(after.keys() - before.keys())),
        removed=tuple(sorted(before.keys() - after.keys())),
        changed=tuple(sorted(k for k in after.keys() & before.keys() if after[k] != before[k])),
        unchanged=tuple(sorted(k for k in after.keys() & before.keys() if after[k] == before[k])),
    )
