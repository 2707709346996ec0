"""The state store: durability under SIGKILL, concurrent processes, permissions, migrations."""

import os
import signal
import stat
import subprocess
import sys
import textwrap

import pytest

from bridge.store import _MIGRATIONS, OperatorFlags, StateStore, UnknownProfile, default_db_path
from oswitcher.profiles import Credential


def cred(secret, provider="openai", kind="api"):
    return Credential(provider=provider, kind=kind, secret=secret, source="auth.json")


@pytest.fixture
def db(tmp_path):
    return tmp_path / "data" / "state.db"


@pytest.fixture
def store(db):
    with StateStore(db) as s:
        yield s


def test_files_are_private(store, db):
    store.upsert_profiles([cred("sk-test-1")], 1)
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    for name in ("state.db", "state.db-wal", "state.db-shm"):
        assert stat.S_IMODE((db.parent / name).stat().st_mode) == 0o600


def test_wal_and_schema_version(store):
    assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.schema_version() == len(_MIGRATIONS)


def test_reopening_does_not_rerun_migrations(db):
    with StateStore(db) as s:
        s.upsert_profiles([cred("sk-test-1")], 1)
    with StateStore(db) as s:
        assert len(s.list_profiles()) == 1 and s.schema_version() == len(_MIGRATIONS)


def test_default_path():
    assert str(default_db_path({"OSWITCHER_DATA_DIR": "/d"})) == "/d/state.db"
    assert str(default_db_path({"XDG_DATA_HOME": "/x"})) == "/x/o-switcher/state.db"
    assert str(default_db_path({"HOME": "/h"})) == "/h/.local/share/o-switcher/state.db"


def test_every_write_bumps_the_data_version(store):
    v0 = store.data_version()
    store.upsert_profiles([cred("sk-test-1")], 1)
    (p,) = store.list_profiles()
    store.label_profile(p.id, "work")
    store.set_cooldown("target", "t", until_ms=10, error_class="RateLimited", reason="429", now_ms=1)
    assert store.data_version() == v0 + 3


def test_profile_operations(store):
    store.upsert_profiles([cred("sk-test-1"), cred("sk-test-2"), cred("sk-test-3", provider="anthropic")], 1)
    profiles = store.list_profiles()
    assert sorted(p.label for p in profiles) == ["anthropic-1", "openai-1", "openai-2"]
    first = store.list_profiles("anthropic")[0]
    store.label_profile(first.id, "claude-work")
    store.set_profile_status(first.id, "dead", "AuthFailure: 401")
    store.record_usage(first.id, 50, error_class="AuthFailure")
    store.record_usage(first.id, 60)
    got = store.get_profile(first.id)
    assert (got.label, got.status, got.status_reason, got.uses, got.last_used_ms, got.last_error_class) == (
        "claude-work", "dead", "AuthFailure: 401", 2, 60, "AuthFailure")
    store.remove_profile(first.id)
    with pytest.raises(UnknownProfile):
        store.get_profile(first.id)
    for op in (lambda: store.remove_profile("nope"), lambda: store.label_profile("nope", "x")):
        with pytest.raises(UnknownProfile):
            op()


def test_upsert_keeps_label_status_and_usage(store):
    (p,) = store.upsert_profiles([cred("sk-test-1")], 1)
    store.label_profile(p.id, "mine")
    store.record_usage(p.id, 5)
    store.upsert_profiles([cred("sk-test-1")], 9)
    got = store.get_profile(p.id)
    assert (got.label, got.uses, got.first_seen_ms, got.last_seen_ms) == ("mine", 1, 1, 9)


def test_cooldowns(store):
    store.set_cooldown("profile", "p1", until_ms=100, error_class="RateLimited", reason=None, now_ms=0)
    store.set_cooldown("target", "t1", until_ms=50, error_class="Overloaded", reason=None, now_ms=0)
    # A shorter cooldown does not cut a longer one short.
    store.set_cooldown("profile", "p1", until_ms=80, error_class="RateLimited", reason=None, now_ms=10)
    assert [(c.scope_id, c.until_ms) for c in store.active_cooldowns(20)] == [("t1", 50), ("p1", 100)]
    assert [c.scope_id for c in store.active_cooldowns(60)] == ["p1"]
    assert store.purge_expired_cooldowns(60) == 1
    store.clear_cooldown("profile", "p1")
    assert store.active_cooldowns(0) == []


def test_circuits_and_flags(store):
    store.save_circuit("t1", {"state": "open", "opened_at": 5}, 5)
    assert store.load_circuits() == {"t1": ({"state": "open", "opened_at": 5}, 5)}
    store.set_operator_flags(OperatorFlags(target_id="t1", paused=True, updated_ms=3))
    assert store.operator_flags()["t1"].paused


_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from bridge.store import StateStore
    from oswitcher.profiles import Credential
    store = StateStore(Path(sys.argv[1]))
    prefix = sys.argv[2]
    for i in range(int(sys.argv[3])):
        (p,) = store.upsert_profiles([Credential(provider="p", kind="api", secret=f"sk-test-{prefix}{i}", source="s")], i)
        print(p.id, flush=True)
    """
)


def test_acknowledged_writes_survive_sigkill(db):
    StateStore(db).close()
    child = subprocess.Popen([sys.executable, "-c", _WRITER, str(db), "k", "100000"], stdout=subprocess.PIPE, text=True)
    acknowledged = [child.stdout.readline().strip() for _ in range(200)]
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    acknowledged += [line.strip() for line in child.stdout if line.strip()]
    with StateStore(db) as store:
        stored = {p.id for p in store.list_profiles()}
    assert child.returncode == -signal.SIGKILL
    assert len(acknowledged) >= 200
    assert set(acknowledged) <= stored


def test_two_processes_write_at_once(db):
    StateStore(db).close()
    children = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(db), prefix, "150"], stdout=subprocess.PIPE, text=True)
        for prefix in ("a", "b")
    ]
    outputs = [c.communicate(timeout=60)[0].split() for c in children]
    assert [c.returncode for c in children] == [0, 0]
    with StateStore(db) as store:
        profiles = store.list_profiles()
        assert len(profiles) == 300 == len(set(outputs[0]) | set(outputs[1]))
        assert len({p.label for p in profiles}) == 300  # labels never collide across processes
        assert store.data_version() == 300
