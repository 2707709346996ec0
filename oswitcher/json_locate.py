"""Find where a value sits in a JSONC text, given its path (``$.switcher.retry``).

Used to put ``file:line:col`` on config errors. The walker is tolerant: it never raises, and
answers ``None`` when the path is not in the text (for instance a value that came from a
substitution). Keys are compared after JSON-unescaping; the last duplicate key wins, as in
decoding.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import msgspec

from oswitcher.jsonc import line_col, strip_jsonc

__all__ = ["PathSegment", "locate", "locate_line_col", "parse_path"]

PathSegment = str | int

_WS = re.compile(r"\s*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(r'[^\s,\]}:"]+')
_PATH_PART = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")


def parse_path(path: str) -> list[PathSegment]:
    """``$.a.b[2].c`` → ``["a", "b", 2, "c"]``."""
    body = path[1:] if path.startswith("$") else path
    return [int(idx) if idx else key for key, idx in _PATH_PART.findall(body)]


class _Walker:
    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)

    def ws(self, pos: int) -> int:
        return _WS.match(self.text, pos).end()

    def skip_value(self, pos: int) -> int:
        pos = self.ws(pos)
        if pos >= self.n:
            return pos
        ch = self.text[pos]
        if ch == '"':
            m = _STRING.match(self.text, pos)
            return m.end() if m else self.n
        if ch in "{[":
            close = "}" if ch == "{" else "]"
            pos += 1
            while True:
                pos = self.ws(pos)
                if pos >= self.n:
                    return pos
                if self.text[pos] == close:
                    return pos + 1
                if self.text[pos] in ",:":
                    pos += 1
                    continue
                new = self.skip_value(pos)
                if new == pos:  # an unexpected character: step over it rather than loop
                    new = pos + 1
                pos = new
        m = _SCALAR.match(self.text, pos)
        return m.end() if m else pos + 1

    def find_key(self, pos: int, key: str) -> int | None:
        """Start of the value of ``key`` in the object starting at ``pos`` (last one wins)."""
        found = None
        pos += 1
        while True:
            pos = self.ws(pos)
            if pos >= self.n or self.text[pos] == "}":
                return found
            if self.text[pos] == ",":
                pos += 1
                continue
            m = _STRING.match(self.text, pos)
            if not m:
                return found
            try:
                name = msgspec.json.decode(m.group().encode())
            except msgspec.DecodeError:
                name = None
            pos = self.ws(m.end())
            if pos < self.n and self.text[pos] == ":":
                pos = self.ws(pos + 1)
            if name == key:
                found = pos
            pos = self.skip_value(pos)

    def find_index(self, pos: int, index: int) -> int | None:
        pos += 1
        current = 0
        while True:
            pos = self.ws(pos)
            if pos >= self.n or self.text[pos] == "]":
                return None
            if self.text[pos] == ",":
                pos += 1
                continue
            if current == index:
                return pos
            pos = self.skip_value(pos)
            current += 1


def locate(text: str, path: Sequence[PathSegment]) -> int | None:
    """Character offset of the value at ``path`` in JSONC ``text``, or ``None``.

    When only a prefix of the path exists (an unknown key's parent, a missing key), the offset
    of the deepest existing value is returned: the nearest place worth showing the user.
    """
    walker = _Walker(strip_jsonc(text))
    pos = walker.ws(0)
    if pos >= walker.n:
        return None
    for segment in path:
        ch = walker.text[pos] if pos < walker.n else ""
        if isinstance(segment, int) and ch == "[":
            nxt = walker.find_index(pos, segment)
        elif isinstance(segment, str) and ch == "{":
            nxt = walker.find_key(pos, segment)
        else:
            nxt = None
        if nxt is None:
            return pos
        pos = nxt
    return pos


def locate_line_col(text: str, path: Sequence[PathSegment]) -> tuple[int, int] | None:
    """``locate`` as a 1-based (line, column), or ``None``."""
    offset = locate(text, path)
    return None if offset is None else line_col(text, offset)
