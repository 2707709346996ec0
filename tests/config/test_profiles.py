"""Profile accumulation from auth.json and config, masking, and the profiles table."""

import json

import structlog

from bridge.config_files import read_auth, read_layers
from bridge.profile_sync import sync_profiles
from bridge.store import StateStore
from oswitcher.profile_table import render_profiles_table
from oswitcher.profiles import credentials_from_auth, plan_upsert, profile_id
from oswitcher.secrets import fingerprint, mask_secret


def test_mask_secret_shows_at_most_four_trailing_chars():
    assert mask_secret("sk-proj-abcdefghijklmnopwxyz") == "sk-proj-…wxyz"
    assert mask_secret("AIzaabcdefghijklmnop1234") == "AIza…1234"
    assert mask_secret("abcd-efgh-ijklmnop1234") == "…1234"  # an unknown prefix may be random: hidden
    assert mask_secret("sk-test-abcd") == "sk-…"
    assert mask_secret("short") == "…"
    assert len(fingerprint("x")) == 8


def test_credentials_from_every_auth_type():
    auth = {
        "openai": {"type": "api", "key": "sk-test-a"},
        "anthropic": {"type": "oauth", "refresh": "r-test-1", "access": "a-test-1", "expires": 5, "accountId": "acc"},
        "corp": {"type": "wellknown", "key": "CORP_TOKEN", "token": "t-test-1"},
        "broken": {"type": "api"},
        "odd": "not an object",
    }
    creds, problems = credentials_from_auth(auth, source="auth.json")
    assert [(c.provider, c.kind, c.secret) for c in creds] == [
        ("openai", "api", "sk-test-a"), ("anthropic", "oauth", "r-test-1"), ("corp", "wellknown", "t-test-1")]
    assert creds[1].payload == {"access": "a-test-1", "expires": 5, "accountId": "acc"}
    assert sorted(p.provider for p in problems) == ["broken", "odd"]


def test_oauth_identity_is_the_refresh_token():
    first = credentials_from_auth({"a": {"type": "oauth", "refresh": "r", "access": "x1", "expires": 1}}, source="s")[0][0]
    later = credentials_from_auth({"a": {"type": "oauth", "refresh": "r", "access": "x2", "expires": 2}}, source="s")[0][0]
    (profile,) = plan_upsert([], [first], 1)
    (updated,) = plan_upsert([profile], [later], 2)
    assert updated.id == profile.id == profile_id("a", "r")
    assert updated.payload["access"] == "x2" and updated.label == profile.label


def test_second_login_keeps_both_profiles(oc, tmp_path):
    store = StateStore(tmp_path / "s" / "state.db")
    oc.write(oc.auth_file, json.dumps({"openai": {"type": "api", "key": "sk-test-first"}}))
    sync_profiles(store, read_auth(oc.env), [], 1000)
    oc.write(oc.auth_file, json.dumps({"openai": {"type": "api", "key": "sk-test-second"}}))
    sync_profiles(store, read_auth(oc.env), [], 2000)
    profiles = store.list_profiles()
    assert [(p.label, p.secret) for p in profiles] == [("openai-1", "sk-test-first"), ("openai-2", "sk-test-second")]
    assert profiles[0].last_seen_ms == 1000 and profiles[1].first_seen_ms == 2000


def test_corrupt_auth_is_skipped_and_nothing_is_lost(oc, tmp_path):
    store = StateStore(tmp_path / "s" / "state.db")
    oc.write(oc.auth_file, json.dumps({"openai": {"type": "api", "key": "sk-test-first"}}))
    sync_profiles(store, read_auth(oc.env), [], 1000)
    oc.write(oc.auth_file, '{"openai": {"type": "api", "key": "sk-te')  # half-written
    with structlog.testing.capture_logs() as logs:
        sync_profiles(store, read_auth(oc.env), [], 2000)
    assert [p.secret for p in store.list_profiles()] == ["sk-test-first"]
    assert [entry["event"] for entry in logs] == ["auth_skipped"]
    assert "sk-te" not in json.dumps(logs)


def test_config_api_keys_become_profiles_with_their_source(oc, tmp_path):
    path = oc.write(
        oc.project / "opencode.json",
        '{"provider": {"w": {"api": "openai", "apiKey": "sk-test-w"}, "x": {"options": {"apiKey": "{env:K}"}}}}',
    )
    store = StateStore(tmp_path / "s" / "state.db")
    sync_profiles(store, None, read_layers(oc.subdir, {**oc.env, "K": "sk-test-x"}), 5)
    assert {(p.provider, p.secret, p.source) for p in store.list_profiles()} == {
        ("w", "sk-test-w", str(path)), ("x", "sk-test-x", str(path))}


def test_table_masks_keys_and_reads_well(tmp_path):
    store = StateStore(tmp_path / "s" / "state.db")
    creds = credentials_from_auth({"openai": {"type": "api", "key": "sk-test-0123456789abcd"}}, source="a")[0]
    (p,) = store.upsert_profiles(creds, 0)
    store.record_usage(p.id, 1000, error_class="RateLimited")
    store.set_profile_status(p.id, "cooling", "429")
    table = render_profiles_table(store.list_profiles(), now_ms=181_000)
    assert "sk-test-0123456789abcd" not in table
    assert "sk-…abcd" in table and fingerprint("sk-test-0123456789abcd") in table
    assert "3m ago" in table and "cooling (429)" in table and "RateLimited" in table
    assert table.splitlines()[0].split() == ["id", "provider", "label", "key", "status", "last", "used", "last",
                                             "error", "uses"]
    assert "No profiles" in render_profiles_table([], 0)


def test_profile_repr_never_shows_the_secret():
    (p,) = plan_upsert([], credentials_from_auth({"o": {"type": "api", "key": "sk-test-verysecret99"}}, source="a")[0], 1)
    assert "verysecret" not in repr(p) and "verysecret" not in repr([p])
