"""A fake OpenAI-compatible provider for end-to-end tests and benchmarks.

Standard library only. It answers ``POST /v1/chat/completions`` (streaming SSE or a plain JSON
body) and chooses each answer by the request's Bearer key from a behaviour table:

    with FakeProvider({"sk-test-limited": rate_limited(retry_after=30)}) as fake:
        ...  # point OpenCode at fake.base_url, then inspect fake.requests

Behaviours (frozen values):

- ``Ok(text)``: a normal answer. It also plays the model's side of tool calls: a last user
  message containing ``CALL_TOOL:<name>:<json args>`` gets a tool call, and a request carrying
  tool results (``role: "tool"`` messages after the last user message) gets the text
  ``TOOL_RESULT:<content>`` for each result, so a test sees the tool's output printed.
- ``Status(code, headers, body)``: an HTTP error with a JSON body (real OpenAI bodies below).
- ``DropMidStream(after_chunks)``: starts a 200 stream, then resets the connection.
- ``Sequence(steps)``: the n-th request with that key gets ``steps[n]``; the last step repeats
  (a Sequence as the default counts the requests of all keys without an entry together).

OpenCode sends a separate small "title" request for each new session. By default it is answered
with ``title_answer`` whatever the key, without consuming a ``Sequence`` step, so the main request
of a test sees exactly the behaviour it configured; pass ``title_answer=None`` to route title
requests through the key table like any other (every request is logged either way).

A "refused connection" provider needs no server: point OpenCode at ``unused_port()``.

Standalone (benchmarks): ``python tests/fake_provider.py --port 0 [--script FILE] [--log FILE]``
prints the base URL as its first stdout line and serves until SIGINT/SIGTERM. The script is JSON:
``{"default": {...}, "keys": {"sk-test-a": {...}}, "title_answer": {...} | null}`` where a behaviour
is ``{"type": "ok", "text": ...}``, ``{"type": "status", "status": 429, "headers": {}, "body": ...}``,
``{"type": "drop", "after_chunks": 2}``, or a list of those (a sequence).
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "CONTEXT_LENGTH_400_BODY",
    "DropMidStream",
    "FakeProvider",
    "INSUFFICIENT_QUOTA_429_BODY",
    "INVALID_KEY_401_BODY",
    "Ok",
    "RATE_LIMIT_429_BODY",
    "RecordedRequest",
    "SERVER_ERROR_500_BODY",
    "Sequence",
    "Status",
    "behaviour_from_json",
    "rate_limited",
    "revoked",
    "server_error",
    "unused_port",
]

# Bodies copied from the shapes OpenAI really returns, so classification code sees real data.
RATE_LIMIT_429_BODY = {
    "error": {
        "message": "Rate limit reached for gpt-4o in organization org-test on tokens per min (TPM): "
        "Limit 30000, Used 30000, Requested 900. Please try again in 1.8s.",
        "type": "tokens",
        "param": None,
        "code": "rate_limit_exceeded",
    }
}
INSUFFICIENT_QUOTA_429_BODY = {
    "error": {
        "message": "You exceeded your current quota, please check your plan and billing details.",
        "type": "insufficient_quota",
        "param": None,
        "code": "insufficient_quota",
    }
}
INVALID_KEY_401_BODY = {
    "error": {
        "message": "Incorrect API key provided: sk-test-***. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_api_key",
    }
}
SERVER_ERROR_500_BODY = {
    "error": {
        "message": "The server had an error while processing your request. Sorry about that!",
        "type": "server_error",
        "param": None,
        "code": None,
    }
}
CONTEXT_LENGTH_400_BODY = {
    "error": {
        "message": "This model's maximum context length is 128000 tokens. However, your messages "
        "resulted in 130000 tokens. Please reduce the length of the messages.",
        "type": "invalid_request_error",
        "param": "messages",
        "code": "context_length_exceeded",
    }
}

TOOL_MARKER = re.compile(r"CALL_TOOL:([A-Za-z0-9_.\-]+):")


@dataclass(frozen=True, slots=True)
class Ok:
    """A successful answer; ``delay_s`` waits before the first byte (for timeout tests)."""

    text: str = "Hello from the fake provider."
    delay_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Status:
    """An HTTP error: ``body`` is a dict (sent as JSON), a str (sent as is) or None (empty)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | str | None = None


