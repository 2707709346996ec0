"""Hook round trip: Node → the real shim → the real bridge → back, against a bare echo.

    python bench/hook_rtt.py [--json] [-n 10000]

Prints ``shim_p50_us``/``shim_p99_us`` (sequential ``chat.params`` hook calls through the real
shim module and bridge), ``raw_p50_us``/``raw_p99_us`` (a bare Content-Length echo over the same
kind of pipe, same run), ``bridge_direct_p50_us`` (raw client → real bridge, no shim) and
``pipelined_msgs_per_s`` (a burst of requests written at once to the real bridge, each logged as
an audit line), and the same burst with the log at ``warning`` (no line per request).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as `python bench/hook_rtt.py`, this folder is first on sys.path and bench/select.py would shadow
# the standard library's `select` (imported by subprocess and asyncio): the repository root
# takes its place.
sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import json
import os
import statistics
import subprocess
import tempfile

REPO = Path(__file__).resolve().parents[1]
BRIDGE = [sys.executable, "-m", "bridge"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def node(*args: str, env: dict[str, str], stdin: str | None = None) -> str:
    done = subprocess.run(["node", *args], input=stdin, capture_output=True, text=True, env=env, cwd=REPO, check=True)
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--burst", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
               "XDG_DATA_HOME": str(home / "data"), "OSWITCHER_LOG": str(Path(tmp) / "bridge.log"),
               "OSWITCHER_BRIDGE_CMD": json.dumps(BRIDGE), "PYTHONPATH": str(REPO)}
        client = str(REPO / "bench" / "_pipe_client.mjs")
        raw = json.loads(node(client, "seq", str(args.n), "--", sys.executable, str(REPO / "bench" / "_echo.py"), env=env))
        direct = json.loads(node(client, "seq", str(args.n), "--", *BRIDGE, env=env))
        script = '{"op":"sleep","ms":500}\n{"op":"bench","n":200}\n' + f'{{"op":"bench","n":{args.n}}}\n' + '{"op":"dispose"}\n'
        lines = node(str(REPO / "tests" / "shim" / "driver.mjs"), "{}", str(REPO / "js-shim" / "o-switcher.js"),
                     env=env, stdin=script).splitlines()
        shim = json.loads(lines[2])["latencies_us"]
        bursts = [json.loads(node(client, "burst", str(args.burst), "--", *BRIDGE, env=env))["msgs_per_s"] for _ in range(3)]
        quiet = {**env, "OSWITCHER_LOG_LEVEL": "warning"}
        quiet_bursts = [json.loads(node(client, "burst", str(args.burst), "--", *BRIDGE, env=quiet))["msgs_per_s"]
                        for _ in range(3)]
    result = {
        "n": args.n,
        "shim_p50_us": round(percentile(shim, 0.50), 1),
        "shim_p99_us": round(percentile(shim, 0.99), 1),
        "raw_p50_us": round(percentile(raw, 0.50), 1),
        "raw_p99_us": round(percentile(raw, 0.99), 1),
        "bridge_direct_p50_us": round(percentile(direct, 0.50), 1),
        "bridge_direct_p99_us": round(percentile(direct, 0.99), 1),
        "pipelined_msgs_per_s": round(statistics.median(bursts)),
        "pipelined_msgs_per_s_without_audit_lines": round(statistics.median(quiet_bursts)),
    }
    result["shim_over_raw_p50"] = round(result["shim_p50_us"] / result["raw_p50_us"], 2)
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
