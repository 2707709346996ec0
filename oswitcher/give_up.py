"""The error O-Switcher hands OpenCode when it stops a request, worded so OpenCode stops too.

OpenCode 1.18.33 retries (up to 5 times, waiting as long as the server said) any error whose
message or body contains one of its retry phrases, or the digits ``429``, ``500``, ``502``,
``503``, ``504``, ``524`` anywhere (``opencode-facts.md``, "Which errors OpenCode retries"). A
give-up message that said "rate limited" would make a run wait out OpenCode's retries after
O-Switcher had decided to stop. So the message is built from plain words that avoid every
phrase, and checked against them; a message that still matches (a target id with ``500`` in it)
falls back to a generic one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import msgspec

from oswitcher.breaker import Open
from oswitcher.budgets import Attempt
from oswitcher.engine import Engine
from oswitcher.taxonomy import ErrorClass

__all__ = ["GIVE_UP_STATUS", "OutTarget", "give_up_body", "give_up_message", "opencode_would_retry", "out_targets"]

#: A plain client error: not retryable for the AI SDK, and not a context overflow for OpenCode.
GIVE_UP_STATUS = 400

_RETRY_PHRASES = (
    "rate limit", "rate_limit", "too many requests", "rate increased too quickly", "overloaded",
    "service unavailable", "internal error", "internal server error", "server error",
    "provider returned error", "terminated", "fetch failed", "connection refused", "connection lost",
    "connection error", "connection reset", "socket hang up", "econnreset", "etimedout", "econnrefused",
    "getaddrinfo", "timed out", "timeout", "try your request again", "retry your request",
    "resource exhausted", "resource_exhausted", "try again later", "try again in", "currently at capacity",
    "temporarily at capacity", "unavailable", "network",
)
_RETRY_DIGITS = re.compile(r"429|500|502|503|504|524")

# How each class reads in the message: words chosen to avoid every phrase above.
_REASON = {
    ErrorClass.RateLimited: "throttled by the provider",
    ErrorClass.QuotaExhausted: "its quota or credit is used up",
    ErrorClass.Overloaded: "the provider is at full load",
    ErrorClass.TransientServerFailure: "the provider is failing",
    ErrorClass.InterruptedExecution: "answers were cut off",
    ErrorClass.AuthFailure: "the key was rejected",
    ErrorClass.PermissionFailure: "the key may not use this model",
    ErrorClass.ModelUnavailable: "the model is not served there",
}


def opencode_would_retry(text: str) -> bool:
    """Whether OpenCode 1.18.33 would retry an error with this message or body."""
    lowered = text.lower()
    return bool(_RETRY_DIGITS.search(text)) or any(phrase in lowered for phrase in _RETRY_PHRASES)


class OutTarget(msgspec.Struct, frozen=True, kw_only=True):
    """A target (or one of its keys) that cannot take the request now, and until when."""

    name: str
    error_class: ErrorClass | None = None
    back_at_ms: int | None = None
    dead: bool = False


def out_targets(
    engine: Engine,
    target_ids: frozenset[str],
    *,
    labels: Mapping[str, str],
    history: Sequence[Attempt],
    now_ms: int,
) -> list[OutTarget]:
    """Each key of each of ``target_ids``, why it cannot serve now, and until when."""
    dead = engine.dead_keys()
    out: list[OutTarget] = []
    for target in engine.targets:
        if target.target_id not in target_ids:
            continue
        target_cd = engine.cooldown(target_id=target.target_id)
        circuit = engine.circuit(target.target_id)
        blocked_until = target_cd.until_ms if target_cd else None
        if isinstance(circuit, Open):
            blocked_until = max(blocked_until or 0, circuit.opened_at_ms + circuit.open_for_ms)
        for key_id in target.keys or ("",):
            name = f"{target.target_id} ({labels.get(key_id, key_id[:8])})" if key_id else target.target_id
            if key_id in dead:
                out.append(OutTarget(name=name, error_class=ErrorClass.AuthFailure, dead=True))
                continue
            key_cds = [cd for cd in (engine.cooldown(key_id=key_id),
                                     engine.cooldown(target_id=target.target_id, key_id=key_id)) if cd]
            ends = [cd.until_ms for cd in key_cds] + ([blocked_until] if blocked_until else [])
            until = max(ends, default=None)
            if target_cd:
                error_class: ErrorClass | None = target_cd.error_class
            elif key_cds:
                error_class = max(key_cds, key=lambda cd: cd.until_ms).error_class
            else:  # out for a reason that left no cooldown: what this request saw there
                error_class = next((a.error_class for a in reversed(history)
                                    if (a.target_id, a.key_id) == (target.target_id, key_id)), None)
            out.append(OutTarget(name=name, error_class=error_class, back_at_ms=until if until and until > now_ms else None))
    return out


def _clock_time(ms: int) -> str:
    # Plain arithmetic on epoch milliseconds: the core does not use the time module.
    minutes = ms // 60_000 % (24 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d} UTC"


def _in(ms: int) -> str:
    seconds = max(1, round(ms / 1000))
    if seconds < 120:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 120 else f"{round(minutes / 60)} h"


def _describe(out: OutTarget, now_ms: int) -> str:
    reason = _REASON.get(out.error_class, "not usable") if out.error_class else "not usable"
    if out.dead:
        return f"{out.name}: {reason}; fix or replace the key, then run `o-switcher reset`"
    if out.back_at_ms is not None and out.back_at_ms > now_ms:
        return f"{out.name}: {reason}, usable again at {_clock_time(out.back_at_ms)} (in {_in(out.back_at_ms - now_ms)})"
    return f"{out.name}: {reason}"


def give_up_message(out: list[OutTarget], *, now_ms: int, max_wait_ms: int, model: str | None) -> str:
    """Plain words for the user: which targets are out, why, and when the earliest comes back."""
    lines = [f"O-Switcher stopped this request: no provider or key can serve {model or 'it'} now."]
    lines += [f"- {_describe(o, now_ms)}" for o in out]
    returning = [o.back_at_ms for o in out if o.back_at_ms is not None and o.back_at_ms > now_ms and not o.dead]
    if returning:
        earliest = min(returning)
        lines.append(
            f"The earliest is back at {_clock_time(earliest)} (in {_in(earliest - now_ms)}), longer than the"
            f" {_in(max_wait_ms)} this run may wait (switcher.max_wait_ms). Send the prompt again then,"
            " or add another key with `opencode auth login`."
        )
    message = "\n".join(lines)
    if opencode_would_retry(message):
        message = (
            "O-Switcher stopped this request: no provider or key can serve it now."
            " Run `o-switcher status` to see which are out and until when."
        )
    return message


def give_up_body(message: str) -> bytes:
    """An OpenAI-style error body that the AI SDK reads ``message`` from."""
    return msgspec.json.encode({"error": {"message": message, "type": "o_switcher_gave_up", "code": "o_switcher_gave_up"}})
