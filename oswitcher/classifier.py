"""Classify a failed attempt into one of the ten :class:`~oswitcher.taxonomy.ErrorClass` values.

Status codes and ``type`` fields lie (a 429 may be a spent quota, a 400 a bad key or an empty
balance, a 200 stream can die), so the classifier first gathers :class:`Evidence` (see
:mod:`oswitcher.evidence`: status, structured body fields, quota ids, retry delays and prose),
then walks an ordered table of named rules (:data:`RULES`, listed in
``docs/resilience-core.md``); the first that matches decides. The table ends with explicit
fallbacks by status family, so every input gets a class and the ``rule`` field always says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from oswitcher.error_input import ErrorInput
from oswitcher.evidence import Evidence, gather_evidence
from oswitcher.prefilter import text_predicate
from oswitcher.retry_hints import hint_from_headers, hint_from_text
from oswitcher.taxonomy import RETRYABLE, ErrorClass

__all__ = ["Classification", "Evidence", "Rule", "RULES", "classify", "gather_evidence"]

#: Classes whose handling never waits (give up, or a dead key): their hints are not worth parsing.
_NO_HINT = frozenset({ErrorClass.ContextOverflow, ErrorClass.InvalidRequest, ErrorClass.AuthFailure})


class Classification(msgspec.Struct, frozen=True, kw_only=True):
    """The verdict: the class, whether waiting can help, the server's hint, and the rule used."""

    error_class: ErrorClass
    retryable: bool
    retry_after_ms: int | None
    rule: str


@dataclass(frozen=True, slots=True)
class Rule:
    """A named rule: when :meth:`matches` holds, the input is ``error_class``.

    ``statuses`` is the cheap gate (HTTP statuses the rule applies to, 0 for none; ``None`` for
    any); ``when`` the predicate over the evidence, run only past the gate.
    """

    name: str
    error_class: ErrorClass
    when: Callable[[Evidence], bool]
    statuses: frozenset[int] | None = None

    def matches(self, evidence: Evidence) -> bool:
        """Whether this rule, on its own, decides ``evidence``."""
        status = evidence.status if evidence.status is not None else 0
        return (self.statuses is None or status in self.statuses) and self.when(evidence)


def classify(error: ErrorInput, *, now_ms: int | None = None) -> Classification:
    """Classify one failed attempt. ``now_ms`` lets HTTP-date and epoch hints become durations."""
    evidence = gather_evidence(error)
    for rule in _rules_for(evidence.status if evidence.status is not None else NO_STATUS):
        if rule.when(evidence):
            return Classification(
                error_class=rule.error_class,
                retryable=rule.error_class in RETRYABLE,
                retry_after_ms=None if rule.error_class in _NO_HINT else _retry_after(error, evidence, now_ms=now_ms),
                rule=rule.name,
            )
    raise AssertionError("the rule table ends with a catch-all fallback")  # pragma: no cover


def _retry_after(error: ErrorInput, evidence: Evidence, *, now_ms: int | None) -> int | None:
    hinted = hint_from_headers(error.headers, now_ms=now_ms)
    if hinted is None:
        hinted = evidence.retry_delay_ms
    if hinted is None and error.retry_at_ms is not None and now_ms is not None:
        hinted = max(0, error.retry_at_ms - now_ms)
    if hinted is None:
        text = evidence.text
        # A prose hint needs one of these words; testing them is far cheaper than the regex.
        if "again" in text or "retry" in text or "wait" in text or "reset" in text:
            hinted = hint_from_text(text)
    return hinted


def _any_code(*names: str) -> Callable[[Evidence], bool]:
    wanted = frozenset(names)
    return lambda ev: not wanted.isdisjoint(ev.codes)


def _text(pattern: str) -> Callable[[Evidence], bool]:
    matches = text_predicate(pattern)
    return lambda ev: matches(ev.text)