@dataclass(frozen=True, slots=True)
class DropMidStream:
    """A 200 stream that sends ``after_chunks`` content chunks, then resets the connection."""

    after_chunks: int = 2
    text: str = "This answer will be cut off before it ends."


@dataclass(frozen=True, slots=True)
class Sequence:
    """Successive requests get successive steps; the last step repeats forever."""

    steps: tuple[Behaviour, ...]

    def __init__(self, *steps: Behaviour) -> None:
        if not steps:
            raise ValueError("a Sequence needs at least one step")
        object.__setattr__(self, "steps", tuple(steps))


Behaviour = Ok | Status | DropMidStream | Sequence


def rate_limited(retry_after: float | None = 30, body: dict[str, Any] | None = None) -> Status:
    """A 429 like OpenAI's, with ``Retry-After`` in seconds unless ``retry_after`` is None."""
    headers = {} if retry_after is None else {"retry-after": f"{retry_after:g}"}
    return Status(429, headers=headers, body=body or RATE_LIMIT_429_BODY)


def revoked() -> Status:
    """A 401 ``invalid_api_key``, as OpenAI answers a revoked or mistyped key."""
    return Status(401, body=INVALID_KEY_401_BODY)


def server_error(status: int = 500) -> Status:
    """A 5xx with OpenAI's generic server-error body."""
    return Status(status, body=SERVER_ERROR_500_BODY)


def unused_port() -> int:
    """A local port nothing listens on: connecting to it is refused (a provider that is down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the fake server saw it. Header names are lower-case."""

    at: float  # time.time() when the request arrived
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or None when the body was empty or not JSON
    answered_with: str  # repr of the behaviour used, for assertion messages

    @property
    def key(self) -> str | None:
        """The Bearer key from the Authorization header (fake keys only, so kept verbatim)."""
        auth = self.headers.get("authorization", "")
        return auth[7:] if auth.lower().startswith("bearer ") else None

    @property
    def model(self) -> str | None:
        return self.body.get("model") if isinstance(self.body, dict) else None

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body.get("messages", []) if isinstance(self.body, dict) else []

    @property
    def tools(self) -> list[dict[str, Any]]:
        return (self.body.get("tools") or []) if isinstance(self.body, dict) else []

    @property
    def tool_names(self) -> list[str]:
        return [t.get("function", {}).get("name") for t in self.tools]

    @property
    def stream(self) -> bool:
        return bool(isinstance(self.body, dict) and self.body.get("stream"))

    @property
    def is_title(self) -> bool:
        """True for OpenCode's session-title request (its system prompt names the task)."""
        return is_title_request(self.body)


def message_text(message: dict[str, Any]) -> str:
    """The text of a chat message whose content is a string or a list of parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def is_title_request(body: Any) -> bool:
    """OpenCode's title agent: no tools, and a system prompt that asks for a title."""
    if not isinstance(body, dict) or body.get("tools"):
        return False
    for m in body.get("messages", []):
        if m.get("role") == "system" and "title generator" in message_text(m).lower():
            return True
    return False


