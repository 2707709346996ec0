"""The fake provider on its own, spoken to with httpx (no OpenCode involved)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from ..fake_provider import (
    INVALID_KEY_401_BODY,
    RATE_LIMIT_429_BODY,
    DropMidStream,
    FakeProvider,
    Ok,
    Sequence,
    rate_limited,
    revoked,
    server_error,
    unused_port,
)


def chat(fake: FakeProvider, key: str, content: str = "hello", *, stream: bool = True, **extra) -> httpx.Response:
    body = {"model": "fake-model", "messages": [{"role": "user", "content": content}], "stream": stream, **extra}
    return httpx.post(
        f"{fake.base_url}/chat/completions", json=body, headers={"authorization": f"Bearer {key}"}, timeout=5
    )


def sse_payloads(response: httpx.Response) -> list:
    """The ``data:`` payloads of an SSE body, JSON-decoded except ``[DONE]``."""
    out = []
    for line in response.text.splitlines():
        if line.startswith("data: "):
            data = line[6:]
            out.append(data if data == "[DONE]" else json.loads(data))
    return out


def streamed_text(payloads: list) -> str:
    return "".join(p["choices"][0]["delta"].get("content") or "" for p in payloads[:-1] if p["choices"])


@pytest.fixture
def fake():
    behaviours = {
        "sk-test-limited": rate_limited(retry_after=30),
        "sk-test-revoked": revoked(),
        "sk-test-broken": server_error(),
        "sk-test-drop": DropMidStream(after_chunks=2),
        "sk-test-flaky": Sequence(rate_limited(retry_after=1), Ok("recovered")),
    }
    with FakeProvider(behaviours, default=Ok("default answer")) as server:
        yield server


def test_streams_text_then_finish_with_usage_then_done(fake):
    r = chat(fake, "sk-test-good")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/event-stream"
    payloads = sse_payloads(r)
    assert payloads[-1] == "[DONE]"
    finish = payloads[-2]
    assert finish["choices"][0]["finish_reason"] == "stop"
    assert finish["usage"]["total_tokens"] > 0
    assert streamed_text(payloads) == "default answer"


def test_non_streaming_answer(fake):
    r = chat(fake, "sk-test-good", stream=False)
    assert r.status_code == 200
    assert r.json()["choices"][0]["message"]["content"] == "default answer"


def test_error_behaviours_send_status_headers_and_real_bodies(fake):
    limited = chat(fake, "sk-test-limited")
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "30")
    assert limited.json() == RATE_LIMIT_429_BODY
    revoked_ = chat(fake, "sk-test-revoked")
    assert revoked_.status_code == 401 and revoked_.json() == INVALID_KEY_401_BODY
    assert chat(fake, "sk-test-broken").status_code == 500


def test_sequence_steps_then_repeats_its_last_step(fake):
    codes = [chat(fake, "sk-test-flaky").status_code for _ in range(3)]
    assert codes == [429, 200, 200]


def test_set_behaviour_at_runtime_restarts_the_sequence(fake):
    fake.set_behaviour("sk-test-good", revoked())
    assert chat(fake, "sk-test-good").status_code == 401
    chat(fake, "sk-test-flaky")
    fake.set_behaviour("sk-test-flaky", Sequence(server_error(503), Ok()))
    assert [chat(fake, "sk-test-flaky").status_code for _ in range(2)] == [503, 200]
    fake.set_behaviour(None, server_error(502))
    assert chat(fake, "sk-test-unknown").status_code == 502


def test_drop_mid_stream_breaks_the_connection_after_some_chunks(fake):
    got = b""
    with pytest.raises(httpx.HTTPError):
        body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True}
        with httpx.stream(
            "POST", f"{fake.base_url}/chat/completions", json=body,
            headers={"authorization": "Bearer sk-test-drop"}, timeout=5,
        ) as r:
            assert r.status_code == 200
            for part in r.iter_bytes():
                got += part
    assert got.count(b"data: ") == 3  # the role chunk and two content chunks
    assert b"[DONE]" not in got


def test_every_request_is_logged_with_key_headers_and_body(fake):
    chat(fake, "sk-test-good", "first", tools=[{"type": "function", "function": {"name": "echo"}}], x_extra=1)
    chat(fake, "sk-test-limited", "second", stream=False)
    first, second = fake.requests
    assert (first.key, first.path, first.model) == ("sk-test-good", "/v1/chat/completions", "fake-model")
    assert first.stream
    assert first.headers["authorization"] == "Bearer sk-test-good"
    assert first.messages[0]["content"] == "first"
    assert first.tool_names == ["echo"]
    assert first.body["x_extra"] == 1
    assert (second.key, second.stream) == ("sk-test-limited", False)
    assert "429" in second.answered_with
    assert first.at <= second.at


def test_tool_call_marker_gets_a_streamed_tool_call(fake):
    r = chat(fake, "sk-test-good", 'please CALL_TOOL:echo-test:{"text": "hi"} now')
    payloads = sse_payloads(r)
    calls = [tc for p in payloads[:-1] for tc in p["choices"][0]["delta"].get("tool_calls", [])]
    assert calls[0]["id"] and calls[0]["function"]["name"] == "echo-test"
    args = "".join(tc["function"].get("arguments", "") for tc in calls)
    assert json.loads(args) == {"text": "hi"}
    assert payloads[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_tool_call_marker_with_escaped_quotes_as_opencode_run_sends_a_quoted_prompt(fake):
    r = chat(fake, "sk-test-good", '"please CALL_TOOL:echo-test:{\\"text\\":\\"hi there\\"} now"')
    args = "".join(
        tc["function"].get("arguments", "")
        for p in sse_payloads(r)[:-1]
        for tc in p["choices"][0]["delta"].get("tool_calls", [])
    )
    assert json.loads(args) == {"text": "hi there"}


def test_tool_results_are_echoed_instead_of_calling_again(fake):
    messages = [
        {"role": "user", "content": [{"type": "text", "text": 'CALL_TOOL:echo-test:{"text":"hi"}'}]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_fake_0", "type": "function", "function": {"name": "echo-test", "arguments": '{"text":"hi"}'}}
        ]},
        {"role": "tool", "tool_call_id": "call_fake_0", "content": "echo: hi"},
    ]
    r = httpx.post(
        f"{fake.base_url}/chat/completions",
        json={"model": "m", "messages": messages, "stream": True},
        headers={"authorization": "Bearer sk-test-good"},
    )
    assert streamed_text(sse_payloads(r)) == "TOOL_RESULT:echo: hi"


def test_title_requests_get_a_short_answer_without_using_a_sequence_step(fake):
    title = {"role": "system", "content": "You are a title generator. You output ONLY a thread title."}
    body = {"model": "m", "messages": [title, {"role": "user", "content": "hi"}], "stream": True}
    r = httpx.post(f"{fake.base_url}/chat/completions", json=body, headers={"authorization": "Bearer sk-test-flaky"})
    assert streamed_text(sse_payloads(r)) == "Fake title"
    assert chat(fake, "sk-test-flaky").status_code == 429  # the sequence still starts at step 1
    assert fake.requests[0].is_title and not fake.requests[1].is_title
    assert len(fake.chat_requests()) == 1 and len(fake.chat_requests(include_title=True)) == 2


def test_unused_port_refuses_connections():
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{unused_port()}/v1/models", timeout=2)


def test_standalone_process_prints_its_url_first_and_follows_the_script(tmp_path: Path):
    script = tmp_path / "script.json"
    script.write_text(json.dumps({
        "default": {"type": "ok", "text": "scripted"},
        "keys": {"sk-test-limited": [{"type": "status", "status": 429, "headers": {"retry-after": "5"}},
                                     {"type": "ok"}]},
    }))
    log = tmp_path / "requests.jsonl"
    path = Path(__file__).resolve().parent.parent / "fake_provider.py"
    proc = subprocess.Popen(
        [sys.executable, str(path), "--port", "0", "--script", str(script), "--log", str(log)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        body = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
        ok = httpx.post(f"{url}/chat/completions", json=body, headers={"authorization": "Bearer sk-test-a"})
        assert ok.json()["choices"][0]["message"]["content"] == "scripted"
        limited = httpx.post(f"{url}/chat/completions", json=body, headers={"authorization": "Bearer sk-test-limited"})
        assert (limited.status_code, limited.headers["retry-after"]) == (429, "5")
    finally:
        proc.terminate()
        assert proc.wait(timeout=5) == 0
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [entry["headers"]["authorization"] for entry in lines] == ["Bearer sk-test-a", "Bearer sk-test-limited"]
