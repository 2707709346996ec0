"""The JSON-RPC methods the shim calls, and what each one does.

Every handler gets typed params (decoded by :mod:`bridge.rpc`), writes one audit line, and
answers with a typed result. Decisions belong to the engine; this module only translates
between the wire and it.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog

from bridge import __version__
from bridge.protocol import (
    PROTOCOL_VERSION,
    TOOLS,
    ChatHeadersResult,
    ChatInput,
    ChatParamsResult,
    EventParams,
    FetchBegin,
    FetchDone,
    FetchFailed,
    FetchPlan,
    InitializeParams,
    InitializeResult,
    ModelRef,
    ToolCallParams,
    ToolCallResult,
    TurnParams,
    TurnResult,
)
from bridge.rpc import Method, MethodTable
from bridge.runtime import BridgeRuntime

__all__ = ["WANTED_EVENTS", "BridgeMethods"]

#: OpenCode bus events the shim forwards; everything else stays in OpenCode.
WANTED_EVENTS = ("session.status", "session.error", "session.idle", "message.updated")

_log = structlog.get_logger("bridge.methods")


class BridgeMethods:
    """The bridge's answers to the shim."""

    def __init__(self, *, runtime: BridgeRuntime, log_path: Path, on_shutdown: Callable[[], None]) -> None:
        self._runtime = runtime
        self._log_path = log_path
        self._on_shutdown = on_shutdown
        self._tool_table: dict[str, Callable[[ToolCallParams], Any]] | None = None

    @property
    def _tools(self) -> dict[str, Callable[[ToolCallParams], Any]]:
        # profiles-list and the operator's tools (bridge/operator/tools.py), imported at the first
        # tool call: they are not needed to answer initialize, which OpenCode waits for.
        if self._tool_table is None:
            from bridge.operator import operator_tools

            self._tool_table = operator_tools(self._runtime)
        return self._tool_table

    def table(self) -> MethodTable:
        """The method table for :class:`bridge.rpc.RpcConnection`."""
        return {
            "initialize": Method(InitializeParams, self.initialize),
            "shutdown": Method(None, self.shutdown),
            "chat/params": Method(ChatInput, self.chat_params),
            "chat/headers": Method(ChatInput, self.chat_headers),
            "chat/message": Method(TurnParams, self.chat_message),
            "event": Method(EventParams, self.event, notification=True),
            "tool/call": Method(ToolCallParams, self.tool_call),
            "fetch/begin": Method(FetchBegin, self.fetch_begin),
            "fetch/failed": Method(FetchFailed, self.fetch_failed),
            "fetch/done": Method(FetchDone, self.fetch_done, notification=True),
        }

    def initialize(self, params: InitializeParams) -> InitializeResult:
        _log.info(
            "bridge_initialized",
            shim_version=params.shim_version,
            opencode_version=params.opencode_version,
            directory=params.directory,
            worktree=params.worktree,
        )
        self._runtime.client_info = params
        self._runtime.start(params.directory, params.worktree)
        return InitializeResult(
            bridge_version=__version__,
            protocol=PROTOCOL_VERSION,
            pid=os.getpid(),
            events=list(WANTED_EVENTS),
            log_path=str(self._log_path),
            tools=sorted(TOOLS),
        )

    def shutdown(self) -> None:
        _log.info("bridge_shutdown_requested")
        self._on_shutdown()

    def chat_params(self, params: ChatInput) -> ChatParamsResult:
        _log.info("chat_params", **_chat_fields(params))
        return ChatParamsResult()

    def chat_headers(self, params: ChatInput) -> ChatHeadersResult:
        _log.info("chat_headers", **_chat_fields(params), fetch_active=params.fetch_active)
        failover = self._runtime.failover
        if params.fetch_active or failover is None:
            return ChatHeadersResult()  # the fetch chooses the key per attempt
        headers = failover.choose_headers(params.session_id, params.model.provider_id, params.model.model_id)
        return ChatHeadersResult(headers=headers)

    def chat_message(self, params: TurnParams) -> TurnResult:
        failover = self._runtime.failover
        if failover is None or params.model is None:
            return TurnResult()
        moved = failover.route_turn(params.session_id, params.model.provider_id, params.model.model_id)
        return TurnResult(model=ModelRef(provider_id=moved[0], model_id=moved[1]) if moved else None)

    def fetch_begin(self, params: FetchBegin) -> FetchPlan:
        failover = self._runtime.failover
        return failover.begin(params) if failover else FetchPlan(action="pass")

    def fetch_failed(self, params: FetchFailed) -> FetchPlan:
        failover = self._runtime.failover
        return failover.failed(params) if failover else FetchPlan(action="return")

    def fetch_done(self, params: FetchDone) -> None:
        if self._runtime.failover:
            self._runtime.failover.done(params)

    def event(self, params: EventParams) -> None:
        _log.info("opencode_event", type=params.type, session_id=params.properties.get("sessionID"))
        if self._runtime.failover is not None:
            self._runtime.failover.on_session_event(params.type, params.properties)

    async def tool_call(self, params: ToolCallParams) -> ToolCallResult:
        tool = self._tools.get(params.name)
        _log.info("tool_call", tool=params.name, session_id=params.session_id, known=tool is not None)
        if tool is None:
            return ToolCallResult(output=f"O-Switcher has no tool named {params.name!r}.", title="unknown tool")
        result = tool(params)
        return await result if inspect.isawaitable(result) else result


def _chat_fields(params: ChatInput) -> dict[str, str | None]:
    return {
        "session_id": params.session_id,
        "provider_id": params.model.provider_id,
        "model_id": params.model.model_id,
        "agent": params.agent,
    }
