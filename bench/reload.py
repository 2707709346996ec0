"""Hot-reload latency: a real edit of opencode.json → the watcher's callback with the new config.

    python bench/reload.py [--edits 100] [--step-ms 20] [--json]

Each edit writes a new ``switcher.retry`` value (alternating in-place writes and atomic
renames) and waits for the ``ConfigApplied`` carrying it; the time between the write and the
callback is one sample.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as `python bench/reload.py`, this folder is first on sys.path and bench/select.py would shadow
# the standard library's `select` (imported by subprocess and asyncio): the repository root
# takes its place.
sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time


import logging  # noqa: E402

import structlog  # noqa: E402

from bridge.watcher import ConfigApplied, ConfigWatcher  # noqa: E402


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _bench(edits: int, step_ms: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project = root / "project"
        (project / ".git").mkdir(parents=True)
        env = {"HOME": str(root / "home"), "XDG_CONFIG_HOME": str(root / "cfg"), "XDG_DATA_HOME": str(root / "data")}
        config = project / "opencode.json"
        config.write_text('{"switcher": {"retry": 0}}')
        arrivals: dict[int, float] = {}
        arrived = asyncio.Event()

        def on_config(result) -> None:
            if isinstance(result, ConfigApplied):
                arrivals[result.snapshot.switcher.retry] = time.perf_counter()
                arrived.set()

        watcher = ConfigWatcher(directory=project, env=env, on_config=on_config, step_ms=step_ms)
        stop = asyncio.Event()
        task = asyncio.create_task(watcher.run(stop))
        await asyncio.sleep(0.3)
        samples = []
        for i in range(1, edits + 1):
            arrived.clear()
            text = f'{{"switcher": {{"retry": {i}}}}}'
            start = time.perf_counter()
            if i % 2:
                config.write_text(text)
            else:
                tmp_file = project / ".opencode.json.tmp"
                tmp_file.write_text(text)
                os.replace(tmp_file, config)
            while i not in arrivals:
                await asyncio.wait_for(arrived.wait(), timeout=5)
                arrived.clear()
            samples.append((arrivals[i] - start) * 1000)
            await asyncio.sleep(0.05)
        stop.set()
        await task
    return {
        "edits": edits,
        "step_ms": step_ms,
        "reload_p50_ms": round(statistics.median(samples), 1),
        "reload_p99_ms": round(_percentile(samples, 0.99), 1),
        "reload_max_ms": round(max(samples), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=100)
    parser.add_argument("--step-ms", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    # stdout is the result; the watcher's info events would drown it.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR),
                        logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    result = asyncio.run(_bench(args.edits, args.step_ms))
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