def _tool_calls_requested(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(name, json args) for each CALL_TOOL marker in the last user message, unless answered.

    Tool results after the last user message mean the model already called; the caller then
    answers with the results instead of calling again, so a run cannot loop.
    """
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=None)
    if last_user is None or any(m.get("role") == "tool" for m in messages[last_user:]):
        return []
    text = message_text(messages[last_user])
    calls = []
    decoder = json.JSONDecoder()
    for match in TOOL_MARKER.finditer(text):
        rest = text[match.end():]
        # `opencode run "a prompt with spaces"` arrives quoted with its inner quotes escaped.
        for candidate in (rest, rest.replace('\\"', '"')):
            try:
                args, _ = decoder.raw_decode(candidate)
                break
            except json.JSONDecodeError:
                args = {}
        calls.append((match.group(1), json.dumps(args)))
    return calls


def _tool_results(messages: list[dict[str, Any]]) -> list[str]:
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    return [message_text(m) for m in messages[last_user + 1 :] if m.get("role") == "tool"]


class FakeProvider:
    """An OpenAI-compatible server on 127.0.0.1 in a background thread; a context manager.

    ``behaviours`` maps Bearer keys to behaviours; ``default`` answers every other key (or none).
    Thread-safe: the table and the request log are guarded by one lock.
    """

    def __init__(
        self,
        behaviours: dict[str, Behaviour] | None = None,
        *,
        default: Behaviour = Ok(),
        title_answer: Behaviour | None = Ok("Fake title"),
        port: int = 0,
        model: str = "fake-model",
    ) -> None:
        self._lock = threading.Lock()
        self._table: dict[str, Behaviour] = dict(behaviours or {})
        self._calls: dict[str | None, int] = {}
        self._default = default
        self._title_answer = title_answer
        self._requests: list[RecordedRequest] = []
        self._requested_port = port
        self.model = model
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FakeProvider:
        handler = type("Handler", (_Handler,), {"provider": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self._requested_port), handler)
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits for it, once per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-provider", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """The ``baseURL`` to give an OpenAI-compatible client (ends in ``/v1``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def set_behaviour(self, key: str | None, behaviour: Behaviour) -> None:
        """Change a key's behaviour (``None`` changes the default); restarts its sequence."""
        with self._lock:
            if key is None:
                self._default = behaviour
            else:
                self._table[key] = behaviour
            self._calls.pop(key, None)

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def chat_requests(self, *, include_title: bool = False) -> list[RecordedRequest]:
        """Chat-completion requests, by default without OpenCode's title requests."""
        return [
            r
            for r in self.requests
            if r.path.endswith("/chat/completions") and (include_title or not r.is_title)
        ]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> list[RecordedRequest]:
        """Poll until at least ``count`` requests arrived; raise TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.requests
            if len(got) >= count:
                return got
            time.sleep(0.02)
        raise TimeoutError(f"expected {count} requests, got {len(self.requests)}")

    def _choose(self, key: str | None, body: Any) -> Behaviour:
        """Pick and record the behaviour for one request (called from handler threads)."""
        with self._lock:
            if self._title_answer is not None and is_title_request(body):
                return self._title_answer
            behaviour = self._table.get(key, self._default) if key is not None else self._default
            slot = key if key in self._table else None
            if isinstance(behaviour, Sequence):
                n = self._calls.get(slot, 0)
                self._calls[slot] = n + 1
                behaviour = behaviour.steps[min(n, len(behaviour.steps) - 1)]
            return behaviour

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)


class _Handler(BaseHTTPRequestHandler):
    """Serves one connection; ``provider`` is set on a per-server subclass."""

    provider: FakeProvider
    protocol_version = "HTTP/1.1"  # chunked streaming needs 1.1

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log is the record; stderr noise would hide test output

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._record(None, "models")
            self._send_json(200, {"object": "list", "data": [{"id": self.provider.model, "object": "model"}]})
        else:
            self._record(None, "404")
            self._send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._record(body, "404")
            self._send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
            return
        auth = self.headers.get("authorization", "")
        key = auth[7:] if auth.lower().startswith("bearer ") else None
        behaviour = self.provider._choose(key, body)
        self._record(body, repr(behaviour))
        body = body if isinstance(body, dict) else {}
        if isinstance(behaviour, Status):
            self._send_status(behaviour)
        elif isinstance(behaviour, DropMidStream):
            self._send_drop(behaviour)
        else:
            assert isinstance(behaviour, Ok)
            if behaviour.delay_s:
                time.sleep(behaviour.delay_s)
            self._send_ok(behaviour, body)

    def _record(self, body: Any, answered_with: str) -> None:
        self.provider._record(
            RecordedRequest(
                at=time.time(),
                method=self.command,
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                answered_with=answered_with,
            )
        )

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_status(self, b: Status) -> None:
        self._send_json(b.status, "" if b.body is None else b.body, b.headers)

    def _send_ok(self, b: Ok, body: dict[str, Any]) -> None:
        messages = body.get("messages") or []
        calls = _tool_calls_requested(messages)
        results = _tool_results(messages)
        text = "\n".join(f"TOOL_RESULT:{r}" for r in results) if results else b.text
        if body.get("stream"):
            self._start_stream()
            for chunk in _completion_chunks(self.provider.model, text, calls, messages):
                self._write_event(chunk)
            self._write_event("[DONE]")
            self._write_chunk(b"")  # the terminating zero-length chunk
        else:
            self._send_json(200, _completion(self.provider.model, text, calls, messages))

    def _send_drop(self, b: DropMidStream) -> None:
        self._start_stream()
        chunks = _completion_chunks(self.provider.model, b.text, [], [])
        for chunk in chunks[: 1 + b.after_chunks]:  # the role chunk, then content
            self._write_event(chunk)
        self.wfile.flush()
        # SO_LINGER 0 makes close() send RST: the client sees a reset, not a clean end of stream.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()

    def _write_event(self, payload: Any) -> None:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        self._write_chunk(f"data: {data}\n\n".encode())

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


def _usage(messages: list[dict[str, Any]], text: str) -> dict[str, int]:
    # Roughly four characters a token: enough for OpenCode's cost and context display.
    prompt = sum(len(message_text(m)) for m in messages) // 4 + 1
    completion = len(text) // 4 + 1
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _completion_chunks(
    model: str, text: str, calls: list[tuple[str, str]], messages: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The SSE payloads of one streamed answer: role, content pieces or tool calls, finish."""
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()), "model": model}

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}

    out = [chunk({"role": "assistant", "content": ""})]
    if calls:
        for i, (name, args) in enumerate(calls):
            head = {"index": i, "id": f"call_fake_{i}", "type": "function", "function": {"name": name, "arguments": ""}}
            out.append(chunk({"tool_calls": [head]}))
            out.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": args}}]}))
        out.append(chunk({}, "tool_calls", usage=_usage(messages, "")))
    else:
        words = re.findall(r"\S+\s*", text) or [text]
        out.extend(chunk({"content": w}) for w in words)
        out.append(chunk({}, "stop", usage=_usage(messages, text)))
    return out


