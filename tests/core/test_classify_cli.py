"""``o-switcher classify`` run for real, in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "errors.jsonl"
# The installed console script (``pip install -e .`` puts it beside the interpreter).
COMMAND = [str(Path(sys.executable).with_name("o-switcher"))]


def _run(stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, "classify", "--now-ms", "1741305000000"],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_one_verdict_per_line_and_blank_lines_skipped():
    lines = [
        {"status": 429, "headers": {"Retry-After": "5"}, "body": '{"error":{"type":"rate_limit_error"}}'},
        {},
        {"message": "terminated", "status": None, "headers": {"retry-after": 3}},
        {"error": {"name": "ContextOverflowError", "data": {"message": "prompt is too long"}}},
    ]
    stdin = (
        "\n".join(json.dumps(line) for line in lines[:2])
        + "\n\n   \n"
        + "\n".join(json.dumps(line) for line in lines[2:])
        + "\n"
    )
    result = _run(stdin)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert out[0] == {"class": "RateLimited", "retryable": True, "retry_after_ms": 5000, "rule": "rate_limit_code"}
    assert out[1]["class"] == "TransientServerFailure" and out[1]["rule"] == "fallback_no_status"
    assert out[2]["class"] == "InterruptedExecution" and out[2]["retry_after_ms"] == 3000
    assert out[3] == {
        "class": "ContextOverflow",
        "retryable": False,
        "retry_after_ms": None,
        "rule": "opencode_context_overflow",
    }
    assert len(out) == 4


def test_invalid_lines_are_reported_without_echoing_them_and_the_rest_go_on():
    secret = "sk-test-aaaabbbbcccc"
    stdin = "\n".join(
        [
            json.dumps({"status": 500}),
            json.dumps({"status": "429", "message": secret}),
            "not json " + secret,
            json.dumps({"status": 401, "apikey": secret}),
            json.dumps([1, 2]),
            json.dumps({"status": 503, "message": "Slow Down"}),
        ]
    )
    result = _run(stdin + "\n")
    assert result.returncode == 1
    assert secret not in result.stdout and secret not in result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert out[0]["class"] == "TransientServerFailure"
    assert out[1] == {"error": "line 2: $.status: expected int or null, got str"}
    assert out[2]["error"].startswith("line 3: ")
    assert out[3]["error"].startswith("line 4: ") and "apikey" in out[3]["error"]
    assert out[4] == {"error": "line 5: $: expected object, got array"}
    assert out[5]["class"] == "RateLimited"


def test_the_corpus_through_the_command_matches_the_library():
    entries = [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]
    result = _run("\n".join(json.dumps(entry["input"]) for entry in entries) + "\n")
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    right = sum(1 for entry, verdict in zip(entries, out, strict=True) if verdict["class"] == entry["expected"])
    assert len(out) == len(entries)
    assert right / len(entries) >= 0.95


def test_the_command_is_listed_in_help():
    result = subprocess.run([*COMMAND, "--help"], capture_output=True, text=True, timeout=30)
    assert "classify" in result.stdout
