"""The operator's tools inside OpenCode, answered by the bridge (the shim registers the same names).

Each handler takes the tool call's params and answers plain text for the chat. Arguments are
checked here, and a wrong one gets a message naming the choices. Actions go through
:class:`bridge.operator.actions.Operator` (the store), so they hold in every OpenCode window.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bridge.operator.actions import ActionResult, Operator
from bridge.operator.status import bridge_status
from bridge.operator.sync import describe_reload
from bridge.protocol import ToolCallParams, ToolCallResult
from oswitcher.doctor import overall, render_doctor
from oswitcher.pins import pin_for
from oswitcher.profile_table import render_profiles_table
from oswitcher.status_view import clock_time, render_status

if TYPE_CHECKING:
    from bridge.runtime import BridgeRuntime

__all__ = ["ToolHandler", "operator_tools"]

ToolHandler = Callable[[ToolCallParams], "ToolCallResult | Awaitable[ToolCallResult]"]


def _arg(params: ToolCallParams, name: str) -> str:
    value: Any = params.args.get(name, "")
    return value.strip() if isinstance(value, str) else str(value)


class _Tools:
    def __init__(self, runtime: BridgeRuntime) -> None:
        self._runtime = runtime
        self._made: Operator | None = None

    @property
    def _operator(self) -> Operator:
        # Made on first use: the store is opened after ``initialize`` has been answered.
        if self._made is None:
            self._made = Operator(store=self._runtime.store, target_ids=self._target_ids, clock=self._runtime.clock,
                                  via="tool")
        return self._made

    def _target_ids(self) -> list[str]:
        failover = self._runtime.failover
        return [t.target_id for t in failover.engine.targets] if failover else []

    def _result(self, result: ActionResult) -> ToolCallResult:
        return ToolCallResult(output=result.message if result.ok else f"Not done: {result.message}",
                              title=f"switcher {result.command}")

    def _need(self, params: ToolCallParams, arg: str, what: str) -> ToolCallResult | None:
        if _arg(params, arg):
            return None
        message = f"say which {what}; targets: {', '.join(sorted(self._target_ids())) or '(none)'}"
        self._operator.audit(params.name.removeprefix("switcher-"), ok=False, message=message, session_id=params.session_id)
        return ToolCallResult(output=f"Not done: {message}", title=params.name)

    def status(self, params: ToolCallParams) -> ToolCallResult:
        view = bridge_status(self._runtime)
        self._operator.audit("status", ok=True, message="shown", session_id=params.session_id)
        return ToolCallResult(output=render_status(view, session_id=params.session_id), title="switcher status")

    def profiles(self, params: ToolCallParams) -> ToolCallResult:
        now = self._runtime.clock()
        view = bridge_status(self._runtime)
        notes: dict[str, str] = {}
        for target in view.targets:
            for key in target.keys:
                if key.cooldown is not None and key.profile_id not in notes:
                    notes[key.profile_id] = (f"cooling on {target.target_id} until {clock_time(key.cooldown.until_ms)}"
                                             f" ({key.cooldown.error_class})")
        failover = self._runtime.failover
        pin = pin_for(failover.pins, params.session_id) if failover else None
        if pin is not None and pin.profile_id:
            notes[pin.profile_id] = "pinned" + (f"; {notes[pin.profile_id]}" if pin.profile_id in notes else "")
        profiles = self._runtime.store.list_profiles()
        return ToolCallResult(output=render_profiles_table(profiles, now, notes=notes), title="profiles")

    def pause(self, params: ToolCallParams) -> ToolCallResult:
        return self._need(params, "target", "target to pause") or self._result(self._operator.pause(_arg(params, "target")))

    def drain(self, params: ToolCallParams) -> ToolCallResult:
        return self._need(params, "target", "target to drain") or self._result(self._operator.drain(_arg(params, "target")))

    def resume(self, params: ToolCallParams) -> ToolCallResult:
        name = _arg(params, "target")
        if name:
            return self._result(self._operator.resume(name))
        # "" resumes every target the operator holds back.
        held = [t for t, f in self._runtime.store.operator_flags().items()
                if (f.paused or f.draining) and t in self._target_ids()]
        if not held:
            return ToolCallResult(output="No target is paused or draining.", title="switcher resume")
        return ToolCallResult(output="\n".join(self._operator.resume(t).message for t in sorted(held)),
                              title="switcher resume")

    def reset(self, params: ToolCallParams) -> ToolCallResult:
        return self._need(params, "name", "target or profile to reset") or self._result(
            self._operator.reset(_arg(params, "name")))

    def use(self, params: ToolCallParams) -> ToolCallResult:
        if not params.session_id:
            return ToolCallResult(output="Not done: this call has no session to pin.", title="switcher use")
        return self._need(params, "name", "target or profile to use") or self._result(
            self._operator.use(_arg(params, "name"), params.session_id))

    def unpin(self, params: ToolCallParams) -> ToolCallResult:
        if not params.session_id:
            return ToolCallResult(output="Not done: this call has no session to unpin.", title="switcher unpin")
        return self._result(self._operator.unpin(params.session_id))

    async def reload(self, params: ToolCallParams) -> ToolCallResult:
        watcher = self._runtime.watcher
        if watcher is None:
            message = "the bridge is not watching a config yet"
            self._operator.audit("reload", ok=False, message=message, session_id=params.session_id)
            return ToolCallResult(output=f"Not done: {message}", title="switcher reload")
        result = await watcher.reload()
        message = describe_reload(result)
        ok = not hasattr(result, "error")
        self._operator.audit("reload", ok=ok, message=message, session_id=params.session_id)
        return ToolCallResult(output=message, title="switcher reload")

    def doctor(self, params: ToolCallParams) -> ToolCallResult:
        from bridge.operator.doctor import doctor_checks

        info = self._runtime.client_info
        directory = Path(info.directory) if info is not None and info.directory else Path(os.getcwd())
        checks = doctor_checks(
            env=self._runtime.env, directory=directory, status=bridge_status(self._runtime), runtime=self._runtime,
            opencode_version=params.opencode_version,
        )
        self._operator.audit("doctor", ok=True, message=overall(checks), session_id=params.session_id)
        return ToolCallResult(output=render_doctor(checks), title="switcher doctor")


def operator_tools(runtime: BridgeRuntime) -> dict[str, ToolHandler]:
    """Tool name → handler, for ``BridgeMethods._tools``."""
    tools = _Tools(runtime)
    return {
        "switcher-status": tools.status,
        "profiles-list": tools.profiles,
        "switcher-pause": tools.pause,
        "switcher-resume": tools.resume,
        "switcher-drain": tools.drain,
        "switcher-reset": tools.reset,
        "switcher-use": tools.use,
        "switcher-unpin": tools.unpin,
        "switcher-reload": tools.reload,
        "switcher-doctor": tools.doctor,
    }
