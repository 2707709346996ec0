"""The store's operator tables: resets, pins, reload requests; and the migration from schema 1."""

from __future__ import annotations

import sqlite3

from bridge.store import _MIGRATIONS, StateStore, StoredPin
from oswitcher.profiles import Credential


def test_reset_target_clears_its_cooldowns_and_circuit_and_is_recorded(store):
    store.set_cooldown("target", "a", until_ms=10_000, error_class="Overloaded", reason=None, now_ms=1)
    store.set_cooldown("profile", "k1@a", until_ms=10_000, error_class="RateLimited", reason=None, now_ms=1)
    store.set_cooldown("profile", "k1@b", until_ms=10_000, error_class="RateLimited", reason=None, now_ms=1)
    store.save_circuit("a", {"state": "open"}, 1)

    store.reset_target("a", 5)

    assert [(c.scope, c.scope_id) for c in store.active_cooldowns(2)] == [("profile", "k1@b")]
    assert store.load_circuits() == {}
    assert store.operator_resets() == {("target", "a"): 5}
    store.reset_target("a", 5)  # the same millisecond again is still a new request
    assert store.operator_resets() == {("target", "a"): 6}


def test_revive_profile(store):
    [p] = store.upsert_profiles([Credential(provider="x", kind="api", secret="sk-test-1234567890abcd", source="c")], 1)
    store.set_profile_status(p.id, "dead", "AuthFailure: 401")
    store.set_cooldown("profile", p.id, until_ms=10_000, error_class="QuotaExhausted", reason=None, now_ms=1)

    store.revive_profile(p.id, 7)

    assert store.get_profile(p.id).status == "active" and store.get_profile(p.id).status_reason is None
    assert store.active_cooldowns(2) == []
    assert store.operator_resets() == {("profile", p.id): 7}


def test_pins_and_reload_requests(store):
    before = store.data_version()
    store.set_pin(StoredPin(session_id="s1", target_id="a", profile_id=None, label="a", set_ms=1))
    store.set_pin(StoredPin(session_id="s1", target_id=None, profile_id="k", label="k-1", set_ms=2))
    assert store.pins()["s1"].profile_id == "k" and len(store.pins()) == 1
    assert store.clear_pin("s1") and not store.clear_pin("s1")
    assert store.reload_requests() == 0
    assert store.request_reload() == 1 and store.reload_requests() == 1
    assert store.data_version() > before


def test_a_schema_1_store_is_migrated_keeping_its_data(tmp_path):
    path = tmp_path / "state.db"
    conn = sqlite3.connect(path)
    for statement in _MIGRATIONS[0].split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO operator_flags (target_id, paused, draining, pinned, updated_ms) VALUES ('a', 1, 0, 0, 1)")
    conn.commit()
    conn.close()

    with StateStore(path) as store:
        assert store.schema_version() == len(_MIGRATIONS)
        assert store.operator_flags()["a"].paused
        assert store.reload_requests() == 0 and store.pins() == {}
