"""Redaction: secret keys anywhere in nested data, secret-shaped values inside strings."""

from __future__ import annotations

import json

import pytest

from oswitcher.redaction import fingerprint, is_secret_key, redact, redact_text

# Canary secrets: shaped like real ones, obviously fake.
CANARIES = [
    "sk-test-canary0000000001",
    "sk-ant-api03-canary0000000002",
    "sk-proj-canary0000000003",
    "sk-or-v1-canary0000000004",
    "AIzaSyCanary000000000000000005",
    "gsk_canary00000000000000006",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJlY2FuYXJ5",
]


@pytest.mark.parametrize("name", ["apiKey", "api_key", "API-KEY", "key", "access", "refresh", "token",
                                  "Authorization", "x-api-key", "x-goog-api-key", "secret", "client_secret",
                                  "password", "cookie", "refreshToken", "access_token", "id_token"])
def test_secret_key_names(name):
    assert is_secret_key(name)


@pytest.mark.parametrize("name", ["max_tokens", "total_tokens", "model", "keyId", "key_fingerprint", "provider"])
def test_ordinary_key_names(name):
    assert not is_secret_key(name)


@pytest.mark.parametrize("canary", CANARIES)
def test_secret_shaped_values_inside_text(canary):
    text = f"request failed: Incorrect API key provided: {canary}. See docs."
    out = redact_text(text)
    assert canary not in out
    assert f"[redacted:{fingerprint(canary)}]" in out


def test_bearer_basic_and_url_keys():
    out = redact_text("Authorization: Bearer abcdefghijklmnop, Basic dXNlcjpwYXNzd29yZA== "
                      "https://x.googleapis.com/v1/models?key=plainkeyvalue123&alt=sse")
    assert "abcdefghijklmnop" not in out and "dXNlcjpwYXNzd29yZA" not in out and "plainkeyvalue123" not in out
    assert "Bearer [redacted:" in out and "?key=[redacted:" in out and "&alt=sse" in out


def test_nested_structures_are_redacted_by_key_and_by_shape():
    data = {
        "provider": {"options": {"apiKey": "short-but-secret", "baseURL": "http://127.0.0.1"}},
        "headers": [{"authorization": "whatever"}, {"x-api-key": "k"}],
        "auth": {"openai": {"type": "oauth", "refresh": "r-token-value", "access": CANARIES[6]}},
        "message": f"failed with {CANARIES[0]}",
        "count": 3,
    }
    out = redact(data)
    raw = json.dumps(out)
    for secret in ["short-but-secret", "whatever", "r-token-value", CANARIES[6], CANARIES[0]]:
        assert secret not in raw
    assert out["provider"]["options"]["baseURL"] == "http://127.0.0.1"
    assert out["count"] == 3


def test_same_secret_same_hash_different_secrets_differ():
    a, b = redact_text(CANARIES[0]), redact_text(CANARIES[2])
    assert a == redact_text(CANARIES[0]) and a != b
