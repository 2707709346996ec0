"""From discovery and profiles to engine targets, and from a selection back to a request."""

from __future__ import annotations

from oswitcher.config import TargetSpec
from oswitcher.discovery import discover
from oswitcher.profiles import Profile
from oswitcher.routing import Route, auth_headers, build_routing, rewrite_url, with_login_only_providers


def profile(pid: str, provider: str, secret: str, *, kind: str = "api", seen: int = 1) -> Profile:
    return Profile(id=pid, provider=provider, kind=kind, secret=secret, source="auth.json", label=f"{provider}-x",
                   first_seen_ms=seen, last_seen_ms=seen)


def test_a_provider_known_only_from_a_login_becomes_a_target_with_its_packages_header_style():
    providers = {"fake": {"npm": "@ai-sdk/openai-compatible", "options": {"baseURL": "http://127.0.0.1:9/v1"}}}
    profiles = [profile("a1", "anthropic", "sk-ant-test-1"), profile("o1", "github-copilot", "tok", kind="oauth")]
    discovery = with_login_only_providers(discover(providers), providers, profiles)
    routing = build_routing(discovery, providers, profiles)
    assert [t.target_id for t in routing.targets] == ["anthropic", "fake"]  # OAuth logins are not rotated
    assert routing.routes["anthropic"].npm == "@ai-sdk/anthropic"
    assert auth_headers(routing.routes["anthropic"].npm, "k") == {"x-api-key": "k"}
    assert auth_headers("@ai-sdk/google", "k") == {"x-goog-api-key": "k"}
    assert auth_headers(None, "k") == {"authorization": "Bearer k"}


def test_explicit_targets_are_not_extended():
    providers = {"fake": {"npm": "@ai-sdk/openai-compatible"}}
    specs = (TargetSpec(target_id="only", provider_id="fake"),)
    discovery = discover(providers, specs)
    assert with_login_only_providers(discovery, providers, [profile("a1", "anthropic", "k")]) is discovery


def test_keys_come_configured_first_then_the_latest_login():
    from oswitcher.profiles import profile_id

    configured = "sk-test-configured"
    providers = {"fake": {"npm": "@ai-sdk/openai-compatible", "options": {"apiKey": configured}}}
    profiles = [
        profile("old", "fake", "sk-test-old", seen=1),
        profile("new", "fake", "sk-test-new", seen=5),
        profile(profile_id("fake", configured), "fake", configured, seen=3),
    ]
    routing = build_routing(discover(providers), providers, profiles)
    assert routing.targets[0].keys == (profile_id("fake", configured), "new", "old")


def test_urls_move_between_base_urls_of_one_format_only_when_they_differ():
    a = Route(target_id="a", provider_id="a", npm="x", api=None, base_url="http://one/v1")
    b = Route(target_id="b", provider_id="b", npm="x", api=None, base_url="http://two/api/v1/")
    assert rewrite_url("http://one/v1/chat/completions", origin=a, target=b) == "http://two/api/v1/chat/completions"
    assert rewrite_url("http://one/v1/chat/completions", origin=a, target=a) is None
    assert rewrite_url("http://elsewhere/chat", origin=a, target=b) is None
