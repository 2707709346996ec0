"""Content-Length framing: split and joined frames, bad headers, huge lengths."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.framing import FrameError, FrameReader, encode_frame


async def read_all(data: bytes, *, chunks: list[int] | None = None, max_body: int = 1 << 20) -> list[object]:
    """Every frame (or FrameError) read from ``data``, fed in the given chunk sizes."""
    reader = asyncio.StreamReader(limit=1024)
    frames = FrameReader(reader, max_body_bytes=max_body)
    pos = 0
    for size in chunks or []:
        reader.feed_data(data[pos : pos + size])
        pos += size
    reader.feed_data(data[pos:])
    reader.feed_eof()
    out: list[object] = []
    while True:
        try:
            body = await frames.read()
        except FrameError as exc:
            out.append(exc)
            continue
        except asyncio.IncompleteReadError:
            out.append("incomplete")
            break
        if body is None:
            break
        out.append(body)
    return out


async def test_joined_frames_are_separated():
    data = encode_frame(b'{"a":1}') + encode_frame(b"[]") + encode_frame(b"")
    assert await read_all(data) == [b'{"a":1}', b"[]", b""]


@settings(max_examples=200, deadline=None)
@given(
    bodies=st.lists(st.binary(max_size=300), min_size=1, max_size=6),
    cuts=st.lists(st.integers(min_value=1, max_value=40), max_size=30),
)
async def test_frames_split_anywhere_arrive_whole(bodies, cuts):
    data = b"".join(encode_frame(b) for b in bodies)
    assert await read_all(data, chunks=cuts) == bodies


async def test_header_names_in_any_case_and_order():
    data = b"Content-Type: application/json\r\ncontent-LENGTH:  2\r\n\r\n{}"
    assert await read_all(data) == [b"{}"]


async def test_missing_content_length_is_reported_and_the_next_frame_still_read():
    data = b"Content-Type: x\r\n\r\n" + encode_frame(b"ok")
    out = await read_all(data)
    assert isinstance(out[0], FrameError) and "no Content-Length" in str(out[0])
    assert out[1:] == [b"ok"]


@pytest.mark.parametrize("value", [b"-1", b"abc", b"1e3", b"9" * 13, b""])
async def test_invalid_content_length_values(value):
    out = await read_all(b"Content-Length: " + value + b"\r\n\r\n" + encode_frame(b"next"))
    assert isinstance(out[0], FrameError)
    assert out[-1] == b"next"


async def test_garbage_before_a_frame_is_reported_and_the_frame_kept():
    # A sender whose Content-Length was too small leaves the tail of its body on the wire.
    data = b"Content-Length: 5\r\n\r\n" + b'{"x":1}' + encode_frame(b"kept") + encode_frame(b"after")
    out = await read_all(data)
    assert out[0] == b'{"x":1'[:5]
    assert isinstance(out[1], FrameError) and "garbage" in str(out[1])
    assert out[2:] == [b"kept", b"after"]


async def test_huge_length_is_skipped_without_buffering_and_the_stream_stays_in_step():
    big = b"x" * 50_000
    data = encode_frame(big) + encode_frame(b"small")
    out = await read_all(data, max_body=1000)
    assert isinstance(out[0], FrameError) and "exceeds" in str(out[0])
    assert out[1:] == [b"small"]


async def test_oversized_header_block_is_dropped():
    data = b"X-Junk: " + b"a" * 5000 + b"\r\n\r\n" + encode_frame(b"fine")
    out = await read_all(data)
    assert isinstance(out[0], FrameError) and "header block" in str(out[0])
    assert out[1:] == [b"fine"]


async def test_stream_ending_inside_a_body_is_incomplete_not_a_hang():
    assert await read_all(b"Content-Length: 10\r\n\r\nabc") == ["incomplete"]


async def test_clean_eof_between_frames():
    assert await read_all(encode_frame(b"1") + b"\r\n") == [b"1"]
