"""The state store's schema, as ordered migrations (``PRAGMA user_version`` counts those applied).

Append only: a migration that shipped is never edited, so every store on every machine reaches
the same schema by the same steps. The pending ones run in one transaction, each followed by
``user_version = N`` (``StateStore._migrate``).
"""

from __future__ import annotations

__all__ = ["MIGRATIONS"]

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT INTO meta (key, value) VALUES ('version', 0);
    CREATE TABLE profiles (
        id TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        kind TEXT NOT NULL,
        secret TEXT NOT NULL,
        payload TEXT NOT NULL DEFAULT '{}',
        source TEXT NOT NULL,
        label TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'active',
        status_reason TEXT,
        first_seen_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        last_used_ms INTEGER,
        last_error_class TEXT,
        uses INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX profiles_provider ON profiles (provider);
    CREATE TABLE cooldowns (
        scope TEXT NOT NULL CHECK (scope IN ('target', 'profile')),
        scope_id TEXT NOT NULL,
        until_ms INTEGER NOT NULL,
        error_class TEXT NOT NULL,
        reason TEXT,
        set_ms INTEGER NOT NULL,
        PRIMARY KEY (scope, scope_id)
    );
    CREATE TABLE circuits (
        target_id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE operator_flags (
        target_id TEXT PRIMARY KEY,
        paused INTEGER NOT NULL DEFAULT 0,
        draining INTEGER NOT NULL DEFAULT 0,
        pinned INTEGER NOT NULL DEFAULT 0,
        updated_ms INTEGER NOT NULL
    );
    """,
    # 2: the operator surface (bridge/operator/): per-session pins, resets and reload requests
    # that running bridges pick up at their next sync.
    """
    CREATE TABLE pins (
        session_id TEXT PRIMARY KEY,
        target_id TEXT,
        profile_id TEXT,
        label TEXT NOT NULL,
        set_ms INTEGER NOT NULL
    );
    CREATE TABLE operator_resets (
        scope TEXT NOT NULL CHECK (scope IN ('target', 'profile')),
        scope_id TEXT NOT NULL,
        requested_ms INTEGER NOT NULL,
        PRIMARY KEY (scope, scope_id)
    );
    INSERT INTO meta (key, value) VALUES ('reload_requests', 0);
    """,
)
