"""Literal prefilters for the classifier's text patterns.

A pattern such as ``overloaded|over capacity|at capacity`` can only match where one of its
alternatives' leading literals occurs. Testing those literals with ``in`` (a fast substring scan
in C) first skips the regular expression for the many texts that contain none of them; the
regular expression still decides. :func:`literal_triggers` returns ``None`` when some
alternative has no literal prefix to test, and the pattern is then always run.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["literal_triggers", "text_predicate"]

_META = frozenset(".^$*+?{}[]\\|()")
#: Escapes that stand for themselves.
_LITERAL_ESCAPES = frozenset(" -_.'\"/:")
_MIN_TRIGGER = 2


def literal_triggers(pattern: str) -> tuple[str, ...] | None:
    """The leading literal of each top-level alternative, or ``None`` if one has none."""
    triggers = []
    for alternative in _split_alternatives(pattern):
        if alternative.startswith(r"\b"):
            alternative = alternative[2:]
        literal: list[str] = []
        i = 0
        while i < len(alternative):
            char = alternative[i]
            if char == "\\" and i + 1 < len(alternative) and alternative[i + 1] in _LITERAL_ESCAPES:
                literal.append(alternative[i + 1])
                i += 2
                continue
            if char in _META:
                break
            literal.append(char)
            i += 1
        if i < len(alternative) and alternative[i] in "?*{" and literal:
            literal.pop()  # the last character is optional (or repeated zero times)
        if len(literal) < _MIN_TRIGGER:
            return None
        triggers.append("".join(literal))
    return tuple(triggers)


def text_predicate(pattern: str) -> Callable[[str], bool]:
    """``text -> bool``: whether ``pattern`` matches, with the literal prefilter in front."""
    compiled = re.compile(pattern)
    triggers = literal_triggers(pattern)
    if triggers is None:
        return lambda text: compiled.search(text) is not None

    def matches(text: str) -> bool:
        for trigger in triggers:
            if trigger in text:
                return compiled.search(text) is not None
        return False

    return matches


def _split_alternatives(pattern: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    in_class = False
    start = 0
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts
