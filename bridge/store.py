"""The state store: profiles, cooldowns, circuits and operator flags, in SQLite, shared by
every bridge on the machine.

Durability: WAL with ``synchronous=FULL``. Any commit that returned survives a SIGKILL of the
process in WAL mode even with NORMAL; FULL also fsyncs the WAL on each commit, so it survives
power loss. Writes are rare (a new key, a cooldown after a 429) and a profile may be the only
remaining copy of a key OpenCode has since overwritten, so the cost (about a millisecond per
commit) is worth it.

Concurrency: several processes open the same file; each write is one short ``BEGIN IMMEDIATE``
transaction (the write lock is taken up front, so two writers never deadlock on a lock
upgrade) and ``busy_timeout`` lets a writer wait for another. Every write also bumps the
``meta.version`` counter, so a bridge can poll ``data_version()`` cheaply and re-read only when
another process changed something.

Secrets: the profiles table holds keys in clear (they must be usable later), so the directory
is 0700 and the database and its ``-wal``/``-shm`` files are 0600.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import msgspec

from bridge.store_schema import MIGRATIONS as _MIGRATIONS
from oswitcher.profiles import Credential, Profile, plan_upsert

__all__ = ["Cooldown", "OperatorFlags", "StateStore", "StoredPin", "UnknownProfile", "default_db_path"]

Scope = Literal["target", "profile"]



class UnknownProfile(KeyError):
    """No profile has this id."""

    def __str__(self) -> str:
        return f"no profile with id {self.args[0]!r}"


class Cooldown(msgspec.Struct, frozen=True, kw_only=True):
    """A target or profile resting until ``until_ms``."""

    scope: Scope
    scope_id: str
    until_ms: int
    error_class: str
    reason: str | None
    set_ms: int


class OperatorFlags(msgspec.Struct, frozen=True, kw_only=True):
    """What the operator asked of a target."""

    target_id: str
    paused: bool = False
    draining: bool = False
    pinned: bool = False
    updated_ms: int = 0


class StoredPin(msgspec.Struct, frozen=True, kw_only=True):
    """A session's pin (``session_id`` ``*``: every session): a target or a profile."""

    session_id: str
    target_id: str | None
    profile_id: str | None
    label: str
    set_ms: int


def default_db_path(env: Mapping[str, str]) -> Path:
    """``$OSWITCHER_DATA_DIR/state.db``, else ``$XDG_DATA_HOME/o-switcher/state.db``,
    else ``~/.local/share/o-switcher/state.db``."""
    if env.get("OSWITCHER_DATA_DIR"):
        return Path(env["OSWITCHER_DATA_DIR"]) / "state.db"
    base = Path(env["XDG_DATA_HOME"]) if env.get("XDG_DATA_HOME") else Path(env.get("HOME", "~")) / ".local/share"
    return base.expanduser() / "o-switcher" / "state.db"


_PROFILE_COLUMNS = (
    "id, provider, kind, secret, payload, source, label, status, status_reason,"
    " first_seen_ms, last_seen_ms, last_used_ms, last_error_class, uses"
)


def _profile(row: tuple[Any, ...]) -> Profile:
    (pid, provider, kind, secret, payload, source, label, status, reason,
     first, last, used, err, uses) = row
    return Profile(
        id=pid, provider=provider, kind=kind, secret=secret, payload=msgspec.json.decode(payload),
        source=source, label=label, status=status, status_reason=reason, first_seen_ms=first,
        last_seen_ms=last, last_used_ms=used, last_error_class=err, uses=uses,
    )


