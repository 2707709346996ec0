"""``o-switcher classify``: JSON lines in (failed attempts), JSON lines out (their classes).

Each input line is an object with any of ``status`` (int or null), ``headers`` (object),
``body``, ``message``, ``provider`` (strings) and ``error`` (an OpenCode error object). Each output
line is ``{"class", "retryable", "retry_after_ms", "rule"}``, or ``{"error": "line N: ..."}`` for a
line that is not valid input (the line itself is never echoed: it may hold a key). Blank lines are
skipped. The exit status is 1 when any line was invalid.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import IO, Any, Literal

__all__ = ["register", "classify_lines"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "classify", help="classify provider errors: JSON lines on stdin, one verdict per line on stdout"
    )
    parser.add_argument(
        "--now-ms", type=int, default=None, help="current time for HTTP-date hints (default: the real clock)"
    )
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    import time

    now_ms = args.now_ms if args.now_ms is not None else int(time.time() * 1000)
    invalid = classify_lines(sys.stdin.buffer, sys.stdout.buffer, now_ms=now_ms)
    sys.stdout.buffer.flush()
    return 1 if invalid else 0


def classify_lines(lines: Iterable[bytes], out: IO[bytes], *, now_ms: int | None) -> int:
    """Classify every line of ``lines`` into ``out``; returns how many lines were invalid."""
    import msgspec

    from oswitcher.classifier import classify
    from oswitcher.error_input import ErrorInput, from_opencode_error, lower_headers

    class _Line(msgspec.Struct, forbid_unknown_fields=True):
        status: int | None = None
        # Header values are text on the wire; numbers are accepted as their decimal text.
        headers: dict[str, str | int | float] = {}
        body: str = ""
        message: str = ""
        provider: str = ""
        error: dict[str, Any] | None = None
        phase: Literal["response", "before_response", "in_stream", "unknown"] | None = None

    class _Verdict(msgspec.Struct):
        # ``class`` is a keyword in Python, hence the rename.
        error_class: str = msgspec.field(name="class")
        retryable: bool
        retry_after_ms: int | None
        rule: str

    decoder = msgspec.json.Decoder(_Line)
    encoder = msgspec.json.Encoder()
    buffer = bytearray()
    encoded_verdicts: dict[tuple[object, ...], bytes] = {}
    invalid = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            line = decoder.decode(raw)
        except msgspec.ValidationError as exc:
            invalid += 1
            buffer += encoder.encode({"error": f"line {number}: {_describe(exc)}"}) + b"\n"
            continue
        except msgspec.DecodeError:
            # The decoder's message can quote the offending text; say only what is wrong.
            invalid += 1
            buffer += encoder.encode({"error": f"line {number}: not a JSON object"}) + b"\n"
            continue
        if line.error is not None:
            base = from_opencode_error(line.error, provider=line.provider)
            error = msgspec.structs.replace(
                base,
                status=line.status if line.status is not None else base.status,
                headers={**base.headers, **lower_headers(line.headers)},
                body=line.body or base.body,
                message=line.message or base.message,
                phase=line.phase or base.phase,
            )
        else:
            error = ErrorInput(
                status=line.status,
                headers=lower_headers(line.headers),
                body=line.body,
                message=line.message,
                provider=line.provider,
                phase=line.phase or ("response" if line.status is not None else "unknown"),
            )
        verdict = classify(error, now_ms=now_ms)
        # Verdicts repeat a lot (a handful of classes and rules): encode each one once.
        memo_key = (verdict.error_class, verdict.retry_after_ms, verdict.rule)
        encoded = encoded_verdicts.get(memo_key)
        if encoded is None:
            encoded = (
                encoder.encode(
                    _Verdict(
                        error_class=verdict.error_class.value,
                        retryable=verdict.retryable,
                        retry_after_ms=verdict.retry_after_ms,
                        rule=verdict.rule,
                    )
                )
                + b"\n"
            )
            if len(encoded_verdicts) < 4096:
                encoded_verdicts[memo_key] = encoded
        buffer += encoded
        if len(buffer) > 1 << 16:
            out.write(buffer)
            buffer.clear()
    out.write(buffer)
    return invalid


def _describe(exc: Exception) -> str:
    """msgspec's "Expected `int | null`, got `str` - at `$.status`" as "$.status: expected int or null, got str"."""
    import re

    text = str(exc)
    path = "$"
    located = re.search(r" - at `([^`]*)`$", text)
    if located:
        path = located.group(1)
        text = text[: located.start()]
    text = text.replace("`", "").replace(" | ", " or ")
    text = re.sub(r"^Expected", "expected", text)
    text = re.sub(r"^Object contains unknown field", "unknown field", text)
    return f"{path}: {text}"
