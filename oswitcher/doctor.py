"""``doctor``'s checks as values, their verdicts, and the report; the probing itself is in bridge.

Each check is a name, a verdict (``ok``, ``warn``, ``fail``) and one line of detail saying what
was found and, for anything but ``ok``, what to do. The pure parts live here: the verdicts that
are a matter of logic (versions, single-key pools) and the rendering.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import msgspec

from oswitcher.status_view import PoolStatus, render_table

__all__ = ["Check", "Verdict", "overall", "pool_checks", "render_doctor", "version_check"]

Verdict = Literal["ok", "warn", "fail"]
_RANK = {"ok": 0, "warn": 1, "fail": 2}


class Check(msgspec.Struct, frozen=True, kw_only=True):
    """One check and what it found."""

    name: str
    verdict: Verdict
    detail: str


def overall(checks: Iterable[Check]) -> Verdict:
    """The worst verdict of all checks (``ok`` when there are none)."""
    worst: Verdict = "ok"
    for check in checks:
        if _RANK[check.verdict] > _RANK[worst]:
            worst = check.verdict
    return worst


def version_check(name: str, found: str | None, *, expected: str | None = None, unknown: str = "unknown") -> Check:
    """``ok`` when ``found`` is the expected version (or any, without one); ``warn`` otherwise."""
    if found is None:
        return Check(name=name, verdict="warn", detail=unknown)
    if expected is not None and found != expected:
        return Check(name=name, verdict="warn", detail=f"{found} (O-Switcher was verified with {expected})")
    return Check(name=name, verdict="ok", detail=found)


def pool_checks(pools: Sequence[PoolStatus]) -> list[Check]:
    """A warning for every pool with a single key (nothing to rotate to), a failure for none."""
    checks = []
    for pool in pools:
        members = ", ".join(pool.members)
        if pool.keys == 0:
            checks.append(Check(name=f"pool {pool.pool_id}", verdict="warn",
                                detail=f"no key recorded for {members} (keyless, or not logged in yet)"))
        elif pool.keys == 1:
            checks.append(Check(name=f"pool {pool.pool_id}", verdict="warn",
                                detail=f"a single key for {members}: when it is throttled or rejected there is no"
                                       " other to switch to (add one with `opencode auth login`)"))
        else:
            checks.append(Check(name=f"pool {pool.pool_id}", verdict="ok", detail=f"{pool.keys} keys for {members}"))
    return checks


def render_doctor(checks: Sequence[Check]) -> str:
    """The checks as a table, and a last line with the overall verdict."""
    table = render_table(("check", "verdict", "detail"), [(c.name, c.verdict.upper(), c.detail) for c in checks])
    worst = overall(checks)
    summary = {"ok": "All checks passed.", "warn": "Working, with warnings.", "fail": "Something needs fixing."}[worst]
    return f"{table}\n\n{summary}"