class StateStore:
    """One connection to the state database. Not shared between threads."""

    __slots__ = ("_conn", "path")

    def __init__(self, path: Path, *, busy_timeout_ms: int = 5000) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.path.parent, 0o700)
        # Create the file 0600 before SQLite does, so it is never readable by others, not even
        # for an instant; SQLite gives -wal and -shm the database file's permissions.
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        os.chmod(self.path, 0o600)
        self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=busy_timeout_ms / 1000)
        self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = FULL")
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._migrate()
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.chmod(f"{self.path}{suffix}", 0o600)

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; bumps the change counter; commits, or rolls back on error."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
            self._conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'version'")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _migrate(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        self._conn.execute(statement)
                self._conn.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def schema_version(self) -> int:
        """The schema's ``user_version`` (the number of migrations applied)."""
        return self._conn.execute("PRAGMA user_version").fetchone()[0]

    def quick_check(self) -> str:
        """SQLite's ``PRAGMA quick_check``: ``ok``, or what is damaged."""
        return self._conn.execute("PRAGMA quick_check").fetchone()[0]

    def data_version(self) -> int:
        """A counter bumped by every write of any process: poll it to notice changes."""
        return self._conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0]

    # Profiles

    def upsert_profiles(self, credentials: Iterable[Credential], now_ms: int) -> list[Profile]:
        """Add profiles for new credentials, refresh known ones; returns the profiles written."""
        credentials = list(credentials)
        with self._write() as conn:
            existing = [_profile(r) for r in conn.execute(f"SELECT {_PROFILE_COLUMNS} FROM profiles")]
            planned = plan_upsert(existing, credentials, now_ms)
            for p in planned:
                conn.execute(
                    f"INSERT INTO profiles ({_PROFILE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                    " ON CONFLICT (id) DO UPDATE SET payload = excluded.payload, last_seen_ms = excluded.last_seen_ms",
                    (p.id, p.provider, p.kind, p.secret, msgspec.json.encode(p.payload).decode(), p.source,
                     p.label, p.status, p.status_reason, p.first_seen_ms, p.last_seen_ms, p.last_used_ms,
                     p.last_error_class, p.uses),
                )
        return planned

    def list_profiles(self, provider: str | None = None) -> list[Profile]:
        """Every profile (of one provider if given), oldest first."""
        sql = f"SELECT {_PROFILE_COLUMNS} FROM profiles"
        args: tuple[str, ...] = ()
        if provider is not None:
            sql += " WHERE provider = ?"
            args = (provider,)
        rows = self._conn.execute(sql + " ORDER BY first_seen_ms, label", args)
        return [_profile(r) for r in rows]

    def get_profile(self, profile_id: str) -> Profile:
        """The profile with this id; raises ``UnknownProfile``."""
        row = self._conn.execute(f"SELECT {_PROFILE_COLUMNS} FROM profiles WHERE id = ?", (profile_id,)).fetchone()
        if row is None:
            raise UnknownProfile(profile_id)
        return _profile(row)

    def _update_profile(self, profile_id: str, sql: str, args: tuple[Any, ...]) -> None:
        with self._write() as conn:
            if conn.execute(f"UPDATE profiles SET {sql} WHERE id = ?", (*args, profile_id)).rowcount == 0:
                raise UnknownProfile(profile_id)

    def remove_profile(self, profile_id: str) -> None:
        """Forget a profile and its cooldown (the user's decision only); raises ``UnknownProfile``."""
        with self._write() as conn:
            if conn.execute("DELETE FROM profiles WHERE id = ?", (profile_id,)).rowcount == 0:
                raise UnknownProfile(profile_id)
            conn.execute("DELETE FROM cooldowns WHERE scope = 'profile' AND scope_id = ?", (profile_id,))

    def label_profile(self, profile_id: str, label: str) -> None:
        """Rename a profile; raises ``UnknownProfile``."""
        self._update_profile(profile_id, "label = ?", (label,))

    def set_profile_status(self, profile_id: str, status: str, reason: str | None = None) -> None:
        """Mark a profile active, cooling or dead (with a reason such as ``AuthFailure: 401``)."""
        if status not in ("active", "cooling", "dead"):
            raise ValueError(f"unknown profile status {status!r}")
        self._update_profile(profile_id, "status = ?, status_reason = ?", (status, reason))

    def record_usage(self, profile_id: str, now_ms: int, *, error_class: str | None = None) -> None:
        """Count one use of a profile; ``error_class`` is kept as its last error when given."""
        self._update_profile(
            profile_id,
            "uses = uses + 1, last_used_ms = ?, last_error_class = COALESCE(?, last_error_class)",
            (now_ms, error_class),
        )

    # Cooldowns

    def set_cooldown(
        self, scope: Scope, scope_id: str, *, until_ms: int, error_class: str, reason: str | None, now_ms: int
    ) -> None:
        """Rest a target or profile until ``until_ms``; a later deadline already set is kept."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO cooldowns (scope, scope_id, until_ms, error_class, reason, set_ms)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT (scope, scope_id) DO UPDATE SET"
                " until_ms = excluded.until_ms, error_class = excluded.error_class,"
                " reason = excluded.reason, set_ms = excluded.set_ms"
                " WHERE excluded.until_ms > cooldowns.until_ms OR cooldowns.until_ms <= excluded.set_ms",
                (scope, scope_id, until_ms, error_class, reason, now_ms),
            )

    def clear_cooldown(self, scope: Scope, scope_id: str) -> None:
        """End a cooldown now (an operator action, or a success)."""
        with self._write() as conn:
            conn.execute("DELETE FROM cooldowns WHERE scope = ? AND scope_id = ?", (scope, scope_id))

    def active_cooldowns(self, now_ms: int) -> list[Cooldown]:
        """Cooldowns not yet over at ``now_ms``."""
        rows = self._conn.execute(
            "SELECT scope, scope_id, until_ms, error_class, reason, set_ms FROM cooldowns WHERE until_ms > ?"
            " ORDER BY until_ms",
            (now_ms,),
        )
        return [
            Cooldown(scope=s, scope_id=i, until_ms=u, error_class=e, reason=r, set_ms=t) for s, i, u, e, r, t in rows
        ]

    def purge_expired_cooldowns(self, now_ms: int) -> int:
        """Delete cooldowns over at ``now_ms``; returns how many."""
        with self._write() as conn:
            return conn.execute("DELETE FROM cooldowns WHERE until_ms <= ?", (now_ms,)).rowcount

    # Circuits and operator flags

    def save_circuit(self, target_id: str, state: Mapping[str, Any], now_ms: int) -> None:
        """Store a target's breaker state (any JSON-able mapping: the breaker owns its shape)."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO circuits (target_id, state, updated_ms) VALUES (?,?,?)"
                " ON CONFLICT (target_id) DO UPDATE SET state = excluded.state, updated_ms = excluded.updated_ms",
                (target_id, msgspec.json.encode(state).decode(), now_ms),
            )

    def load_circuits(self) -> dict[str, tuple[dict[str, Any], int]]:
        """Every stored breaker state: target id → (state, updated_ms)."""
        rows = self._conn.execute("SELECT target_id, state, updated_ms FROM circuits")
        return {t: (msgspec.json.decode(s), u) for t, s, u in rows}

    def set_operator_flags(self, flags: OperatorFlags) -> None:
        """Replace a target's operator flags."""
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO operator_flags (target_id, paused, draining, pinned, updated_ms)"
                " VALUES (?,?,?,?,?)",
                (flags.target_id, int(flags.paused), int(flags.draining), int(flags.pinned), flags.updated_ms),
            )

    def operator_flags(self) -> dict[str, OperatorFlags]:
        """Every target's operator flags."""
        rows = self._conn.execute("SELECT target_id, paused, draining, pinned, updated_ms FROM operator_flags")
        return {
            t: OperatorFlags(target_id=t, paused=bool(p), draining=bool(d), pinned=bool(n), updated_ms=u)
            for t, p, d, n, u in rows
        }

    # The operator surface: resets, pins, reload requests (see bridge/operator/)

    def reset_target(self, target_id: str, now_ms: int) -> None:
        """Forget a target's cooldowns (its own and its keys' there) and circuit; ask bridges to do the same."""
        with self._write() as conn:
            conn.execute("DELETE FROM cooldowns WHERE scope = 'target' AND scope_id = ?", (target_id,))
            conn.execute("DELETE FROM cooldowns WHERE scope = 'profile' AND scope_id LIKE ?", (f"%@{target_id}",))
            conn.execute("DELETE FROM circuits WHERE target_id = ?", (target_id,))
            self._request_reset(conn, "target", target_id, now_ms)

    def revive_profile(self, profile_id: str, now_ms: int) -> None:
        """The user fixed a key: active again, no cooldowns; bridges revive it. Raises ``UnknownProfile``."""
        with self._write() as conn:
            changed = conn.execute(
                "UPDATE profiles SET status = 'active', status_reason = NULL WHERE id = ?", (profile_id,)
            ).rowcount
            if changed == 0:
                raise UnknownProfile(profile_id)
            conn.execute("DELETE FROM cooldowns WHERE scope = 'profile' AND (scope_id = ? OR scope_id LIKE ?)",
                         (profile_id, f"{profile_id}@%"))
            self._request_reset(conn, "profile", profile_id, now_ms)

    @staticmethod
    def _request_reset(conn: sqlite3.Connection, scope: str, scope_id: str, now_ms: int) -> None:
        conn.execute(
            "INSERT INTO operator_resets (scope, scope_id, requested_ms) VALUES (?,?,?) ON CONFLICT (scope, scope_id)"
            " DO UPDATE SET requested_ms = MAX(excluded.requested_ms, operator_resets.requested_ms + 1)",
            (scope, scope_id, now_ms),
        )

    def operator_resets(self) -> dict[tuple[str, str], int]:
        """Every reset ever asked for: (scope, id) → when (a bridge applies each one it has not yet)."""
        rows = self._conn.execute("SELECT scope, scope_id, requested_ms FROM operator_resets")
        return {(s, i): r for s, i, r in rows}

    def set_pin(self, pin: StoredPin) -> None:
        """Pin a session (or ``*``) to a target or profile, replacing its earlier pin."""
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO pins (session_id, target_id, profile_id, label, set_ms) VALUES (?,?,?,?,?)",
                (pin.session_id, pin.target_id, pin.profile_id, pin.label, pin.set_ms),
            )

    def clear_pin(self, session_id: str) -> bool:
        """Remove a session's pin; returns whether there was one."""
        with self._write() as conn:
            return conn.execute("DELETE FROM pins WHERE session_id = ?", (session_id,)).rowcount > 0

    def pins(self) -> dict[str, StoredPin]:
        """Every pin, by session id."""
        rows = self._conn.execute("SELECT session_id, target_id, profile_id, label, set_ms FROM pins")
        return {s: StoredPin(session_id=s, target_id=t, profile_id=p, label=lb, set_ms=m) for s, t, p, lb, m in rows}

    def request_reload(self) -> int:
        """Ask every running bridge to re-read its config now; returns the new request number."""
        with self._write() as conn:
            conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'reload_requests'")
            return conn.execute("SELECT value FROM meta WHERE key = 'reload_requests'").fetchone()[0]

    def reload_requests(self) -> int:
        """How many reloads were ever requested (a bridge reloads when this grows)."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'reload_requests'").fetchone()
        return row[0] if row else 0
