"""JSONC (JSON with comments and trailing commas), as OpenCode accepts it, decoded by msgspec.

``strip_jsonc`` replaces every comment and trailing comma with spaces, one space per character
(newlines inside block comments are kept), so that an offset in the stripped text is the same
offset in the original: a syntax error reported by msgspec maps back to the user's line:col.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

import msgspec

__all__ = ["JsoncError", "line_col", "loads", "strip_jsonc"]

# A string is consumed whole first, so "//" or "/*" inside it is never taken for a comment.
# A lone '"' (unterminated string) or '/' is matched so the scan moves on; the decoder rejects it.
_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\]|\\.)*"|//[^\n]*|/\*.*?\*/|["/]', re.DOTALL)
_TRAILING_COMMA = re.compile(r",(?=\s*[\]}])")
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
    strings: list[tuple[int, int]] = []
    last = 0
    for match in _STRING_OR_COMMENT.finditer(text):
        token = match.group()
        if token[0] == '"':
            strings.append(match.span())
        elif token.startswith("//") or (token.startswith("/*") and len(token) >= 4):
            out.append(text[last : match.start()])
            out.append(_blank(token))
            last = match.end()
    out.append(text[last:])
    blanked = "".join(out)
    # Trailing commas are rare: find candidates, keep those outside strings.
    commas = [m.start() for m in _TRAILING_COMMA.finditer(blanked)]
    if not commas:
        return blanked
    starts = [start for start, _end in strings]
    chars = list(blanked)
    for pos in commas:
        i = bisect.bisect_right(starts, pos) - 1
        if i < 0 or pos >= strings[i][1]:
            chars[pos] = " "
    return "".join(chars)


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