_CONTEXT_TEXT = _text(
    r"context[ _-]?length|context window|maximum context|prompt is too long|input is too long"
    r"|too many input tokens|input token count.{0,40}exceeds|exceeds? the (?:model'?s? )?(?:maximum|max) "
    r"|reduce the length of the messages|request_too_large|prompt too long|maximum prompt length"
    r"|string too long|maximum number of tokens allowed"
)
_QUOTA_CODES = _any_code(
    "insufficient_quota",
    "credit_balance_exhausted",
    "organization_spend_limit_exceeded",
    "project_spend_limit_exceeded",
    "organization_usage_limit_exceeded",
    "billing_hard_limit_reached",
    "billing_error",
    "enforced_spend_limit_reached",
    "insufficient_balance",
    "payment_required",
    "billing_not_active",
)
_QUOTA_TEXT = _text(
    r"exceeded your current quota|insufficient[ _](?:balance|credits?|funds|quota)|credit balance is too low"
    r"|out of credits|purchase (?:more )?credits|spend(?:ing)? limit|usage limits?\b.{0,40}regain access"
    r"|billing (?:details|hard limit|is not active)"
    r"|daily (?:quota|limit|token limit)|monthly (?:quota|limit|token limit)"
    r"|quota (?:has been )?exceeded for quota metric .{0,80}per ?day|requires more credits|free-models-per-day"
    r"|account balance|exceeded (?:your )?(?:monthly|daily) "
)
_AUTH_CODES = _any_code(
    "invalid_api_key",
    "authentication_error",
    "invalid_authentication",
    "api_key_invalid",
    "unauthenticated",
    "unrecognizedclientexception",
    "incompletesignature",
    "invalidsignatureexception",
    "expiredtokenexception",
    "account_deactivated",
    "invalid_key",
    "api_key_expired",
    "unauthorized",
)
# Written out per subject so that every alternative starts with a literal (see prefilter.py).
_GONE = r"(?: has been| was| is)? (?:revoked|suspended|deactivated|disabled|banned)"
_AUTH_TEXT = _text(
    r"incorrect api key|invalid api[ _-]?key|api key not valid|api key (?:has )?expired|invalid x-api-key"
    r"|key"
    + _GONE
    + r"|token"
    + _GONE
    + r"|account"
    + _GONE
    + r"|organi[sz]ation"
    + _GONE
    + r"|security token included in the request is invalid|authentication fails|no auth credentials"
    r"|invalid (?:authentication|credentials|bearer token|access token)|unauthori[sz]ed|user not found"
    r"|api key is invalid|consumer .{0,60} has been suspended|api key .{0,20}(?:not found|does not exist)"
)
_PERMISSION_CODES = _any_code(
    "permission_error",
    "permission_denied",
    "accessdeniedexception",
    "unsupported_country_region_territory",
    "forbidden",
    "model_not_allowed",
)
_PERMISSION_TEXT = _text(
    r"not supported (?:in|for) your (?:country|region|location)|location is not supported|country, region"
    r"|do(?:es)? not have (?:permission|access)|don't have access|not allowed to|permission denied|forbidden"
    r"|not authorized to (?:access|use|perform)|requires? (?:a )?(?:higher|paid) (?:tier|plan)"
)
_MODEL_CODES = _any_code(
    "model_not_found",
    "not_found_error",
    "resourcenotfoundexception",
    "model_decommissioned",
    "model_not_available",
    "not_found",
    "deploymentnotfound",
)
_MODEL_TEXT = _text(
    r"model .{0,80}(?:does not exist|not found|is not found|not supported|decommissioned|deprecated|no longer)"
    r"|no endpoints found|invalid model|unknown model|model identifier is invalid|no such model"
    r"|model_not_found|is not a valid model|model .{0,40}is not available|no allowed providers are available"
)
_OVERLOADED_CODES = _any_code("overloaded_error", "overloaded", "capacity_exceeded")
_OVERLOADED_TEXT = _text(
    r"overloaded|over capacity|at capacity|capacity (?:exceeded|exhausted)|high demand|currently unavailable due to"
    r"|no capacity|model is busy|try again later.{0,20}capacity"
)
_RATE_CODES = _any_code(
    "rate_limit_exceeded",
    "rate_limit_error",
    "resource_exhausted",
    "throttlingexception",
    "too_many_requests",
    "ratelimitexceeded",
    "rate_limited",
    "tokens_exceeded",
)
_RATE_TEXT = _text(
    r"rate[ _-]?limit(?:ed|s)? (?:reached|exceeded|hit)|rate_limit_exceeded|too many requests|throttl"
    r"|requests per (?:minute|second|day)|tokens per (?:minute|day)|\brpm\b|\btpm\b|\brpd\b|\btpd\b"
    r"|too many tokens|please wait before trying again|resource has been exhausted|resource_exhausted"
    r"|quota exceeded for \S+per_minute|_per_minute_|per minute"
    r"|resource exhausted|slow down|request rate increased too quickly"
    r"|rate limit(?:ed)?\b(?!.{0,60}(?:extra usage|draw from))"
)
# Transport errors as Bun and Node render them. Refused/DNS/TLS happen before any byte: the
# target is down, not the attempt. Reset/closed/terminated mean a started exchange died.
_BEFORE_RESPONSE_TEXT = _text(
    r"econnrefused|connection refused|unable to connect|enotfound|getaddrinfo|eai_again|fetch failed"
    r"|econnaborted|etimedout|timed? ?out|ehostunreach|enetunreach|certificate|ssl|tls|socket hang up"
    r"|failed to open socket|connectionrefused|network error|dns"
)
_STREAM_CUT_TEXT = _text(
    r"\bterminated\b|econnreset|socket connection was closed unexpectedly|other side closed|premature close"
    r"|connection (?:reset|lost|closed)|aborted|stream (?:error|ended|closed|interrupted)|incomplete"
    r"|unexpected end|body (?:timeout|stream)|closed before|socket closed|http2.{0,20}(?:goaway|rst)"
)
_SERVER_CODES = _any_code(
    "api_error",
    "server_error",
    "internal",
    "internal_error",
    "internal_server_error",
    "unavailable",
    "internalserverexception",
    "serviceunavailableexception",
    "modelnotreadyexception",
    "modeltimeoutexception",
    "deadline_exceeded",
    "service_unavailable",
    "bad_gateway",
    "modelstreamerrorexception",
)
_SERVER_TEXT = _text(
    r"internal (?:server )?error|server error|service (?:is )?(?:temporarily )?unavailable|bad gateway"
    r"|gateway time-?out|upstream|temporarily unable|please try again later|try your request again"
)


