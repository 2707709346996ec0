"""Content-Length framing of JSON-RPC messages over an asyncio byte stream.

A frame is a header block (``Name: value`` lines ending in CRLF, then an empty line) followed by
exactly ``Content-Length`` bytes of body. This reader is what python-lsp-jsonrpc's own stream
reader is not: header names in any case and any order, and bad input reported as a
:class:`FrameError` *while the stream stays usable* (the library's reader swallows the rest of
the stream when ``Content-Length:`` is not the first header, spelled exactly).

Recovery rules, chosen so that one bad frame never takes the connection down:
- junk before a valid header block (the rest of a frame whose length was wrong) is reported,
  and the frame after it is still read;
- a header block without a valid ``Content-Length`` is dropped up to its blank line;
- a header block longer than :data:`MAX_HEADER_BYTES` is dropped up to the next blank line;
- a body longer than the limit is *skipped* (read and thrown away in chunks, never buffered),
  which keeps the stream in step with the sender.
"""

from __future__ import annotations

import asyncio

__all__ = ["MAX_BODY_BYTES", "MAX_HEADER_BYTES", "FrameError", "FrameReader", "encode_frame"]

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024
_SKIP_CHUNK = 64 * 1024
_HEADER_END = b"\r\n\r\n"


class FrameError(Exception):
    """A frame that could not be read; the stream is still positioned at the next frame."""


def encode_frame(body: bytes) -> bytes:
    """``body`` with its Content-Length header, ready to write."""
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


class FrameReader:
    """Reads one frame body at a time from an :class:`asyncio.StreamReader`."""

    __slots__ = ("_max_body", "_pending", "_reader")

    def __init__(self, reader: asyncio.StreamReader, *, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self._reader = reader
        self._max_body = max_body_bytes
        self._pending: bytes | None = None

    async def read(self) -> bytes | None:
        """The next frame's body; ``None`` at a clean end of stream.

        Raises :class:`FrameError` for a bad frame (the next call reads the following frame) and
        :class:`asyncio.IncompleteReadError` when the stream ends inside a frame.
        """
        if self._pending is not None:
            body, self._pending = self._pending, None
            return body
        try:
            header = await self._reader.readuntil(_HEADER_END)
        except asyncio.IncompleteReadError as exc:
            if exc.partial.strip():
                raise
            return None
        except asyncio.LimitOverrunError as exc:
            await self._discard_oversized_header(exc.consumed)
            raise FrameError(f"header block longer than {MAX_HEADER_BYTES} bytes") from None
        length, junk = _content_length(header)
        if length > self._max_body:
            await self._skip(length)
            raise FrameError(f"frame of {length} bytes exceeds the {self._max_body}-byte limit")
        body = await self._reader.readexactly(length)
        if junk:
            self._pending = body
            raise FrameError(f"{junk} bytes of garbage before a frame")
        return body

    async def _discard_oversized_header(self, consumed: int) -> None:
        # Drop what was scanned, then everything up to the next blank line.
        while True:
            await self._reader.readexactly(max(consumed, 1))
            try:
                await self._reader.readuntil(_HEADER_END)
                return
            except asyncio.LimitOverrunError as exc:
                consumed = exc.consumed

    async def _skip(self, length: int) -> None:
        while length > 0:
            chunk = await self._reader.read(min(length, _SKIP_CHUNK))
            if not chunk:
                raise asyncio.IncompleteReadError(b"", length)
            length -= len(chunk)


def _content_length(header: bytes) -> tuple[int, int]:
    """The frame's length, and how many bytes of junk came before its headers.

    The headers are the last ``Content-Length`` line and the ``Name: value`` lines around it;
    anything before them is junk (typically the tail of a previous frame whose Content-Length
    was too small, which may run straight into the next header without a line break).
    """
    if header.startswith(b"Content-Length: ") and header.count(b"\r\n") == 2:
        value = header[16:-4]  # the usual frame: this header alone
        if value.isdigit() and len(value) <= 12:
            return int(value), 0
    block = header[: -len(_HEADER_END)]
    at = block.lower().rfind(b"content-length:")
    if at < 0:
        raise FrameError("frame has no Content-Length header")
    value = block[at + len(b"content-length:") :].split(b"\r\n", 1)[0].strip()
    if not value.isdigit() or len(value) > 12:
        raise FrameError(f"invalid Content-Length {value[:20]!r}")
    before = block[:at].split(b"\r\n")
    junk = before.pop()  # the part of the Content-Length line before the header name
    while before and not junk and _is_header_line(before[-1]):
        before.pop()
    junk_bytes = sum(len(line) + 2 for line in before) + len(junk)
    return int(value), junk_bytes


def _is_header_line(line: bytes) -> bool:
    name, sep, _ = line.partition(b":")
    return bool(sep) and 0 < len(name) <= 64 and name.replace(b"-", b"").isalnum()
