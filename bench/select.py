"""Benchmarks of the resilience core.

    python bench/select.py --json

prints one JSON object:

* ``select_p50_us_10`` / ``select_p50_us_1000``: median wall time of ``Engine.select`` (views,
  filter, score, record, events) with 10 and 1,000 targets of two keys each, a few of them
  cooling down or with open circuits; goal ≤ 1000 µs at 1,000 targets.
* ``classify_lines_per_s``: lines per second through the real ``o-switcher classify`` command in
  a subprocess (start-up included), over a generated input built from the corpus;
  ``classify_lines_per_cpu_s`` the same per CPU second of the child (steadier on a busy machine).
"""

from __future__ import annotations

import sys

# This file is named like the stdlib's ``select``; keep its folder off the import path so that
# ``subprocess`` (which imports ``select``) gets the real one.
if sys.path and sys.path[0] == __import__("os").path.dirname(__import__("os").path.abspath(__file__)):
    sys.path.pop(0)

import argparse
import json
import random
import resource
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from oswitcher import Classification, Engine, ErrorClass, Outcome, Request, Target  # noqa: E402
from oswitcher.config import SwitcherConfig  # noqa: E402


def bench_select(n_targets: int, *, rounds: int) -> float:
    """Median µs of one ``select`` + ``report`` pair's select part."""
    now = [0]
    rng = random.Random(7)
    engine = Engine(config=SwitcherConfig(), clock=lambda: now[0], random=rng.random)
    engine.set_targets(
        Target(
            target_id=f"target-{i:04d}",
            provider_id=f"provider-{i % 7}",
            pool=f"pool-{i % 7}",
            operator_priority=i % 5,
            keys=(f"key-{i}-a", f"key-{i}-b"),
        )
        for i in range(n_targets)
    )
    # Some realistic damage: a tenth of the keys cooling, a few circuits open.
    for i in range(0, n_targets, 10):
        engine.report(
            Outcome(
                target_id=f"target-{i:04d}",
                key_id=f"key-{i}-a",
                classification=Classification(
                    error_class=ErrorClass.RateLimited, retryable=True, retry_after_ms=10**9, rule="bench"
                ),
            )
        )
    for i in range(3, n_targets, 50):
        engine.report(
            Outcome(
                target_id=f"target-{i:04d}",
                key_id=f"key-{i}-a",
                classification=Classification(
                    error_class=ErrorClass.Overloaded, retryable=True, retry_after_ms=10**9, rule="bench"
                ),
            )
        )
    samples = []
    request = Request(request_id="bench")
    for _ in range(rounds):
        now[0] += 1
        started = time.perf_counter_ns()
        record = engine.select(request)
        samples.append((time.perf_counter_ns() - started) / 1000)
        engine.report(Outcome(target_id=record.selected.target_id, key_id=record.selected.key_id, latency_ms=900))
    return statistics.median(samples)


def bench_classify(lines: int) -> tuple[float, float]:
    """Lines per wall-clock second and per CPU second through ``o-switcher classify`` (a real subprocess)."""
    corpus = [
        json.loads(line)["input"]
        for line in (ROOT / "tests" / "corpus" / "errors.jsonl").read_text().splitlines()
        if line.strip()
    ]
    payload = "".join(json.dumps(corpus[i % len(corpus)]) + "\n" for i in range(lines)).encode()
    command = [str(Path(sys.executable).with_name("o-switcher")), "classify", "--now-ms", "0"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, input=payload, capture_output=True, check=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert result.stdout.count(b"\n") == lines
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return lines / elapsed, lines / cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--lines", type=int, default=200_000, help="lines fed to classify")
    args = parser.parse_args()
    wall, cpu = bench_classify(args.lines)
    results = {
        "select_p50_us_10": round(bench_select(10, rounds=5_000), 1),
        "select_p50_us_1000": round(bench_select(1000, rounds=300), 1),
        "classify_lines_per_s": round(wall),
        "classify_lines_per_cpu_s": round(cpu),
        "classify_measured_through": "o-switcher classify subprocess",
    }
    if args.json:
        print(json.dumps(results))
    else:
        for name, value in results.items():
            print(f"{name}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
