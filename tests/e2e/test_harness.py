"""Proof that the harness drives real OpenCode: a plain run, a test plugin, a rejected key.

These also pin vanilla OpenCode 1.18.33 behaviour that the product's tests build on; what they
show is written up in ``docs/opencode-e2e.md``.
"""

from __future__ import annotations

import json

import pytest

from ..fake_provider import FakeProvider, Ok, Sequence, rate_limited, revoked
from .harness import fake_provider_config

pytestmark = pytest.mark.e2e

# A plugin module as OpenCode loads it from <config dir>/plugins/: every named export is a plugin
# function returning hooks. No imports: `@opencode-ai/plugin` is not installed in the sandbox,
# and plain JSON-Schema args need no zod.
TEST_PLUGIN = """
export const TestPlugin = async ({ directory }) => ({
  "chat.headers": async (input, output) => {
    output.headers["x-test-plugin"] = "1";
  },
  tool: {
    "echo-test": {
      description: "Echo the given text back (e2e test tool).",
      args: { text: { type: "string", description: "text to echo" } },
      async execute(args, ctx) {
        return `echo:${args.text}:from-plugin`;
      },
    },
  },
});
"""


def test_plain_run_prints_the_fake_answer(oc, fake_provider: FakeProvider, record_property):
    fake_provider.set_behaviour(None, Ok("Plain answer from the fake."))
    box = oc()

    result = box.run("say hello")

    record_property("duration_s", round(result.duration_s, 2))
    assert result.returncode == 0, result.explain()
    assert result.stdout == "Plain answer from the fake.\n", result.explain()  # stdout: the answer only
    main = fake_provider.chat_requests()
    assert len(main) == 1, [r.answered_with for r in fake_provider.requests]
    assert main[0].key == "sk-test-good"
    assert main[0].model == "fake-model" and main[0].stream
    assert "bash" in main[0].tool_names  # the build agent's tools come with the request
    # A fresh session also asks the small model for a title, with the same key.
    titles = [r for r in fake_provider.requests if r.is_title]
    assert [r.key for r in titles] == ["sk-test-good"]
    assert result.duration_s < 30, result.explain()  # a 70 s npm stall would mean the trick broke


def test_config_in_the_global_config_dir_works_too(oc, fake_provider: FakeProvider):
    box = oc(config=fake_provider_config(fake_provider.base_url, api_key="sk-test-global"), location="global")

    result = box.run("hi")

    assert result.returncode == 0, result.explain()
    assert {r.key for r in fake_provider.requests} == {"sk-test-global"}


def test_key_from_auth_json(oc, fake_provider: FakeProvider):
    box = oc(
        config=fake_provider_config(fake_provider.base_url, api_key=None),
        auth={"fake": {"type": "api", "key": "sk-test-auth"}},
    )

    result = box.run("hi")

    assert result.returncode == 0, result.explain()
    assert {r.key for r in fake_provider.requests} == {"sk-test-auth"}


def test_plugin_hooks_header_and_tool(oc, fake_provider: FakeProvider):
    box = oc(plugins={"test-plugin.js": TEST_PLUGIN})

    prompt = 'Please run CALL_TOOL:echo-test:{"text":"hi there"} for me.'
    result = box.run(prompt)

    assert result.returncode == 0, result.explain()
    assert result.plugin_errors() == []
    # chat.headers runs for every request, the title request included.
    assert len(fake_provider.requests) == 3, result.explain()
    for request in fake_provider.requests:
        assert request.headers.get("x-test-plugin") == "1", request.headers
    # The model (the fake) calls the plugin's tool; its output goes back in the next request...
    first, second = fake_provider.chat_requests()
    assert "echo-test" in first.tool_names
    assert first.messages[-1] == {"role": "user", "content": prompt}  # the harness sends it verbatim
    tool_messages = [m for m in second.messages if m["role"] == "tool"]
    assert [m["content"] for m in tool_messages] == ["echo:hi there:from-plugin"], json.dumps(second.messages)[-800:]
    # ...and the user sees the call in the UI (stderr) and the final answer on stdout.
    assert '⚙ echo-test {"text":"hi there"}' in result.ui, result.explain()
    assert result.stdout.strip() == "TOOL_RESULT:echo:hi there:from-plugin", result.explain()


