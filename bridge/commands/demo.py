"""``o-switcher demo``: watch O-Switcher keep a real OpenCode run going, offline, in a minute.

It starts fake providers on 127.0.0.1: a provider that is down (connection refused), a key that
is rate limited (429, ``Retry-After: 30``) and a good key of the same service. Then it runs the
real OpenCode headless with the shim, in a throw-away sandbox (your own config, keys and
sessions are not touched), and tells what happened, from the bridge's log. The only network it
needs is npm, once, to install OpenCode into a cache folder when it is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="see failover work: a real OpenCode run against fake providers",
                                   description=__doc__.split("\n\n")[1])
    parser.add_argument("--keep", metavar="DIR", type=Path,
                        help="run in DIR and keep it (default: a fresh folder under the cache dir)")
    parser.set_defaults(run=_run)


def _config(base_url: str, down_url: str) -> dict[str, Any]:
    def provider(name: str, url: str, key: str) -> dict[str, Any]:
        return {"npm": "@ai-sdk/openai-compatible", "name": name, "options": {"baseURL": url, "apiKey": key},
                "models": {"demo-model": {"name": "Demo model"}}}

    return {
        "$schema": "https://opencode.ai/config.json",
        "provider": {
            "down": provider("A provider that is down", down_url, "sk-demo-down"),
            "work": provider("Work key (rate limited)", base_url, "sk-demo-limited"),
            "personal": provider("Personal key", base_url, "sk-demo-good"),
        },
        "model": "down/demo-model",
        "small_model": "down/demo-model",
    }


def _narrate(event: dict[str, Any], t0_ms: int) -> str | None:
    at = f"{(_event_ms(event) - t0_ms) / 1000:6.2f}s"
    name = event.get("event")
    if name == "config_applied":
        return f"{at}  bridge read the config: {event.get('targets')} targets"
    if name == "attempt_failed":
        status = event.get("status") or "no answer"
        return f"{at}  {event['target_id']} ({event['profile']}): {status} → {event['error_class']}"
    if name == "cooldown_set":
        until = (event["until_ms"] - event["at_ms"]) / 1000
        return f"{at}  {event.get('profile') or event.get('target_id')} rests for {until:.0f}s"
    if name == "failover_start":
        return f"{at}  switched {event['from_target']} → {event['to_target']} ({event['to_profile']})"
    if name == "request_summary" and event.get("attempts", 0) > 1:
        return (f"{at}  request {event['outcome']}: {event['attempts']} attempts, {event['failovers']} failovers,"
                f" {event['total_retries']} retries, {event['duration_ms']} ms")
    if name == "toast":
        return f"{at}  toast: {event['message']}"
    return None


def _event_ms(event: dict[str, Any]) -> int:
    if "at_ms" in event:
        return int(event["at_ms"])
    try:
        return int(datetime.fromisoformat(event.get("timestamp", "").replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return 0


def _run(args: argparse.Namespace) -> int:
    from bridge.commands.install import render_shim, shim_source
    from bridge.demo.fake_provider import FakeProvider, Ok, rate_limited, unused_port
    from bridge.demo.opencode_bin import ENV_BIN, OpenCodeUnavailable, ensure_opencode, install_dir, installed_binary
    from bridge.demo.sandbox import OpenCodeSandbox

    say = lambda text="": print(text, flush=True)  # noqa: E731
    if not os.environ.get(ENV_BIN) and not installed_binary(install_dir()).exists():
        say(f"Installing OpenCode (opencode-ai) with npm into {install_dir()} (once; needs the npm registry)…")
    try:
        binary = ensure_opencode()
    except OpenCodeUnavailable as exc:
        print(f"o-switcher demo: {exc}", file=sys.stderr)
        return 1
    root = args.keep or (install_dir().parent / "demo")
    if args.keep is None and root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    with FakeProvider() as fake:
        fake.set_behaviour("sk-demo-limited", rate_limited(retry_after=30))
        fake.set_behaviour("sk-demo-good", Ok("Hello from the personal key: O-Switcher kept this run going."))
        box = OpenCodeSandbox(binary=binary, root=root)
        box.write_config(_config(fake.base_url, f"http://127.0.0.1:{unused_port()}/v1"))
        box.add_plugin("o-switcher.js", render_shim(shim_source(), [sys.executable, "-m", "bridge"]))
        say("Three providers of one API format: 'down' (refuses connections), 'work' (its key answers 429,")
        say("Retry-After: 30) and 'personal' (works). OpenCode is set to use 'down'. Running `opencode run hello`…")
        say()
        t0 = int(time.time() * 1000)
        result = box.run("hello", timeout=120)
    log_path = box.state_home / "o-switcher" / "bridge.log"
    events = [json.loads(line) for line in log_path.read_text().splitlines()] if log_path.exists() else []
    for line in filter(None, (_narrate(e, t0) for e in events)):
        say(line)
    say()
    answered = result.returncode == 0 and result.stdout.strip()
    say(f"OpenCode {'answered' if answered else 'failed'} in {result.duration_s:.1f}s (exit code {result.returncode}):")
    say(f"  {result.stdout.strip() or result.ui.strip()[-400:]}")
    owners = {"sk-demo-limited": "work", "sk-demo-good": "personal"}
    keys = [owners.get(r.key or "", "?") for r in fake.requests if not r.is_title]
    say(f"The fake providers received {len(keys)} chat requests, with the keys of: {', '.join(keys)}")
    say("Without O-Switcher, OpenCode would have retried 'down' five times and failed (about a minute).")
    say()
    say(f"Bridge log (NDJSON, one event per line): {log_path}")
    say(f"Sandbox (config, OpenCode's own log): {root}")
    return 0 if answered else 1
