from __future__ import annotations

import json
import time

import pytest

from oswitcher.classifier import RULES, classify, gather_evidence
from oswitcher.error_input import ErrorInput, from_opencode_error, from_session_status
from oswitcher.taxonomy import ErrorClass

E = ErrorInput


def _oai(message, type_, code):
    return json.dumps({"error": {"message": message, "type": type_, "param": None, "code": code}})


#: One input per rule that must be decided by exactly that rule.
BY_RULE = {
    "opencode_context_overflow": E(kind="ContextOverflowError", message="prompt is too long"),
    "opencode_provider_auth": E(kind="ProviderAuthError", message="no key"),
    "opencode_caller_side": E(kind="MessageAbortedError", message="The operation was aborted."),
    "quota_code": E(
        status=429, body=_oai("You exceeded your current quota", "insufficient_quota", "insufficient_quota")
    ),
    "google_quota_per_day": E(
        status=429,
        body=json.dumps(
            {
                "error": {
                    "code": 429,
                    "status": "RESOURCE_EXHAUSTED_X",
                    "details": [{"violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]}],
                }
            }
        ),
    ),
    "google_quota_per_minute": E(
        status=429,
        body=json.dumps(
            {
                "error": {
                    "code": 429,
                    "details": [{"violations": [{"quotaId": "GenerateRequestsPerMinutePerProjectPerModel"}]}],
                }
            }
        ),
    ),
    "status_402": E(status=402, body="{}"),
    "quota_text": E(status=400, message="Your credit balance is too low to access the Anthropic API."),
    "context_overflow": E(status=400, message="This model's maximum context length is 8192 tokens."),
    "moderation_flagged": E(status=403, message="Your input was flagged for harassment"),
    "no_endpoints": E(status=404, message="No endpoints found for some/model."),
    "auth_code": E(status=400, body=_oai("bad key", "invalid_request_error", "invalid_api_key")),
    "status_401": E(status=401, message="Unauthorized"),
    "auth_text": E(status=403, message="This API key has been revoked."),
    "model_unavailable": E(
        status=404, body=_oai("The model `x` does not exist", "invalid_request_error", "model_not_found")
    ),
    "permission": E(status=403, message="You don't have access to the model with the specified model ID."),
    "status_403": E(status=403, message="Request blocked."),
    "overloaded": E(
        status=529, body=json.dumps({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    ),
    "status_529": E(status=529, message="nothing to see"),
    "rate_limit_code": E(status=429, body=_oai("Rate limit reached", "requests", "rate_limit_exceeded")),
    "status_413": E(status=413, message="Request Entity Too Large"),
    "model_not_ready": E(status=429, headers={"x-amzn-errortype": "ModelNotReadyException:http://internal"}, body="{}"),
    "status_429": E(status=429, message="Too Many Requests"),
    "slow_down_503": E(status=503, message="Slow Down"),
    "rate_limit_text": E(message="Too many requests, please wait before trying again."),
    "transport_before_response": E(phase="before_response", message="The socket connection was closed unexpectedly."),
    "stream_cut": E(message="terminated"),
    "transport_text": E(message="Unable to connect. Is the computer able to access the url?"),
    "server_code": E(status=500, body=_oai("The server had an error", "server_error", None)),
    "status_timeout": E(status=408, message="Request Timeout"),
    "fallback_5xx": E(status=507, message="?"),
    "fallback_404": E(status=404, message="Not Found"),
    "fallback_4xx": E(status=400, message="Bad Request"),
    "fallback_no_status": E(message="something odd happened"),
}


def test_every_rule_has_an_example():
    assert [rule.name for rule in RULES] == list(dict.fromkeys(rule.name for rule in RULES)), "rule names are unique"
    assert set(BY_RULE) == {rule.name for rule in RULES}


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_each_rule_alone(rule):
    error = BY_RULE[rule.name]
    assert rule.matches(gather_evidence(error))
    got = classify(error)
    assert got.rule == rule.name
    assert got.error_class is rule.error_class


@pytest.mark.parametrize("rule", [r for r in RULES if r.name != "fallback_no_status"], ids=lambda rule: rule.name)
def test_rules_ignore_a_harmless_success(rule):
    assert not rule.matches(gather_evidence(E(status=200, message="ok")))


def test_a_429_can_be_a_spent_quota_and_a_400_a_spent_balance():
    assert (
        classify(E(status=429, body=_oai("You exceeded your current quota", "insufficient_quota", None))).error_class
        is ErrorClass.QuotaExhausted
    )
    assert classify(E(status=400, message="Insufficient Balance")).error_class is ErrorClass.QuotaExhausted


def test_informational_usage_text_is_not_a_rate_limit():
    got = classify(E(message="You're close to your limit; you can draw from your extra usage."))
    assert got.error_class is not ErrorClass.RateLimited


def test_a_vague_403_does_not_kill_a_key():
    assert classify(E(status=403, message="Forbidden")).error_class is ErrorClass.PermissionFailure
    assert classify(E(status=403, message="Your account has been suspended")).error_class is ErrorClass.AuthFailure


def test_a_refused_connection_is_transient_and_a_cut_stream_is_interrupted():
    assert classify(E(message="connect ECONNREFUSED 127.0.0.1:1")).error_class is ErrorClass.TransientServerFailure
    assert classify(E(message="socket hang up")).error_class is ErrorClass.TransientServerFailure
    assert classify(E(status=200, phase="in_stream", message="")).error_class is ErrorClass.InterruptedExecution


def test_retryable_follows_the_class():
    assert classify(E(status=429, message="Too Many Requests")).retryable
    assert not classify(E(status=401)).retryable
    assert not classify(E(status=400, message="maximum context length is 10 tokens")).retryable


def test_retry_after_comes_from_headers_body_and_text():
    assert classify(E(status=429, headers={"retry-after": "7"})).retry_after_ms == 7000
    body = json.dumps(
        {
            "error": {
                "code": 429,
                "status": "RESOURCE_EXHAUSTED",
                "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "59s"}],
            }
        }
    )
    assert classify(E(status=429, body=body)).retry_after_ms == 59_000
    assert classify(E(status=429, message="Please try again in 9m38.016s.")).retry_after_ms == 578_016
    assert classify(E(status=500)).retry_after_ms is None


def test_embedded_status_in_a_message_is_used():
    message = (
        'API Error: {"error":{"code":503,"message":"The model is overloaded. Please try again later.",'
        '"status":"UNAVAILABLE"}}'
    )
    assert classify(E(message=message)).error_class is ErrorClass.Overloaded


def test_opencode_error_object_conversion():
    error = from_opencode_error(
        {
            "name": "APIError",
            "data": {
                "message": "Too Many Requests",
                "statusCode": 429,
                "isRetryable": True,
                "responseHeaders": {"Retry-After": "12"},
                "responseBody": '{"error":{"message":"slow","type":"requests","code":"rate_limit_exceeded"}}',
                "metadata": {"url": "https://api.example/v1/chat/completions"},
            },
        }
    )
    assert error.status == 429 and error.headers == {"retry-after": "12"} and error.phase == "response"
    got = classify(error)
    assert (got.error_class, got.retry_after_ms) == (ErrorClass.RateLimited, 12_000)
    auth = from_opencode_error({"name": "ProviderAuthError", "data": {"providerID": "openai", "message": "x"}})
    assert auth.provider == "openai" and classify(auth).error_class is ErrorClass.AuthFailure
    no_status = from_opencode_error(
        {"name": "APIError", "data": {"message": "Unable to connect.", "isRetryable": True}}
    )
    assert no_status.status is None and no_status.phase == "unknown"


def test_session_status_retry_uses_next_as_hint():
    error = from_session_status({"type": "retry", "attempt": 1, "message": "Too Many Requests", "next": 5_000})
    got = classify(error, now_ms=2_000)
    assert got.error_class is ErrorClass.RateLimited
    assert got.retry_after_ms == 3_000


def test_a_huge_html_page_is_cheap():
    page = "<html>" + "x" * 2_000_000 + "</html>"
    started = time.perf_counter()
    got = classify(E(status=502, body=page))
    assert time.perf_counter() - started < 0.05
    assert got.error_class is ErrorClass.TransientServerFailure


def test_classification_is_fast_enough_for_the_cli():
    error = E(
        status=429,
        headers={"retry-after": "3"},
        body=_oai("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
    )
    started = time.perf_counter()
    for _ in range(2000):
        classify(error)
    assert (time.perf_counter() - started) / 2000 < 200e-6
