"""The messages between the shim and the bridge, as typed structs.

Params are decoded with msgspec into these structs before any handler sees them; a wrong type
is a JSON-RPC "invalid params" error naming the path. Unknown fields are tolerated on purpose:
a newer shim may send more than this bridge knows, and that must not break a user's session.
Results are structs too, so that what the bridge promises the shim is written down once.

Requests (shim → bridge): ``initialize``, ``shutdown``, ``chat/params``, ``chat/headers``,
``tool/call``. Notifications (shim → bridge): ``event``. Notifications (bridge → shim):
``ui/toast``.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

__all__ = [
    "PROTOCOL_VERSION",
    "TOOLS",
    "ChatInput",
    "ChatHeadersResult",
    "ChatParamsResult",
    "EventParams",
    "InitializeParams",
    "InitializeResult",
    "ModelRef",
    "Toast",
    "ToolCallParams",
    "ToolCallResult",
    "TurnParams",
    "TurnResult",
]

#: Bumped on any incompatible change of these messages; the shim checks it at ``initialize``.
PROTOCOL_VERSION = 1

#: The tools the shim registers in OpenCode and the bridge answers through ``tool/call``.
TOOLS = (
    "switcher-status",
    "profiles-list",
    "switcher-pause",
    "switcher-resume",
    "switcher-drain",
    "switcher-reset",
    "switcher-use",
    "switcher-unpin",
    "switcher-reload",
    "switcher-doctor",
)


class _Message(msgspec.Struct, kw_only=True, omit_defaults=True, rename="camel"):
    """Base of every wire struct: camelCase on the wire (as OpenCode's JavaScript names it)."""


class InitializeParams(_Message):
    """What the shim knows when OpenCode loads it."""

    shim_version: str
    protocol: int = PROTOCOL_VERSION
    opencode_version: str | None = None
    directory: str | None = None
    worktree: str | None = None
    #: The options object given to the shim's own entry in OpenCode's ``plugin`` list.
    plugin_options: dict[str, Any] | None = None


class InitializeResult(_Message):
    """The bridge's versions, and which OpenCode event types it wants forwarded."""

    bridge_version: str
    protocol: int
    pid: int
    events: list[str]
    log_path: str
    tools: list[str]


class ModelRef(_Message):
    """The model a request is for."""

    provider_id: str
    model_id: str


class ChatInput(_Message):
    """The part of ``chat.params``/``chat.headers`` input the bridge needs (never the provider's options)."""

    session_id: str
    model: ModelRef
    agent: str | None = None
    message_id: str | None = None
    provider_source: str | None = None
    #: The shim's fetch handles this provider's requests (False on runtimes that ignore it).
    fetch_active: bool = False


class ChatParamsResult(_Message):
    """Changes to apply to ``chat.params``'s output; empty means "leave it as it is"."""

    temperature: float | None = None
    top_p: float | None = None
    top_k: float | None = None
    max_output_tokens: int | None = None
    options: dict[str, Any] | None = None


class ChatHeadersResult(_Message):
    """Headers to merge into the request (``Authorization`` here picks the key)."""

    headers: dict[str, str] | None = None


class TurnParams(_Message):
    """``chat.message``: a new user turn is about to start on ``model``."""

    session_id: str
    model: ModelRef | None = None


class TurnResult(_Message):
    """Where the turn goes instead (``model`` None: where the user sent it)."""

    model: ModelRef | None = None


class EventParams(_Message):
    """An OpenCode bus event, forwarded as it came."""

    type: str
    properties: dict[str, Any] = {}
    id: str | None = None


class ToolCallParams(_Message):
    """A call of one of the tools the shim registered on the bridge's behalf."""

    name: str
    args: dict[str, Any] = {}
    session_id: str | None = None
    agent: str | None = None
    #: OpenCode's version, when the shim could ask it (``switcher-doctor`` reports it).
    opencode_version: str | None = None


class ToolCallResult(_Message):
    """What the tool answers the model (and the user): plain text, a title for the UI."""

    output: str
    title: str | None = None


class Toast(_Message):
    """Bridge → shim: show the user a toast in OpenCode's UI."""

    message: str
    variant: Literal["info", "success", "warning", "error"] = "info"
    title: str | None = None


class FetchBegin(_Message):
    """The shim's fetch is about to send a request OpenCode made for ``provider_id``."""

    request_id: str
    provider_id: str
    url: str
    model: str | None = None
    session_id: str | None = None


class FetchFailed(_Message):
    """An attempt of ``request_id`` failed: an HTTP error status, or a transport error."""

    request_id: str
    attempt: int
    status: int | None = None
    headers: dict[str, str] = {}
    body: str = ""
    error: str | None = None
    latency_ms: float | None = None


class FetchDone(_Message):
    """An attempt of ``request_id`` got a success status (``aborted``: the user cancelled it)."""

    request_id: str
    attempt: int
    latency_ms: float | None = None
    aborted: bool = False


class FetchPlan(_Message):
    """What the shim's fetch does next.

    - ``send``: (after ``delay_ms``) send attempt number ``attempt`` with ``headers`` set (and
      ``strip_headers`` removed first), to ``url`` and with body ``model`` when given;
    - ``wait``: sleep ``delay_ms``, then ask ``fetch/begin`` again;
    - ``fail``: answer OpenCode with ``status`` and ``body`` instead of sending anything;
    - ``return``: hand OpenCode the last response (or error) as it is;
    - ``pass``: O-Switcher has no opinion: send the request unchanged.
    """

    action: Literal["send", "wait", "fail", "return", "pass"]
    attempt: int = 0
    delay_ms: int = 0
    headers: dict[str, str] | None = None
    strip_headers: list[str] | None = None
    url: str | None = None
    model: str | None = None
    status: int | None = None
    body: str | None = None
