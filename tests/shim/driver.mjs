// Drives the real shim module under Node, without OpenCode, for tests and benchmarks.
//
// Reads one JSON command per stdin line and prints one JSON answer per line:
//   {"op": "params", "sessionID": "s1"}     → chat.params output after the hook ran, and its duration
//   {"op": "headers", "sessionID": "s1"}    → chat.headers output
//   {"op": "event", "type": "session.idle"} → the event hook was called (not awaited by OpenCode)
//   {"op": "tool", "name": "profiles-list"} → the tool's answer
//   {"op": "bench", "n": 10000}             → n sequential chat.params round trips, latencies in µs
//   {"op": "config", "config": {...}}       → the config hook ran: which providers got the fetch
//   {"op": "toasts"}                        → toasts the bridge asked for so far
//   {"op": "dispose"}                       → dispose hook, then exit
// Options for the plugin come from argv[2] (JSON) and the shim path from argv[3].
import { pathToFileURL } from "node:url";
import readline from "node:readline";

const options = JSON.parse(process.argv[2] || "null");
const shimPath = process.argv[3];
const { OSwitcher } = await import(pathToFileURL(shimPath).href);
const toasts = [];
const client = { tui: { showToast: async ({ body }) => { toasts.push(body); return true; } } };
const hooks = await OSwitcher({ client, directory: process.cwd(), worktree: process.cwd() }, options);

const chatInput = (cmd) => ({
  sessionID: cmd.sessionID ?? "ses_test",
  agent: "build",
  model: { id: "fake-model", providerID: "fake" },
  provider: { source: "config", info: { id: "fake" }, options: { apiKey: "sk-test-never-sent" } },
  message: { id: "msg_1" },
});
const out = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

const ops = {
  async params(cmd) {
    const output = { temperature: 0.5, topP: 1, topK: 0, maxOutputTokens: undefined, options: {} };
    const t0 = performance.now();
    await hooks["chat.params"](chatInput(cmd), output);
    return { output, ms: performance.now() - t0 };
  },
  async headers(cmd) {
    const output = { headers: {} };
    const t0 = performance.now();
    await hooks["chat.headers"](chatInput(cmd), output);
    return { output, ms: performance.now() - t0 };
  },
  async event(cmd) {
    await hooks.event({ event: { id: "evt_1", type: cmd.type, properties: cmd.properties ?? {} } });
    return { ok: true };
  },
  async tool(cmd) {
    const result = await hooks.tool[cmd.name].execute(cmd.args ?? {}, { sessionID: "ses_test", agent: "build" });
    return { result };
  },
  async bench(cmd) {
    const lat = new Float64Array(cmd.n);
    const output = { temperature: 0.5, topP: 1, topK: 0, maxOutputTokens: undefined, options: {} };
    const input = chatInput(cmd);
    for (let i = 0; i < cmd.n; i++) {
      const t0 = performance.now();
      await hooks["chat.params"](input, output);
      lat[i] = (performance.now() - t0) * 1000;
    }
    return { latencies_us: Array.from(lat) };
  },
  async config(cmd) {
    // OpenCode's config hook on the given config: which providers got O-Switcher's fetch.
    const config = cmd.config;
    await hooks.config(config);
    const wrapped = Object.entries(config.provider ?? {})
      .filter(([, entry]) => typeof entry?.options?.fetch === "function")
      .map(([id]) => id)
      .sort();
    return { wrapped, providers: Object.keys(config.provider ?? {}).sort() };
  },
  async toasts() {
    return { toasts };
  },
  async sleep(cmd) {
    await new Promise((r) => setTimeout(r, cmd.ms));
    return { ok: true };
  },
  async dispose() {
    await hooks.dispose();
    return { ok: true };
  },
};

const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line.trim()) continue;
  const cmd = JSON.parse(line);
  out(await ops[cmd.op](cmd));
  if (cmd.op === "dispose") break;
}
// Exit once stdout is flushed (a pipe is written asynchronously; exiting early truncates it).
process.stdout.write("", () => process.exit(0));
