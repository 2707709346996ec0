"""Bridge cold start: spawn → first answer (``initialize``), and resident memory after it.

    python bench/cold_start.py [--json] [--runs 15]

Prints ``spawn_to_ready_ms`` (median), ``spawn_to_ready_p90_ms`` and ``rss_mib`` (median VmRSS
read from /proc right after the answer), plus ``python_bare_ms``: the same spawn of
``python -c pass`` in the same run, the floor no bridge can beat.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as `python bench/cold_start.py`, this folder is first on sys.path and bench/select.py would shadow
# the standard library's `select` (imported by subprocess and asyncio): the repository root
# takes its place.
sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

REPO = Path(__file__).resolve().parents[1]
INIT = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"shimVersion": "bench"}}).encode()
FRAME = b"Content-Length: %d\r\n\r\n%s" % (len(INIT), INIT)


def one_start(env: dict[str, str]) -> tuple[float, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bridge"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env, cwd=env["HOME"])
    proc.stdin.write(FRAME)
    proc.stdin.flush()
    header = b""
    while not header.endswith(b"\r\n\r\n"):
        header += proc.stdout.read(1)
    proc.stdout.read(int(header.split(b":")[1]))
    elapsed = (time.perf_counter() - t0) * 1000
    rss_kib = next(int(line.split()[1]) for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines()
                   if line.startswith("VmRSS:"))
    proc.stdin.close()
    proc.wait(timeout=5)
    return elapsed, rss_kib / 1024


def bare_python() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
               "XDG_DATA_HOME": str(home / "data"), "OSWITCHER_LOG": str(home / "bridge.log")}
        one_start(env)  # warm the page cache and .pyc files
        starts = [one_start(env) for _ in range(args.runs)]
        bare = [bare_python() for _ in range(args.runs)]
    times = sorted(t for t, _ in starts)
    result = {
        "runs": args.runs,
        "spawn_to_ready_ms": round(statistics.median(times), 1),
        "spawn_to_ready_p90_ms": round(times[int(0.9 * (len(times) - 1))], 1),
        "rss_mib": round(statistics.median(r for _, r in starts), 1),
        "python_bare_ms": round(statistics.median(bare), 1),
    }
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