def test_project_config_dir_with_plugin_and_config_and_a_broken_plugin(oc, fake_provider: FakeProvider):
    box = oc(
        config=fake_provider_config(fake_provider.base_url, api_key="sk-test-project"),
        location="dot-opencode",
        plugins={"test-plugin.js": TEST_PLUGIN},
        plugin_location="project",
    )

    box.add_plugin("broken.js", 'export const Broken = async () => { throw new Error("boom in init") }\n')

    result = box.run("hi")

    assert result.returncode == 0, result.explain()  # a plugin failing to load does not fail the run
    (error,) = set(result.plugin_errors())  # OpenCode logs the line twice
    assert "broken.js" in error and "boom in init" in error
    assert (box.project_config_dir / "plugins" / "test-plugin.js").exists()
    assert {(r.key, r.headers.get("x-test-plugin")) for r in fake_provider.requests} == {("sk-test-project", "1")}
    assert result.duration_s < 30, result.explain()  # .opencode/ got the npm-install trick too


def test_rejected_key_ends_the_run_with_a_visible_error(oc, fake_provider: FakeProvider, record_property):
    fake_provider.set_behaviour("sk-test-revoked", revoked())
    box = oc(config=fake_provider_config(fake_provider.base_url, api_key="sk-test-revoked"))

    result = box.run("hi", print_logs=False)

    record_property("duration_s", round(result.duration_s, 2))
    # Vanilla OpenCode: a 401 is not retried; rc 1, nothing on stdout, and the provider's message
    # after "Error: " in the UI on stderr.
    assert len(fake_provider.chat_requests()) == 1, result.explain()
    assert result.returncode == 1, result.explain()
    assert result.stdout.strip() == "", result.explain()
    assert "Error: Incorrect API key provided: sk-test-***." in result.ui, result.explain()
    assert result.duration_s < 30, result.explain()


def test_rejected_key_as_a_json_error_event(oc, fake_provider: FakeProvider):
    fake_provider.set_behaviour("sk-test-revoked", revoked())
    box = oc(config=fake_provider_config(fake_provider.base_url, api_key="sk-test-revoked"))

    result = box.run("hi", args=("--format", "json"))

    assert result.returncode == 1, result.explain()
    (error,) = [e["error"] for e in result.events() if e["type"] == "error"]
    assert error["name"] == "APIError"
    assert (error["data"]["statusCode"], error["data"]["isRetryable"]) == (401, False)
    assert "invalid_api_key" in error["data"]["responseBody"]


def test_json_events_show_opencode_retrying_a_429_after_retry_after(oc, fake_provider: FakeProvider):
    fake_provider.set_behaviour(None, Sequence(rate_limited(retry_after=1), Ok("after the 429")))
    box = oc()

    result = box.run("hi", args=("--format", "json"))

    assert result.returncode == 0, result.explain()
    first, second = fake_provider.chat_requests()
    assert (first.answered_with.startswith("Status(status=429"), second.answered_with.startswith("Ok(")) == (True, True)
    assert second.at - first.at >= 0.9  # OpenCode waited for Retry-After: 1 before its own retry
    texts = [e["part"]["text"] for e in result.events() if e["type"] == "text"]
    assert texts == ["after the 429"], result.explain()
    assert not [e for e in result.events() if e["type"] == "error"]  # the retry itself is silent here


def test_long_retry_after_hangs_vanilla_opencode_until_the_harness_kills_it(oc, fake_provider: FakeProvider):
    fake_provider.set_behaviour(None, rate_limited(retry_after=3600))
    box = oc()

    running = box.start("hi")
    fake_provider.wait_for_requests(2, timeout=30)  # the title request, then the main one's 429
    result = running.wait(timeout=3)

    # OpenCode obeys Retry-After with no cap: the run would sleep an hour (design outcome 7).
    assert result.timed_out, result.explain()
    assert "killed after 3" in result.stderr
    assert len(fake_provider.chat_requests()) == 1
    assert "fake-model" in box.opencode_log()  # OpenCode's own log file, beside --print-logs
