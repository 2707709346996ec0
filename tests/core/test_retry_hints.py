from __future__ import annotations

import pytest

from oswitcher.retry_hints import hint_from_headers, hint_from_text, parse_duration_ms


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("1m30s", 90_000),
        ("6m0s", 360_000),
        ("20ms", 20),
        ("59s", 59_000),
        ("0.5s", 500),
        ("9m38.016s", 578_016),
        ("2m59.56s", 179_560),
        ("30", 30_000),
        ("1h", 3_600_000),
        ("6 minutes", 360_000),
    ],
)
def test_parse_duration(text, ms):
    assert parse_duration_ms(text) == ms


@pytest.mark.parametrize("text", ["", "soon", "1x", "-5s", "1m30"])
def test_parse_duration_rejects_garbage(text):
    assert parse_duration_ms(text) is None


def test_retry_after_ms_wins_over_retry_after():
    assert hint_from_headers({"retry-after-ms": "1500", "retry-after": "30"}, now_ms=0) == 1500


def test_retry_after_seconds_and_http_date():
    assert hint_from_headers({"retry-after": "5"}, now_ms=None) == 5000
    now = 1_445_412_470_000  # 2015-10-21 07:27:50 GMT
    assert hint_from_headers({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, now_ms=now) == 10_000
    # A date needs a clock; a date in the past means "now".
    assert hint_from_headers({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, now_ms=None) is None
    assert hint_from_headers({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, now_ms=now + 60_000) == 0


def test_reset_headers_prefer_the_exhausted_limit():
    headers = {
        "x-ratelimit-remaining-requests": "59",
        "x-ratelimit-reset-requests": "1s",
        "x-ratelimit-remaining-tokens": "0",
        "x-ratelimit-reset-tokens": "6m0s",
    }
    assert hint_from_headers(headers, now_ms=0) == 360_000
    headers["x-ratelimit-remaining-tokens"] = "5"
    headers["x-ratelimit-reset-requests"] = "20ms"
    headers["x-ratelimit-reset-tokens"] = "7.66s"
    assert hint_from_headers(headers, now_ms=0) == 7_660


def test_openrouter_epoch_reset_needs_now():
    headers = {"x-ratelimit-reset": "1741305600000"}
    assert hint_from_headers(headers, now_ms=1_741_305_000_000) == 600_000
    assert hint_from_headers(headers, now_ms=None) is None


def test_no_headers_no_hint():
    assert hint_from_headers({}, now_ms=0) is None
    assert hint_from_headers({"retry-after": "soon"}, now_ms=0) is None


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("Please try again in 9m38.016s. Need more tokens?", 578_016),
        ("Please try again in 644ms.", 644),
        ("Please wait 6 minutes before retrying", 360_000),
        ("Please retry after 30 seconds.", 30_000),
        ("Please retry in 35.857226314s.", 35_857),
        ("Try again in 1 hour 2 minutes", 3_720_000),
    ],
)
def test_text_hints(text, ms):
    assert hint_from_text(text.lower()) == ms


def test_text_without_a_wait_has_no_hint():
    assert hint_from_text("rate limit reached for requests: limit 20000, used 19999") is None
