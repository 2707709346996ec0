"""Dispatch through python-lsp-jsonrpc's Endpoint, and one regression test per library defect
(python-stack.md lists six; bridge/rpc.py guards each)."""

from __future__ import annotations

import asyncio
import json

import msgspec
import pytest

from bridge.rpc import Method
from tests.bridge.conftest import Peer, frame


class Echo(msgspec.Struct, rename="camel"):
    text_value: str
    times: int = 1


def echo(p: Echo) -> dict:
    return {"echo": p.text_value * p.times}


async def slow(p: Echo) -> dict:
    await asyncio.sleep(10)
    return {"never": True}


async def quick(p: Echo) -> dict:
    await asyncio.sleep(0)
    return {"async": p.text_value}


def returns_envelope_keys(p: Echo) -> dict:
    return {"result": "inner", "error": "not an error"}


def unserialisable(p: Echo) -> object:
    return {"x": object()}


async def async_unserialisable(p: Echo) -> object:
    return {"x": {1, 2}.__iter__()}


def crashes(p: Echo) -> None:
    raise RuntimeError("boom with sk-test-secretsecret123 inside")


METHODS = {
    "echo": Method(Echo, echo),
    "slow": Method(Echo, slow),
    "quick": Method(Echo, quick),
    "envelope": Method(Echo, returns_envelope_keys),
    "unserialisable": Method(Echo, unserialisable),
    "async_unserialisable": Method(Echo, async_unserialisable),
    "crash": Method(Echo, crashes),
    "noparams": Method(None, lambda: "pong"),
}


def request(msg_id, method, params=None):
    message = {"jsonrpc": "2.0", "id": msg_id, "method": method}
    if params is not None:
        message["params"] = params
    return frame(message)


async def test_request_round_trip_with_typed_params():
    replies = await Peer(METHODS).exchange(request(1, "echo", {"textValue": "ab", "times": 2}))
    assert replies == [{"jsonrpc": "2.0", "id": 1, "result": {"echo": "abab"}}]


async def test_method_without_params():
    assert (await Peer(METHODS).exchange(request(7, "noparams")))[0]["result"] == "pong"


async def test_defect_1_cancel_of_a_pending_request_gets_a_reply():
    peer = Peer(METHODS)
    data = request(1, "slow", {"textValue": "x"}) + frame({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 1}})
    replies = await peer.exchange(data, replies=1)
    assert replies[0]["id"] == 1
    assert replies[0]["error"]["code"] == -32800


async def test_defect_2_async_handler_replies():
    replies = await Peer(METHODS).exchange(request(2, "quick", {"textValue": "hi"}), replies=1)
    assert replies == [{"jsonrpc": "2.0", "id": 2, "result": {"async": "hi"}}]


@pytest.mark.parametrize("method", ["unserialisable", "async_unserialisable"])
async def test_defect_2_unserialisable_result_gets_an_internal_error_reply(method):
    replies = await Peer(METHODS).exchange(request(3, method, {"textValue": "x"}), replies=1)
    assert replies[0]["id"] == 3
    assert replies[0]["error"]["code"] == -32603


async def test_defect_3_result_with_envelope_keys_is_not_merged():
    replies = await Peer(METHODS).exchange(request(4, "envelope", {"textValue": "x"}))
    assert replies == [{"jsonrpc": "2.0", "id": 4, "result": {"result": "inner", "error": "not an error"}}]


async def test_defect_4_internal_error_has_the_right_code_and_no_traceback_or_secret():
    replies = await Peer(METHODS).exchange(request(5, "crash", {"textValue": "x"}))
    error = replies[0]["error"]
    assert error["code"] == -32603
    assert "data" not in error
    raw = json.dumps(replies)
    assert "sk-test-secretsecret123" not in raw and "Traceback" not in raw and "boom" not in raw


async def test_defect_5_lowercase_content_length_after_another_header_is_read():
    body = json.dumps({"jsonrpc": "2.0", "id": 6, "method": "noparams"}).encode()
    data = b"Content-Type: application/vscode-jsonrpc\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    assert (await Peer(METHODS).exchange(data))[0] == {"jsonrpc": "2.0", "id": 6, "result": "pong"}


async def test_defect_6_array_params_are_invalid_params_not_a_crash():
    replies = await Peer(METHODS).exchange(request(8, "echo", ["a", 2]) + request(9, "noparams"))
    assert replies[0]["id"] == 8 and replies[0]["error"]["code"] == -32602
    assert replies[1]["result"] == "pong"


async def test_wrong_param_types_name_the_path():
    replies = await Peer(METHODS).exchange(request(10, "echo", {"textValue": 3}))
    assert replies[0]["error"]["code"] == -32602
    assert "$.textValue" in replies[0]["error"]["message"]


async def test_unknown_method():
    replies = await Peer(METHODS).exchange(request(11, "nope"))
    assert replies[0]["error"]["code"] == -32601


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"{not json", -32700),
        (b"[]", -32600),
        (b"42", -32600),
        (b'{"id": 1, "method": "echo"}', -32600),
        (b'{"jsonrpc": "2.0", "id": 1, "method": 5}', -32600),
        (b'{"jsonrpc": "2.0", "id": [1], "method": "echo"}', -32600),
    ],
)
async def test_bad_messages_get_the_right_error_and_serving_continues(payload, code):
    replies = await Peer(METHODS).exchange(frame(payload) + request(12, "noparams"))
    assert replies[0]["error"]["code"] == code
    assert replies[-1] == {"jsonrpc": "2.0", "id": 12, "result": "pong"}


async def test_notifications_get_no_reply_even_when_invalid():
    seen = []
    methods = {**METHODS, "note": Method(Echo, lambda p: seen.append(p.text_value), notification=True)}
    data = (
        frame({"jsonrpc": "2.0", "method": "note", "params": {"textValue": "a"}})
        + frame({"jsonrpc": "2.0", "method": "note", "params": {"textValue": 1}})
        + frame({"jsonrpc": "2.0", "method": "unknown-note"})
        + request(13, "noparams")
    )
    replies = await Peer(methods).exchange(data)
    assert seen == ["a"]
    assert replies == [{"jsonrpc": "2.0", "id": 13, "result": "pong"}]


async def test_bad_frame_is_answered_and_serving_continues():
    replies = await Peer(METHODS).exchange(b"Content-Length: zz\r\n\r\n" + request(14, "noparams"))
    assert replies[0]["error"]["code"] == -32600
    assert replies[1]["result"] == "pong"


async def test_pending_handlers_are_cancelled_when_the_stream_ends():
    peer = Peer(METHODS)
    await peer.exchange(request(15, "slow", {"textValue": "x"}))
    await asyncio.sleep(0)
    assert not peer._tasks
