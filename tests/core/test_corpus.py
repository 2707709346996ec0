"""The classifier against real, sourced provider errors (``tests/corpus/errors.jsonl``)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from oswitcher.classifier import classify
from oswitcher.taxonomy import ErrorClass

from .corpus_input import to_error_input

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "errors.jsonl"
ENTRIES = [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]


def test_corpus_is_large_sourced_and_covers_every_class():
    assert len(ENTRIES) >= 100
    for entry in ENTRIES:
        assert entry["source"].startswith("https://"), entry
        assert entry["provider"]
        ErrorClass(entry["expected"])
    assert {ErrorClass(e["expected"]) for e in ENTRIES} == set(ErrorClass)
    providers = {e["provider"] for e in ENTRIES}
    assert {"openai", "anthropic", "google", "bedrock", "openrouter", "groq", "mistral", "deepseek"} <= providers


def test_corpus_accuracy(capsys):
    total: Counter[str] = Counter()
    right: Counter[str] = Counter()
    misses = []
    for entry in ENTRIES:
        got = classify(to_error_input(entry["input"]), now_ms=1_741_305_000_000)
        total[entry["expected"]] += 1
        if got.error_class == entry["expected"]:
            right[entry["expected"]] += 1
        else:
            misses.append((entry["source"], entry["expected"], got.error_class.value, got.rule))
    with capsys.disabled():
        print(f"\ncorpus: {sum(right.values())}/{sum(total.values())} correct")
        for name in sorted(total):
            print(f"  {name:24} {right[name]:3}/{total[name]:3}  {right[name] / total[name]:.0%}")
        for miss in misses:
            print("  MISS", *miss)
    assert sum(right.values()) / sum(total.values()) >= 0.95
    for name in total:
        assert right[name] / total[name] >= 0.90, name


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: f"{e['provider']}-{e['expected']}")
def test_every_corpus_entry_gets_a_named_rule(entry):
    got = classify(to_error_input(entry["input"]), now_ms=0)
    assert got.rule
    assert got.retry_after_ms is None or got.retry_after_ms >= 0