def _status(ev: Evidence) -> int:
    return ev.status if ev.status is not None else 0


def _either(first: Callable[[Evidence], bool], second: Callable[[Evidence], bool]) -> Callable[[Evidence], bool]:
    return lambda ev: first(ev) or second(ev)


_ALWAYS: Callable[[Evidence], bool] = lambda ev: True  # noqa: E731
NO_STATUS = 0  # the status family of an input without an HTTP status
_4XX = frozenset(range(400, 500))
_5XX = frozenset(range(500, 600))

#: The ordered rule table. ``statuses`` (0 = no status) gates each rule before its predicate runs.
RULES: tuple[Rule, ...] = (
    # OpenCode has already decided these; its names are exact.
    Rule("opencode_context_overflow", ErrorClass.ContextOverflow, lambda ev: ev.kind == "ContextOverflowError"),
    Rule("opencode_provider_auth", ErrorClass.AuthFailure, lambda ev: ev.kind == "ProviderAuthError"),
    # The user aborted, or the answer was cut/filtered by design: neither a retry nor another
    # target helps, and an aborted request must never be failed over.
    Rule(
        "opencode_caller_side",
        ErrorClass.InvalidRequest,
        lambda ev: (
            ev.kind
            in {"MessageAbortedError", "MessageOutputLengthError", "ContentFilterError", "StructuredOutputError"}
        ),
    ),
    # Quota before everything else that a 429 or 400 could suggest: a spent quota retried loops forever.
    Rule("quota_code", ErrorClass.QuotaExhausted, _QUOTA_CODES),
    Rule("google_quota_per_day", ErrorClass.QuotaExhausted, lambda ev: any("perday" in q for q in ev.quota_ids)),
    Rule(
        "google_quota_per_minute",
        ErrorClass.RateLimited,
        lambda ev: any("perminute" in q or "persecond" in q for q in ev.quota_ids),
    ),
    Rule("status_402", ErrorClass.QuotaExhausted, _ALWAYS, statuses=frozenset({402})),
    Rule("quota_text", ErrorClass.QuotaExhausted, _QUOTA_TEXT, statuses=frozenset({0, 400, 403, 429})),
    # A 429 "Request too large ... tokens per min" is a rate limit of this key, not a context limit.
    Rule(
        "context_overflow",
        ErrorClass.ContextOverflow,
        lambda ev: "context_length_exceeded" in ev.codes or _CONTEXT_TEXT(ev),
        statuses=frozenset({0, 400, 413, 422}),
    ),
    # Flagged content is the input's fault: another key or target would refuse it too.
    Rule(
        "moderation_flagged",
        ErrorClass.InvalidRequest,
        _text(r"input was flagged|requires moderation|content management policy|content_filter"),
        statuses=frozenset({0, 400, 403}),
    ),
    Rule(
        "no_endpoints",
        ErrorClass.ModelUnavailable,
        _text(r"no endpoints found|no allowed providers are available|no available model provider"),
        statuses=frozenset({0, 400, 404, 503}),
    ),
    # Clear evidence only: a key is marked dead on these, so a vague 403 must not land here.
    Rule("auth_code", ErrorClass.AuthFailure, _AUTH_CODES, statuses=frozenset({0, 400, 401, 403})),
    Rule("status_401", ErrorClass.AuthFailure, _ALWAYS, statuses=frozenset({401})),
    Rule("auth_text", ErrorClass.AuthFailure, _AUTH_TEXT, statuses=frozenset({0, 400, 403})),
    Rule(
        "model_unavailable",
        ErrorClass.ModelUnavailable,
        _either(_MODEL_CODES, _MODEL_TEXT),
        statuses=frozenset({0, 400, 404, 422}),
    ),
    Rule(
        "permission",
        ErrorClass.PermissionFailure,
        _either(_PERMISSION_CODES, _PERMISSION_TEXT),
        statuses=frozenset({0, 400, 403}),
    ),
    Rule("status_403", ErrorClass.PermissionFailure, _ALWAYS, statuses=frozenset({403})),
    Rule(
        "overloaded",
        ErrorClass.Overloaded,
        _either(_OVERLOADED_CODES, _OVERLOADED_TEXT),
        statuses=frozenset({0, 429, 498, 500, 503, 529}),
    ),
    Rule("status_529", ErrorClass.Overloaded, _ALWAYS, statuses=frozenset({529})),
    Rule("rate_limit_code", ErrorClass.RateLimited, _RATE_CODES, statuses=frozenset({0, 400, 413, 429})),
    Rule("status_413", ErrorClass.ContextOverflow, _ALWAYS, statuses=frozenset({413})),
    Rule("model_not_ready", ErrorClass.TransientServerFailure, _any_code("modelnotreadyexception")),
    Rule("status_429", ErrorClass.RateLimited, _ALWAYS, statuses=frozenset({429})),
    Rule("slow_down_503", ErrorClass.RateLimited, lambda ev: "slow down" in ev.text, statuses=frozenset({503})),
    Rule("rate_limit_text", ErrorClass.RateLimited, _RATE_TEXT, statuses=frozenset({0})),
    Rule("transport_before_response", ErrorClass.TransientServerFailure, lambda ev: ev.phase == "before_response"),
    Rule(
        "stream_cut",
        ErrorClass.InterruptedExecution,
        lambda ev: ev.phase == "in_stream" or (ev.status is None and _STREAM_CUT_TEXT(ev)),
    ),
    Rule("transport_text", ErrorClass.TransientServerFailure, _BEFORE_RESPONSE_TEXT, statuses=frozenset({0})),
    Rule(
        "server_code",
        ErrorClass.TransientServerFailure,
        _either(_SERVER_CODES, _SERVER_TEXT),
        statuses=frozenset({0, 500, 502, 503, 504}),
    ),
    Rule(
        "status_timeout", ErrorClass.TransientServerFailure, _ALWAYS, statuses=frozenset({408, 425, 499, 520, 522, 524})
    ),
    Rule("fallback_5xx", ErrorClass.TransientServerFailure, _ALWAYS, statuses=_5XX),
    Rule("fallback_404", ErrorClass.ModelUnavailable, _ALWAYS, statuses=frozenset({404, 410})),
    Rule("fallback_4xx", ErrorClass.InvalidRequest, _ALWAYS, statuses=_4XX),
    # A 2xx/3xx that failed, or no status at all with nothing recognisable: treat as a
    # transient failure of the target, the cautious choice that still lets the request go elsewhere.
    Rule("fallback_no_status", ErrorClass.TransientServerFailure, _ALWAYS),
)

_BY_STATUS: dict[int, tuple[Rule, ...]] = {}


def _rules_for(status: int) -> tuple[Rule, ...]:
    """The rules whose status gate admits ``status``, in table order (memoised per status)."""
    rules = _BY_STATUS.get(status)
    if rules is None:
        rules = tuple(rule for rule in RULES if rule.statuses is None or status in rule.statuses)
        if len(_BY_STATUS) < 1024:  # statuses are few; the bound only guards against junk input
            _BY_STATUS[status] = rules
    return rules