def _completion(
    model: str, text: str, calls: list[tuple[str, str]], messages: list[dict[str, Any]]
) -> dict[str, Any]:
    """A non-streamed chat.completion body."""
    if calls:
        tool_calls = [
            {"id": f"call_fake_{i}", "type": "function", "function": {"name": n, "arguments": a}}
            for i, (n, a) in enumerate(calls)
        ]
        message: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": tool_calls}
        finish = "tool_calls"
    else:
        message, finish = {"role": "assistant", "content": text}, "stop"
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": _usage(messages, text),
    }


def behaviour_from_json(spec: Any) -> Behaviour:
    """Build a behaviour from its JSON form (see the module docstring)."""
    if isinstance(spec, list):
        return Sequence(*(behaviour_from_json(s) for s in spec))
    kind = spec.get("type")
    if kind == "ok":
        return Ok(text=spec.get("text", Ok.text), delay_s=spec.get("delay_s", 0.0))
    if kind == "status":
        return Status(spec["status"], headers=spec.get("headers", {}), body=spec.get("body"))
    if kind == "drop":
        return DropMidStream(after_chunks=spec.get("after_chunks", 2))
    raise ValueError(f"unknown behaviour type {kind!r} in {spec!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--script", help="JSON file: default, keys and title_answer behaviours")
    parser.add_argument("--log", help="append every request to this file as JSON lines on exit")
    args = parser.parse_args(argv)

    script: dict[str, Any] = {}
    if args.script:
        with open(args.script, encoding="utf-8") as f:
            script = json.load(f)
    kwargs: dict[str, Any] = {}
    if "default" in script:
        kwargs["default"] = behaviour_from_json(script["default"])
    if "title_answer" in script:
        t = script["title_answer"]
        kwargs["title_answer"] = None if t is None else behaviour_from_json(t)
    keys = {k: behaviour_from_json(v) for k, v in script.get("keys", {}).items()}

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with FakeProvider(keys, port=args.port, **kwargs) as fake:
        print(fake.base_url, flush=True)
        stop.wait()
        if args.log:
            with open(args.log, "a", encoding="utf-8") as f:
                for r in fake.requests:
                    f.write(json.dumps({"at": r.at, "method": r.method, "path": r.path, "headers": r.headers,
                                        "body": r.body, "answered_with": r.answered_with}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
