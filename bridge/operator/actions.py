"""The operator's actions, one implementation for the tools inside OpenCode and the command line.

Every action is a write to the state store, never a direct change of one bridge's engine: every
running bridge merges the store into its engine before its next selection (see
``bridge.shared_store.SharedStore.sync`` and :mod:`bridge.operator.sync`), so an action taken in one
OpenCode window, or from a shell, holds in all of them, within a request.

Every action is logged as one ``operator_command`` audit event: who (``via``: tool or cli), what
(``command``, ``name``, ``session_id``), and the result (``ok`` and the message shown).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

import msgspec
import structlog

from oswitcher.operator_names import UnknownName, resolve_pinnable, resolve_profile, resolve_target
from oswitcher.pins import EVERY_SESSION

if TYPE_CHECKING:
    # Imported where used: the bridge answers ``initialize`` before it loads sqlite3.
    from bridge.store import StateStore

__all__ = ["ActionResult", "Operator", "Via"]

Via = Literal["tool", "cli"]
_log = structlog.get_logger("bridge.operator")


class ActionResult(msgspec.Struct, frozen=True, kw_only=True):
    """What an action did: ``ok``, a sentence for the user, and what it applied to."""

    ok: bool
    message: str
    command: str
    target_id: str | None = None
    profile_id: str | None = None


class Operator:
    """Operator actions against one store; ``target_ids`` gives the targets of the config in force."""

    def __init__(
        self, *, store: StateStore, target_ids: Callable[[], Sequence[str]], clock: Callable[[], int], via: Via
    ) -> None:
        self._store = store
        self._target_ids = target_ids
        self._clock = clock
        self._via = via

    def pause(self, name: str) -> ActionResult:
        """No new request goes to the target (requests already sent finish)."""
        return self._flags("pause", name, paused=True, draining=False,
                           done="paused {t}: it gets no new requests until `resume`.")

    def drain(self, name: str) -> ActionResult:
        """No new request goes to the target; the ones in flight finish (status shows them)."""
        return self._flags("drain", name, paused=False, draining=True,
                           done="draining {t}: no new requests; those in flight finish.")

    def resume(self, name: str) -> ActionResult:
        """Undo pause and drain."""
        return self._flags("resume", name, paused=False, draining=False, done="resumed {t}: it takes requests again.")

    def reset(self, name: str) -> ActionResult:
        """A target: close its circuit, end its cooldowns. A profile (id or label): revive a dead key."""
        try:
            target_id = resolve_target(name, self._target_ids())
        except UnknownName as target_error:
            try:
                profile = resolve_profile(name, self._store.list_profiles())
            except UnknownName as profile_error:
                return self._done(ActionResult(ok=False, command="reset", message=f"{target_error}; {profile_error}"),
                                  name=name)
            from bridge.store import UnknownProfile

            try:
                self._store.revive_profile(profile.id, self._clock())
            except UnknownProfile as exc:  # removed meanwhile
                return self._done(ActionResult(ok=False, command="reset", message=str(exc)), name=name)
            return self._done(ActionResult(
                ok=True, command="reset", profile_id=profile.id,
                message=f"profile {profile.label} is active again: no longer dead, no cooldown.",
            ), name=name)
        self._store.reset_target(target_id, self._clock())
        return self._done(ActionResult(
            ok=True, command="reset", target_id=target_id,
            message=f"reset {target_id}: circuit closed, cooldowns cleared.",
        ), name=name)

    def use(self, name: str, session_id: str | None) -> ActionResult:
        """Pin a session (or, from a shell, every session) to a target or profile."""
        try:
            choice = resolve_pinnable(name, self._target_ids(), self._store.list_profiles())
        except UnknownName as exc:
            return self._done(ActionResult(ok=False, command="use", message=str(exc)), name=name, session_id=session_id)
        from bridge.store import StoredPin

        session = session_id or EVERY_SESSION
        self._store.set_pin(StoredPin(session_id=session, target_id=choice.target_id, profile_id=choice.profile_id,
                                      label=choice.label, set_ms=self._clock()))
        who = "this session" if session_id else "every session"
        return self._done(ActionResult(
            ok=True, command="use", target_id=choice.target_id, profile_id=choice.profile_id,
            message=f"{who} now uses {choice.label} whenever it can serve (unpin to let O-Switcher choose).",
        ), name=name, session_id=session_id)

    def unpin(self, session_id: str | None) -> ActionResult:
        """Remove the session's pin (from a shell: the pin for every session)."""
        session = session_id or EVERY_SESSION
        removed = self._store.clear_pin(session)
        who = "this session" if session_id else "every session"
        message = f"{who} is no longer pinned." if removed else f"{who} had no pin."
        return self._done(ActionResult(ok=True, command="unpin", message=message), name=None, session_id=session_id)

    def request_reload(self) -> int:
        """Ask every running bridge to re-read its config; returns the request number."""
        number = self._store.request_reload()
        _log.info("operator_command", via=self._via, command="reload", ok=True, request=number)
        return number

    def audit(self, command: str, *, ok: bool, message: str, **fields: object) -> None:
        """Log an action that is not a store write (status, doctor, reload inside a bridge)."""
        _log.info("operator_command", via=self._via, command=command, ok=ok, message=message, **fields)

    def _flags(self, command: str, name: str, *, paused: bool, draining: bool, done: str) -> ActionResult:
        try:
            target_id = resolve_target(name, self._target_ids())
        except UnknownName as exc:
            return self._done(ActionResult(ok=False, command=command, message=str(exc)), name=name)
        from bridge.store import OperatorFlags

        self._store.set_operator_flags(
            OperatorFlags(target_id=target_id, paused=paused, draining=draining, updated_ms=self._clock())
        )
        return self._done(ActionResult(ok=True, command=command, target_id=target_id, message=done.format(t=target_id)),
                          name=name)

    def _done(self, result: ActionResult, *, name: str | None, session_id: str | None = None) -> ActionResult:
        _log.info(
            "operator_command", via=self._via, command=result.command, name=name, session_id=session_id,
            ok=result.ok, target_id=result.target_id, profile_id=result.profile_id, message=result.message,
        )
        return result
