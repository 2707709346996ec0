"""Recovery from a 429 with the real OpenCode: O-Switcher against OpenCode alone.

    python bench/recovery.py [--json] [--runs 3]

Three scenarios, each a fresh sandbox running ``opencode run`` headless against the fake
provider (tests/fake_provider.py):

- ``baseline_s``: one key, no failure, with O-Switcher;
- ``failover_s``: two keys of one service, the first answering 429 with ``Retry-After: 30``,
  with O-Switcher;
- ``vanilla_s``: the same two keys and the same 429, OpenCode alone (no plugin); stopped at
  ``--cap`` seconds (60) if it has not finished.

Medians over ``--runs`` runs; goal: ``failover_s − baseline_s ≤ 1 s``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as `python bench/recovery.py`, this folder is first on sys.path and bench/select.py would shadow
# the standard library's `select` (imported by subprocess and asyncio): the repository root
# takes its place.
sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import json
import statistics
import tempfile

REPO = Path(__file__).resolve().parents[1]

from tests.e2e.harness import OpenCodeSandbox, pooled_provider_config  # noqa: E402
from tests.e2e.opencode_bin import ensure_opencode  # noqa: E402
from tests.e2e.shim import installed_shim  # noqa: E402
from tests.fake_provider import FakeProvider, Ok, rate_limited  # noqa: E402


def one_run(binary: Path, config: dict, *, plugin: bool, cap: float) -> float:
    with FakeProvider() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.set_behaviour("sk-test-limited", rate_limited(retry_after=30))
        fake.set_behaviour("sk-test-good", Ok("done"))
        box = OpenCodeSandbox(binary=binary, root=Path(tmp))
        box.write_config(json.loads(json.dumps(config).replace("BASE_URL", fake.base_url)))
        if plugin:
            for name, source in installed_shim().items():
                box.add_plugin(name, source)
        result = box.run("hello", timeout=cap)
        if result.timed_out:
            return cap
        if result.returncode != 0:
            raise SystemExit(f"run failed:\n{result.explain()}")
        return result.duration_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cap", type=float, default=60.0)
    args = parser.parse_args()
    binary = ensure_opencode()
    one_key = pooled_provider_config("BASE_URL", {"fake": "sk-test-good"})
    two_keys = pooled_provider_config("BASE_URL", {"fake": "sk-test-limited", "fake2": "sk-test-good"})
    baseline = [one_run(binary, one_key, plugin=True, cap=args.cap) for _ in range(args.runs)]
    failover = [one_run(binary, two_keys, plugin=True, cap=args.cap) for _ in range(args.runs)]
    vanilla = [one_run(binary, two_keys, plugin=False, cap=args.cap) for _ in range(1)]
    result = {
        "runs": args.runs,
        "baseline_s": round(statistics.median(baseline), 2),
        "failover_s": round(statistics.median(failover), 2),
        "vanilla_s": round(statistics.median(vanilla), 2),
        "vanilla_capped_at_s": args.cap,
    }
    result["failover_minus_baseline_s"] = round(result["failover_s"] - result["baseline_s"], 2)
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
