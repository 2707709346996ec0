"""Target discovery, pooling and diffs."""

from oswitcher.config import TargetSpec
from oswitcher.discovery import diff, discover

PROVIDERS = {
    "openai-work": {"api": "openai", "apiKey": "sk-test-w"},
    "openai-personal": {"api": "openai", "apiKey": "sk-test-p"},
    "openai-backup": {"api": "openai", "apiKey": "sk-test-b"},
    "local-a": {"npm": "@ai-sdk/openai-compatible", "options": {"baseURL": "http://127.0.0.1:9/v1", "apiKey": "k1"}},
    "local-b": {"npm": "@ai-sdk/openai-compatible", "options": {"baseURL": "http://127.0.0.1:9/v1/", "apiKey": "k2"}},
    "other": {"npm": "@ai-sdk/openai-compatible", "options": {"baseURL": "http://127.0.0.1:10/v1"},
              "models": {"m1": {}, "m2": {}}},
    "anthropic": {},
}


def test_every_provider_is_a_target_with_defaults():
    found = discover(PROVIDERS)
    assert found.discovered
    assert [t.target_id for t in found.targets] == sorted(PROVIDERS)
    t = found.target("other")
    assert (t.provider_id, t.capabilities, t.operator_priority, t.enabled) == ("other", ("chat",), 0, True)
    assert t.models == ("m1", "m2")
    assert t.base_url == "http://127.0.0.1:10/v1"


def test_shared_api_or_shared_npm_and_base_url_form_one_pool():
    pools = {p.pool_id: p.members for p in discover(PROVIDERS).pools}
    assert pools["api:openai"] == ("openai-backup", "openai-personal", "openai-work")
    assert pools["npm:@ai-sdk/openai-compatible@http://127.0.0.1:9/v1"] == ("local-a", "local-b")
    assert pools["npm:@ai-sdk/openai-compatible@http://127.0.0.1:10/v1"] == ("other",)
    assert pools["anthropic"] == ("anthropic",)


def test_pool_id_never_carries_url_credentials():
    found = discover({"x": {"npm": "p", "options": {"baseURL": "https://user:sk-test-s@h.example/v1?key=sk-test-q"}}})
    assert "sk-test" not in found.targets[0].pool_id


def test_explicit_targets_turn_discovery_off():
    specs = (
        TargetSpec(target_id="primary", provider_id="openai-work", operator_priority=10, policy_tags=("primary",)),
        TargetSpec(target_id="google", provider_id="google"),
    )
    found = discover(PROVIDERS, specs)
    assert not found.discovered
    assert [t.target_id for t in found.targets] == ["google", "primary"]
    primary = found.target("primary")
    assert (primary.pool_id, primary.operator_priority, primary.policy_tags) == ("api:openai", 10, ("primary",))
    assert found.target("google").pool_id == "google"


def test_diff_reports_added_removed_changed_unchanged():
    old = discover(PROVIDERS)
    providers = dict(PROVIDERS)
    del providers["anthropic"]
    providers["new"] = {}
    providers["other"] = {**PROVIDERS["other"], "models": {"m1": {}}}
    changes = diff(old, discover(providers))
    assert changes.added == ("new",)
    assert changes.removed == ("anthropic",)
    assert changes.changed == ("other",)
    assert "openai-work" in changes.unchanged and not changes.is_empty


def test_ids_are_stable_across_reloads():
    assert diff(discover(PROVIDERS), discover(dict(reversed(list(PROVIDERS.items()))))).is_empty
    assert diff(None, discover({"a": {}})).added == ("a",)


def test_target_repr_hides_url_credentials():
    found = discover({"x": {"npm": "p", "options": {"baseURL": "https://u:sk-test-s@h.example/v1?key=sk-test-q"}}})
    assert found.targets[0].base_url.startswith("https://u:sk-test-s@")  # requests need it whole
    assert "sk-test" not in repr(found)
