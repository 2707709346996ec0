"""JSONC (JSON with comments and trailing commas), as OpenCode accepts it, decoded by msgspec.

``strip_jsonc`` replaces every comment and trailing comma with spaces, one space per character
(newlines inside block comments are kept), so that an offset in the stripped text is the same
offset in the original: a syntax error reported by msgspec maps back to the user's line:col.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

__all__ = ["JsoncError", "line_col", "loads", "strip_jsonc"]

# Order matters: a string is consumed whole first, so "//" or "/*" inside it is never a comment.
_TOKEN = re.compile(
    r'"(?:[^"\\]|\\.)*"'  # a complete string, escapes included
    r"|//[^\n]*"  # line comment
    r"|/\*.*?\*/"  # block comment
    r"|[,\]}]"  # the tokens trailing-comma removal cares about
    r'|[^\s"/,\]}]+'  # any other run of non-space characters
    r'|["/]',  # an unterminated string or stray slash: left for the decoder to reject
    re.DOTALL,
)
_BYTE_OFFSET = re.compile(r"\(byte (\d+)\)")


class JsoncError(ValueError):
    """A JSONC text that is not well-formed; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, *, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return f"{self.message} (line {self.line}, column {self.column})"


def _blank(text: str) -> str:
    # Keep newlines so that line numbers after a block comment do not move.
    return re.sub(r"[^\n]", " ", text)


def strip_jsonc(text: str) -> str:
    """Return ``text`` with comments and trailing commas replaced by spaces (same length)."""
    out: list[str] = []
    last = 0
    pending_comma: int | None = None  # index in ``out`` of a comma not yet followed by a value
    for match in _TOKEN.finditer(text):
        start, end = match.span()
        out.append(text[last:start])
        token = match.group()
        if token.startswith("//") or (token.startswith("/*") and len(token) >= 4):
            out.append(_blank(token))
        else:
            if token in ("]", "}") and pending_comma is not None:
                out[pending_comma] = " "
            pending_comma = None
            if token == ",":
                pending_comma = len(out)
            out.append(token)
        last = end
    out.append(text[last:])
    return "".join(out)


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of character ``offset`` in ``text``."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def loads(text: str) -> Any:
    """Decode JSONC ``text``; raises ``JsoncError`` with the original line and column.

    The message is msgspec's description of the problem, never the offending text (a config
    file can hold keys).
    """
    stripped = strip_jsonc(text)
    data = stripped.encode("utf-8")
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        reason = str(exc)
        found = _BYTE_OFFSET.search(reason)
        if found:
            byte_offset = int(found.group(1))
            offset = len(data[:byte_offset].decode("utf-8", errors="replace"))
            reason = _BYTE_OFFSET.sub("", reason).strip()
        else:
            offset = len(stripped.rstrip())
        if reason.startswith("JSON is malformed: "):
            reason = reason[len("JSON is malformed: ") :]
        line, column = line_col(text, offset)
        raise JsoncError(reason, line=line, column=column) from None
