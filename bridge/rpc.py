"""JSON-RPC over stdio: asyncio framing feeding python-lsp-jsonrpc's ``Endpoint``.

The library gives request/response/notification semantics; its thread-based streams are
replaced by :mod:`bridge.framing` (5× faster, see ``docs/benchmarks.md``). Six defects of
python-lsp-jsonrpc 1.1.2 are guarded here, each with a regression test in
``tests/bridge/test_rpc_guards.py``:

1. ``$/cancelRequest`` on a pending request sent no reply: cancellation is handled here, and a
   cancelled handler fails its future with ``RequestCancelled`` (-32800), which gets a reply.
2. An ``async def`` handler, or a result that cannot be serialised, sent no reply: coroutines run
   as tasks behind a ``concurrent.futures.Future``, and results are encoded *before* they reach
   the library, so an encoding failure becomes an internal error reply.
3. A result dict with a top-level ``result``/``error`` key was merged into the envelope: results
   reach the library as pre-encoded ``msgspec.Raw`` bytes, never as dicts.
4. Internal errors went out with code -32602 and the traceback (secrets included): unexpected
   exceptions become -32603 with a plain message here, and anything with a traceback is scrubbed
   on the way out.
5. The library's stream reader required ``Content-Length:`` first and spelled exactly: it is not
   used (see :mod:`bridge.framing`).
6. Array params raised ``TypeError``: params must be an object, else -32602 invalid params.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
import structlog
from pylsp_jsonrpc.endpoint import Endpoint
from pylsp_jsonrpc.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
    JsonRpcRequestCancelled,
)

from bridge.context import request_id as _request_id
from bridge.context import request_method as _request_method
from bridge.framing import FrameError, FrameReader, encode_frame

__all__ = ["INTERNAL_ERROR", "Method", "MethodTable", "RpcConnection"]

INTERNAL_ERROR = -32603
_CANCEL = "$/cancelRequest"
_log = structlog.get_logger("bridge.rpc")


@dataclass(frozen=True, slots=True)
class Method:
    """One JSON-RPC method: the struct its params decode into, and the handler (sync or async)."""

    params: type | None
    handler: Callable[..., Any]
    notification: bool = False
    #: Whether the handler is a coroutine function (run as a task, answered when it ends).
    is_async: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "is_async", inspect.iscoroutinefunction(self.handler))


MethodTable = Mapping[str, Method]
Spawn = Callable[[Awaitable[Any]], "asyncio.Task[Any]"]


class _Internal(JsonRpcException):
    """What the shim sees of a bug in a handler: a code and a pointer to the log, no traceback."""

    CODE = INTERNAL_ERROR
    MESSAGE = "Internal error in the O-Switcher bridge; see its log"


class _Dispatcher:
    """The ``dispatcher`` handed to ``Endpoint``: method name → a guarded handler."""

    def __init__(self, methods: MethodTable, spawn: Spawn, tasks: dict[Any, asyncio.Task[Any]]) -> None:
        self._methods = methods
        self._spawn = spawn
        self._tasks = tasks
        self._encoder = msgspec.json.Encoder()

    def __getitem__(self, name: str) -> Callable[[Any], Any]:
        method = self._methods.get(name)
        if method is None:
            _log.warning("unknown_method", method=name)
            raise KeyError(name)  # Endpoint answers "method not found" (-32601)
        return lambda params: self._call(name, method, params)

    def _call(self, name: str, method: Method, params: Any) -> Any:
        if params is not None and not isinstance(params, dict):
            raise _invalid_params(name, f"params must be an object, got {type(params).__name__}")
        args = ()
        if method.params is not None:
            try:
                args = (msgspec.convert(params or {}, method.params),)
            except msgspec.ValidationError as exc:
                raise _invalid_params(name, str(exc)) from None
        if method.is_async:
            return self._start(name, method.handler(*args))
        try:
            return self._encode(method.handler(*args))
        except JsonRpcException:
            raise
        except Exception:
            _log.exception("handler_failed", method=name)
            raise _Internal() from None

    def _encode(self, result: Any) -> msgspec.Raw:
        try:
            return msgspec.Raw(self._encoder.encode(result))
        except (TypeError, ValueError, OverflowError):
            _log.exception("result_not_serialisable", type=type(result).__name__)
            raise _Internal() from None

    def _start(self, name: str, coro: Awaitable[Any]) -> concurrent.futures.Future[Any] | None:
        request_id = _request_id.get()
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        task = self._spawn(coro)
        if request_id is not None:
            self._tasks[request_id] = task

        def settle(done: asyncio.Task[Any]) -> None:
            self._tasks.pop(request_id, None)
            if done.cancelled():
                future.set_exception(JsonRpcRequestCancelled())
            elif (exc := done.exception()) is not None:
                if not isinstance(exc, JsonRpcException):
                    _log.error("handler_failed", method=name, exc_info=exc)
                    exc = _Internal()
                future.set_exception(exc)
            else:
                try:
                    future.set_result(self._encode(done.result()))
                except JsonRpcException as err:
                    future.set_exception(err)

        task.add_done_callback(settle)
        return None if request_id is None else future


def _invalid_params(method: str, problem: str) -> JsonRpcInvalidParams:
    _log.warning("invalid_params", method=method, error=problem)
    return JsonRpcInvalidParams(message=f"{method}: {problem}")


class RpcConnection:
    """One JSON-RPC peer on a byte stream: reads frames, dispatches, writes replies.

    Handler tasks are created through ``spawn`` (the server's TaskGroup), so none outlives the
    connection. ``notify`` sends bridge → shim notifications.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        write: Callable[[bytes], object],
        methods: MethodTable,
        *,
        spawn: Spawn,
    ) -> None:
        self._frames = FrameReader(reader)
        self._write = write
        #: Replies held until the end of this event-loop turn; None when none was written yet.
        self._outbox: list[bytes] | None = None
        self._tasks: dict[Any, asyncio.Task[Any]] = {}
        self._encoder = msgspec.json.Encoder()
        self._endpoint = Endpoint(_Dispatcher(methods, spawn, self._tasks), self._send, max_workers=1)

    async def serve(self) -> None:
        """Handle frames until the stream ends; bad input is answered and never ends the loop."""
        try:
            while True:
                try:
                    body = await self._frames.read()
                except FrameError as exc:
                    _log.warning("bad_frame", error=str(exc))
                    self._send_error(None, JsonRpcInvalidRequest(message=f"bad frame: {exc}"))
                    continue
                except asyncio.IncompleteReadError:
                    _log.warning("stream_ended_mid_frame")
                    return
                if body is None:
                    return
                self._dispatch(body)
        finally:
            for task in list(self._tasks.values()):
                task.cancel()
            self._endpoint.shutdown()

    def notify(self, method: str, params: Any = None) -> None:
        """Send a notification to the shim."""
        self._endpoint.notify(method, msgspec.to_builtins(params) if params is not None else None)

    def _dispatch(self, body: bytes) -> None:
        try:
            message = msgspec.json.decode(body)
        except msgspec.DecodeError as exc:
            _log.warning("bad_json", error=str(exc))
            self._send_error(None, JsonRpcParseError(message=f"invalid JSON: {exc}"))
            return
        problem = _envelope_problem(message)
        if problem is not None:
            _log.warning("bad_request", error=problem)
            msg_id = message.get("id") if isinstance(message, dict) else None
            self._send_error(msg_id if isinstance(msg_id, (str, int)) else None, JsonRpcInvalidRequest(message=problem))
            return
        if message.get("method") == _CANCEL:
            self._cancel(message.get("params"))
            return
        id_token = _request_id.set(message.get("id"))
        method_token = _request_method.set(message.get("method"))
        try:
            self._endpoint.consume(message)
        finally:
            _request_method.reset(method_token)
            _request_id.reset(id_token)

    def _cancel(self, params: Any) -> None:
        msg_id = params.get("id") if isinstance(params, dict) else None
        task = self._tasks.get(msg_id)
        if task is not None:
            task.cancel()

    def _send(self, message: dict[str, Any]) -> None:
        error = message.get("error")
        if isinstance(error, dict) and isinstance(error.get("data"), dict) and "traceback" in error["data"]:
            message["error"] = {"code": INTERNAL_ERROR, "message": _Internal.MESSAGE}
        try:
            body = self._encoder.encode(message)
        except (TypeError, ValueError, OverflowError):
            _log.exception("reply_not_serialisable")
            if "id" not in message:
                return
            body = self._encoder.encode({"jsonrpc": "2.0", "id": message["id"], "error": _Internal().to_dict()})
        frame = encode_frame(body)
        if self._outbox is not None:
            self._outbox.append(frame)
            return
        # The first reply of a loop turn leaves at once (a lone request waits for nothing);
        # the ones after it in the same turn (a pipelined burst) leave together at its end,
        # one system call instead of one per reply.
        self._write(frame)
        try:
            asyncio.get_running_loop().call_soon(self._end_turn)
            self._outbox = []
        except RuntimeError:  # no loop running: nothing to batch with
            pass

    def _end_turn(self) -> None:
        outbox, self._outbox = self._outbox, None
        if outbox:
            self._write(b"".join(outbox))

    def _send_error(self, msg_id: str | int | None, exc: JsonRpcException) -> None:
        self._send({"jsonrpc": "2.0", "id": msg_id, "error": exc.to_dict()})


def _envelope_problem(message: Any) -> str | None:
    """Why ``message`` is not a JSON-RPC 2.0 request, notification or response; None if it is."""
    if isinstance(message, list):
        return "batch requests are not supported"
    if not isinstance(message, dict):
        return f"a message must be an object, got {type(message).__name__}"
    if message.get("jsonrpc") != "2.0":
        return 'a message must have "jsonrpc": "2.0"'
    if "id" in message and not isinstance(message["id"], (str, int, type(None))):
        return "id must be a string, a number or null"
    method = message.get("method")
    if method is None:
        return None if "id" in message and ("result" in message or "error" in message) else "no method"
    if not isinstance(method, str):
        return "method must be a string"
    return None
