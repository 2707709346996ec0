"""From config and profiles to what the engine routes over, and back to an HTTP request.

The config's discovery says which provider entries exist and which share a service; the profile
store says which keys were ever seen for each provider. This module joins the two into engine
:class:`~oswitcher.targets.Target` values (a target's ``keys`` are profile ids, its own
configured key first), and turns a selected ``(target, key)`` back into what the shim must
change in a request: the auth header, and for another provider of the same API format, the URL
prefix and the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from oswitcher.discovery import Discovery, discover
from oswitcher.discovery import Target as ProviderTarget
from oswitcher.profiles import Profile, profile_id
from oswitcher.targets import Target

__all__ = ["Route", "RoutingTable", "auth_headers", "build_routing", "with_login_only_providers"]

# How each AI SDK package sends its key; anything else is OpenAI-style Bearer auth.
_HEADER_STYLE = {
    "@ai-sdk/anthropic": ("x-api-key", "{key}"),
    "@ai-sdk/google": ("x-goog-api-key", "{key}"),
}
_AUTH_HEADERS = ("authorization", "x-api-key", "x-goog-api-key")
# OpenCode's built-in providers need no ``npm`` in the config: the package their id implies.
_BUILTIN_PACKAGES = {
    "anthropic": "@ai-sdk/anthropic",
    "google": "@ai-sdk/google",
    "openai": "@ai-sdk/openai",
    "groq": "@ai-sdk/groq",
    "mistral": "@ai-sdk/mistral",
    "xai": "@ai-sdk/xai",
    "deepseek": "@ai-sdk/deepseek",
    "openrouter": "@openrouter/ai-sdk-provider",
}


def auth_headers(npm: str | None, secret: str) -> dict[str, str]:
    """The header that carries ``secret`` for a provider built on the ``npm`` package."""
    name, template = _HEADER_STYLE.get(npm or "", ("authorization", "Bearer {key}"))
    return {name: template.format(key=secret)}


class Route(msgspec.Struct, frozen=True, kw_only=True):
    """Where a target sends requests: its format (npm/api), base URL, and the key of each profile id."""

    target_id: str
    provider_id: str
    npm: str | None
    api: str | None
    base_url: str | None
    models: tuple[str, ...] = ()

    @property
    def api_format(self) -> str:
        """Targets of one format accept the same request body (so a fetch can move between them)."""
        return self.npm or self.api or self.provider_id


class RoutingTable(msgspec.Struct, frozen=True, kw_only=True):
    """Engine targets plus what the bridge needs to act on a selection."""

    targets: tuple[Target, ...] = ()
    routes: dict[str, Route] = {}
    #: profile id → secret, for the keys the targets list (never logged, never sent to the engine).
    secrets: dict[str, str] = {}
    #: profile id → a human label ("openai-2"), for toasts and summaries.
    labels: dict[str, str] = {}

    def target_for_provider(self, provider_id: str) -> str | None:
        """The target a request to ``provider_id`` starts on."""
        for route in self.routes.values():
            if route.provider_id == provider_id:
                return route.target_id
        return None

    def same_format(self, target_id: str) -> frozenset[str]:
        """Targets a request first meant for ``target_id`` may be moved to by rewriting it."""
        origin = self.routes[target_id]
        return frozenset(t for t, r in self.routes.items() if r.api_format == origin.api_format)


def with_login_only_providers(
    discovery: Discovery, providers: Mapping[str, Any], profiles: Sequence[Profile], specs: Sequence[Any] = ()
) -> Discovery:
    """``discovery`` plus a target for every provider known only from a login (an API key in
    ``auth.json``, no entry in ``provider``): ``opencode auth login openai`` is how most keys
    arrive, and those keys rotate too. Explicit ``switcher.targets`` are left as they are.
    """
    if not discovery.discovered:
        return discovery
    extra = {p.provider for p in profiles if p.kind == "api" and p.provider not in providers}
    if not extra:
        return discovery
    return discover({**providers, **{provider: {} for provider in sorted(extra)}}, specs)


def _configured_key(entry: Mapping[str, Any]) -> str | None:
    options = entry.get("options")
    for holder in (options if isinstance(options, Mapping) else {}, entry):
        key = holder.get("apiKey")
        if isinstance(key, str) and key:
            return key
    return None


def build_routing(
    discovery: Discovery,
    providers: Mapping[str, Any],
    profiles: Sequence[Profile],
    *,
    rotate_oauth: bool = False,
) -> RoutingTable:
    """Join discovered targets with stored profiles into a routing table.

    A target's keys are the profiles recorded for its provider: its configured ``apiKey`` first
    (that is the key the user chose), then the one seen most recently (the current
    ``auth.json`` login: the last ``opencode auth login`` is the user's current choice), then
    older ones. OAuth accounts take part only with ``rotate_oauth`` (fast rotation of
    subscription accounts trips abuse checks).
    """
    by_provider: dict[str, list[Profile]] = {}
    for profile in sorted(profiles, key=lambda p: (-p.last_seen_ms, p.first_seen_ms, p.id)):
        if profile.kind == "oauth" and not rotate_oauth:
            continue
        by_provider.setdefault(profile.provider, []).append(profile)
    targets: list[Target] = []
    routes: dict[str, Route] = {}
    secrets: dict[str, str] = {}
    labels: dict[str, str] = {}
    for found in discovery.targets:
        entry = providers.get(found.provider_id)
        keys = by_provider.get(found.provider_id, [])
        configured = _configured_key(entry) if isinstance(entry, Mapping) else None
        if configured is not None:
            first = profile_id(found.provider_id, configured)
            keys = sorted(keys, key=lambda p: p.id != first)
        for profile in keys:
            secrets[profile.id] = _usable_secret(profile)
            labels[profile.id] = profile.label
        targets.append(_engine_target(found, tuple(p.id for p in keys)))
        routes[found.target_id] = Route(
            target_id=found.target_id,
            provider_id=found.provider_id,
            npm=found.npm or _BUILTIN_PACKAGES.get(found.provider_id),
            api=found.api,
            base_url=found.base_url,
            models=found.models,
        )
    return RoutingTable(targets=tuple(targets), routes=routes, secrets=secrets, labels=labels)


def _usable_secret(profile: Profile) -> str:
    if profile.kind == "oauth":
        return str(profile.payload.get("access") or profile.secret)
    return profile.secret


def _engine_target(found: ProviderTarget, keys: tuple[str, ...]) -> Target:
    return Target(
        target_id=found.target_id,
        provider_id=found.provider_id,
        pool=found.pool_id,
        enabled=found.enabled,
        operator_priority=found.operator_priority,
        capabilities=frozenset(found.capabilities),
        models=frozenset(found.models),
        keys=keys,
    )


def rewrite_url(url: str, *, origin: Route, target: Route) -> str | None:
    """``url`` moved from ``origin``'s base URL to ``target``'s, or None when nothing changes."""
    if origin.target_id == target.target_id or not origin.base_url or not target.base_url:
        return None
    base = origin.base_url.rstrip("/")
    if not url.startswith(base):
        return None
    new = target.base_url.rstrip("/") + url[len(base) :]
    return None if new == url else new


def strip_auth_headers() -> tuple[str, ...]:
    """Every header any provider style carries a key in (removed before the chosen one is set)."""
    return _AUTH_HEADERS
