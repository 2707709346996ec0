// O-Switcher's OpenCode plugin: a thin shim that forwards OpenCode's hooks to the Python bridge.
//
// This file is the only code that knows OpenCode's plugin API. It holds no policy: it forwards
// each hook over stdio JSON-RPC (Content-Length frames) to one long-lived bridge process and
// applies the answer. It must never block or break OpenCode: every request has a short timeout
// after which the hook proceeds unchanged, and a bridge that exits is restarted with backoff
// while hooks pass through. It never writes to OpenCode's terminal; diagnostics go to the log.
//
// Every named export of a plugin module must be a plugin function, so helpers stay private.

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const SHIM_VERSION = "0.1.0";
const PROTOCOL = 1;
// `o-switcher install` replaces null with the absolute command that starts its bridge.
const INSTALLED_BRIDGE_CMD = null;

const DEFAULTS = { timeoutMs: 250, toolTimeoutMs: 10000, initTimeoutMs: 10000, restartBaseMs: 200, restartMaxMs: 30000 };
// A bridge that lived this long is healthy again: its next crash restarts after the base delay.
const STABLE_AFTER_MS = 10000;

function logPaths(env) {
  const log = env.OSWITCHER_LOG
    ? env.OSWITCHER_LOG
    : path.join(env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state"), "o-switcher", "bridge.log");
  return { log, stderr: path.join(path.dirname(log), "bridge-stderr.log") };
}

function onPath(name, env) {
  for (const dir of (env.PATH || "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}

// How to start the bridge, in order: $OSWITCHER_BRIDGE_CMD (a JSON array), the command recorded
// by `o-switcher install`, `o-switcher bridge` on PATH, `python3 -m bridge`.
function bridgeCommand(env) {
  if (env.OSWITCHER_BRIDGE_CMD) {
    const argv = JSON.parse(env.OSWITCHER_BRIDGE_CMD);
    if (Array.isArray(argv) && argv.length > 0 && argv.every((a) => typeof a === "string")) return argv;
    throw new Error("OSWITCHER_BRIDGE_CMD must be a JSON array of strings");
  }
  if (INSTALLED_BRIDGE_CMD) return INSTALLED_BRIDGE_CMD;
  const installed = onPath("o-switcher", env);
  if (installed) return [installed, "bridge"];
  return ["python3", "-m", "bridge"];
}

// Splits a byte stream into Content-Length frames.
class FrameParser {
  constructor(onMessage) {
    this.onMessage = onMessage;
    this.buffer = Buffer.alloc(0);
  }

  push(chunk) {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      const end = this.buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      const match = /content-length:\s*(\d+)/i.exec(this.buffer.toString("latin1", 0, end));
      if (!match) {
        this.buffer = this.buffer.subarray(end + 4);
        continue;
      }
      const start = end + 4;
      const stop = start + Number(match[1]);
      if (this.buffer.length < stop) return;
      const body = this.buffer.toString("utf8", start, stop);
      this.buffer = this.buffer.subarray(stop);
      let message;
      try {
        message = JSON.parse(body);
      } catch {
        continue;
      }
      this.onMessage(message);
    }
  }
}

function frame(message) {
  const body = JSON.stringify(message);
  return `Content-Length: ${Buffer.byteLength(body, "utf8")}\r\n\r\n${body}`;
}

// One bridge process at a time, restarted with backoff when it exits. request() never rejects:
// it resolves to the result, or to undefined on timeout, error or a missing bridge.
class BridgeClient {
  constructor({ argv, settings, env, onReady, onNotification, log }) {
    this.argv = argv;
    this.settings = settings;
    this.env = env;
    this.onReady = onReady;
    this.onNotification = onNotification;
    this.log = log;
    this.child = null;
    this.pending = new Map();
    this.nextId = 1;
    this.failures = 0;
    this.closed = false;
    this.restartTimer = null;
  }

  start() {
    if (this.closed) return;
    const { stderr } = logPaths(this.env);
    let child;
    try {
      fs.mkdirSync(path.dirname(stderr), { recursive: true, mode: 0o700 });
      child = spawn(this.argv[0], this.argv.slice(1), { stdio: ["pipe", "pipe", "pipe"], env: this.env });
    } catch (error) {
      this.log("bridge_spawn_failed", { error: String(error) });
      this.scheduleRestart();
      return;
    }
    this.child = child;
    const startedAt = Date.now();
    const parser = new FrameParser((message) => this.receive(message));
    child.stdout.on("data", (chunk) => parser.push(chunk));
    const errors = fs.createWriteStream(stderr, { flags: "a", mode: 0o600 });
    errors.on("error", () => {});
    child.stderr.pipe(errors);
    child.stdin.on("error", () => {}); // EPIPE when the bridge died; the exit handler restarts it
    child.on("error", (error) => this.log("bridge_spawn_failed", { error: String(error), argv: this.argv }));
    child.on("close", (code, signal) => {
      if (this.child !== child) return;
      this.child = null;
      for (const { resolve, timer } of this.pending.values()) {
        clearTimeout(timer);
        resolve(undefined);
      }
      this.pending.clear();
      if (this.closed) return;
      if (Date.now() - startedAt > STABLE_AFTER_MS) this.failures = 0;
      this.log("bridge_exited", { code, signal });
      this.scheduleRestart();
    });
    this.request("initialize", this.onReady.params(), this.settings.initTimeoutMs).then((result) => {
      if (result && this.child === child) this.onReady.ready(result);
    });
  }

  scheduleRestart() {
    if (this.closed || this.restartTimer) return;
    const delay = Math.min(this.settings.restartBaseMs * 2 ** this.failures, this.settings.restartMaxMs);
    this.failures += 1;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.start();
    }, delay);
    this.restartTimer.unref?.();
  }

  receive(message) {
    if (message.id !== undefined && message.id !== null && !message.method) {
      const waiter = this.pending.get(message.id);
      if (!waiter) return; // answered after its timeout: the hook has already moved on
      this.pending.delete(message.id);
      clearTimeout(waiter.timer);
      waiter.resolve(message.error ? undefined : message.result);
      if (message.error) this.log("bridge_error", { method: waiter.method, error: message.error });
    } else if (message.method) {
      this.onNotification(message.method, message.params);
    }
  }

  request(method, params, timeoutMs = this.settings.timeoutMs) {
    const child = this.child;
    if (!child || !child.stdin.writable) return Promise.resolve(undefined);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.pending.set(id, { resolve, timer, method });
      child.stdin.write(frame({ jsonrpc: "2.0", id, method, params }));
    });
  }

  notify(method, params) {
    const child = this.child;
    if (child && child.stdin.writable) child.stdin.write(frame({ jsonrpc: "2.0", method, params }));
  }

  close() {
    this.closed = true;
    clearTimeout(this.restartTimer);
    // The bridge exits on EOF; OpenCode may exit before it does, which is fine.
    this.child?.stdin.end();
  }
}

// OpenCode's experimental native runtime ignores a provider's custom fetch: there the key is
// chosen in chat.headers instead.
const NATIVE_RUNTIME = ["1", "true"].includes(String(process.env.OPENCODE_EXPERIMENTAL_NATIVE_LLM ?? "").toLowerCase());

function chatInput(input, fetchProviders) {
  const model = input.model || {};
  const providerId = model.providerID ?? input.provider?.info?.id ?? "";
  return {
    sessionId: input.sessionID,
    fetchActive: !NATIVE_RUNTIME && fetchProviders.has(providerId),
    agent: input.agent,
    messageId: input.message?.id,
    providerSource: input.provider?.source,
    model: { providerId, modelId: model.id ?? "" },
  };
}

function readSettings(options) {
  const rpc = (options && options.rpc) || {};
  const pick = (value, fallback) => (Number.isFinite(value) && value > 0 ? value : fallback);
  return {
    timeoutMs: pick(rpc.timeout_ms, DEFAULTS.timeoutMs),
    toolTimeoutMs: pick(rpc.tool_timeout_ms, DEFAULTS.toolTimeoutMs),
    initTimeoutMs: DEFAULTS.initTimeoutMs,
    restartBaseMs: pick(rpc.restart_base_ms, DEFAULTS.restartBaseMs),
    restartMaxMs: pick(rpc.restart_max_ms, DEFAULTS.restartMaxMs),
  };
}

// How each provider logged in, from OpenCode's auth.json (types only; the keys are the bridge's
// business): {openai: "api", anthropic: "oauth", ...}. OPENCODE_AUTH_CONTENT overrides the file.
function loginTypes(env) {
  try {
    const file = path.join(env.XDG_DATA_HOME || path.join(os.homedir(), ".local", "share"), "opencode", "auth.json");
    const auth = JSON.parse(env.OPENCODE_AUTH_CONTENT || fs.readFileSync(file, "utf8"));
    return Object.fromEntries(Object.entries(auth).map(([id, entry]) => [id, entry?.type]));
  } catch {
    return {};
  }
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (!ms || signal?.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

// The model is the first field of the JSON bodies the AI SDK sends: read and rewrite it without
// parsing a conversation that may be megabytes long.
const MODEL_FIELD = /"model"\s*:\s*"((?:[^"\\]|\\.)*)"/;

// A fetch for one provider entry: asks the bridge which key (and, for another provider of the
// same API format, which URL and model) each attempt uses, reports how each attempt ended, and
// follows the bridge's next step, so a failed key costs milliseconds instead of OpenCode's
// retry wait. When the bridge does not answer in time the request goes out unchanged.
function failoverFetch(client, providerId, inner) {
  let sequence = 0;
  return async function oswitcherFetch(input, init) {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : null;
    const body = init?.body;
    if (url === null || typeof body !== "string" || (init.method ?? "GET").toUpperCase() !== "POST") return inner(input, init);
    const signal = init.signal;
    const headers = new Headers(init.headers);
    const requestId = `${process.pid}-${providerId}-${++sequence}-${Date.now()}`;
    const begin = { requestId, providerId, url, model: MODEL_FIELD.exec(body)?.[1], sessionId: headers.get("x-session-id") ?? undefined };
    let plan = await client.request("fetch/begin", begin);
    let last = null;
    for (;;) {
      if (!plan || plan.action === "pass") return inner(input, init);
      if (plan.action === "return") {
        if (!last) return inner(input, init);
        if (last.error) throw last.error;
        return last.response;
      }
      if (plan.action === "fail") return new Response(plan.body, { status: plan.status, headers: { "content-type": "application/json" } });
      await sleep(plan.delayMs, signal);
      if (signal?.aborted) {
        client.notify("fetch/done", { requestId, attempt: plan.attempt, aborted: true });
        throw signal.reason ?? new DOMException("The operation was aborted.", "AbortError");
      }
      if (plan.action === "wait") {
        plan = await client.request("fetch/begin", begin);
        continue;
      }
      const sendHeaders = new Headers(headers);
      for (const name of plan.stripHeaders ?? []) sendHeaders.delete(name);
      for (const [name, value] of Object.entries(plan.headers ?? {})) sendHeaders.set(name, value);
      const sendBody = plan.model ? body.replace(MODEL_FIELD, `"model":${JSON.stringify(plan.model)}`) : body;
      const started = performance.now();
      last = { response: null, error: null };
      try {
        last.response = await inner(plan.url ?? url, { ...init, headers: sendHeaders, body: sendBody });
      } catch (error) {
        last.error = error;
      }
      const latencyMs = performance.now() - started;
      if (signal?.aborted) {
        client.notify("fetch/done", { requestId, attempt: plan.attempt, aborted: true });
        if (last.error) throw last.error;
        return last.response;
      }
      if (last.response?.ok) {
        client.notify("fetch/done", { requestId, attempt: plan.attempt, latencyMs });
        return last.response;
      }
      const failure = { requestId, attempt: plan.attempt, latencyMs };
      if (last.response) {
        failure.status = last.response.status;
        failure.headers = Object.fromEntries(last.response.headers);
        failure.body = (await last.response.clone().text().catch(() => "")).slice(0, 16384);
      } else {
        failure.error = String(last.error?.message ?? last.error);
      }
      plan = (await client.request("fetch/failed", failure)) ?? { action: "return" };
    }
  };
}

function opencodeVersion() {
  const binary = process.execPath || "";
  if (!path.basename(binary).startsWith("opencode")) return Promise.resolve(undefined);
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(binary), "..", "package.json"), "utf8"));
    if (pkg.name === "opencode-ai" && typeof pkg.version === "string") return Promise.resolve(pkg.version);
  } catch {}
  return new Promise((resolve) => {
    try {
      const child = spawn(binary, ["--version"], { stdio: ["ignore", "pipe", "ignore"] });
      let out = "";
      const timer = setTimeout(() => { child.kill(); resolve(undefined); }, 5000);
      child.stdout.on("data", (chunk) => { out += chunk; });
      child.on("error", () => { clearTimeout(timer); resolve(undefined); });
      child.on("close", () => { clearTimeout(timer); resolve(out.trim() || undefined); });
    } catch {
      resolve(undefined);
    }
  });
}

function tool(client, name, description, args = {}) {
  return {
    description,
    args,
    async execute(toolArgs, ctx) {
      const opencodeVersion = name === "switcher-doctor" ? await client.opencodeVersion?.() : undefined;
      const result = await client.request(
        "tool/call",
        { name, args: toolArgs ?? {}, sessionId: ctx?.sessionID, agent: ctx?.agent, opencodeVersion },
        client.settings.toolTimeoutMs,
      );
      if (!result) return `O-Switcher's bridge did not answer; its log is ${logPaths(client.env).log}`;
      return result.title ? { title: result.title, output: result.output } : result.output;
    },
  };
}

export const OSwitcher = async (input, options) => {
  const env = { ...process.env };
  const { log: logFile } = logPaths(env);
  const log = (event, fields = {}) => {
    try {
      const line = JSON.stringify({ timestamp: new Date().toISOString(), level: "warning", source: "shim", event, msg: event, ...fields });
      fs.mkdirSync(path.dirname(logFile), { recursive: true, mode: 0o700 });
      fs.appendFileSync(logFile, line + "\n", { mode: 0o600 });
    } catch {}
  };
  const settings = readSettings(options);
  let wanted = new Set();
  const fetchProviders = new Set();
  let argv;
  try {
    argv = bridgeCommand(env);
  } catch (error) {
    log("bridge_command_invalid", { error: String(error) });
    argv = ["python3", "-m", "bridge"];
  }

  const client = new BridgeClient({
    argv,
    settings,
    env,
    log,
    onReady: {
      params: () => ({
        shimVersion: SHIM_VERSION,
        protocol: PROTOCOL,
        directory: input?.directory,
        worktree: input?.worktree,
        pluginOptions: options ?? null,
      }),
      ready: (result) => {
        wanted = new Set(result.events || []);
        if (result.protocol !== PROTOCOL) log("protocol_mismatch", { shim: PROTOCOL, bridge: result.protocol });
      },
    },
    onNotification: (method, params) => {
      if (method === "ui/toast" && params?.message) {
        const body = { message: params.message, variant: params.variant || "info" };
        if (params.title) body.title = params.title;
        Promise.resolve(input?.client?.tui?.showToast?.({ body })).catch(() => {});
      }
    },
  });
  client.start();
  // OpenCode's version, for switcher-doctor, found once and only when asked: the plugin API does
  // not say it. The binary is process.execPath; an npm install has its package.json beside it,
  // any other install answers `--version` (about a second, so never on a hook's path).
  let versionAsked = null;
  client.opencodeVersion = () => {
    versionAsked ??= opencodeVersion();
    return versionAsked;
  };
  // Every arg of a plugin tool is required in OpenCode, so each tool takes at most one string.
  const target = (what) => ({ target: { type: "string", description: what } });
  const name = (what) => ({ name: { type: "string", description: what } });

  return {
    async config(config) {
      // Providers are built after this hook, from this very object: a fetch set here is the
      // one every request of that provider goes through (on OpenCode's default runtime).
      // Providers known only from a login (`opencode auth login openai`) get an entry too.
      // Logins by OAuth are left alone: their own auth plugin supplies the fetch that signs
      // requests, and a fetch set here would replace it.
      if (!config) return;
      const logins = loginTypes(env);
      config.provider ??= {};
      for (const [providerId, type] of Object.entries(logins)) {
        if (type === "api" && !(providerId in config.provider)) config.provider[providerId] = {};
      }
      for (const [providerId, entry] of Object.entries(config.provider)) {
        if (!entry || typeof entry !== "object" || (logins[providerId] && logins[providerId] !== "api")) continue;
        entry.options ??= {};
        const inner = entry.options.fetch ?? ((input, init) => globalThis.fetch(input, init));
        entry.options.fetch = failoverFetch(client, providerId, inner);
        fetchProviders.add(providerId);
      }
    },
    async "chat.message"(hookInput, output) {
      // Where the user's provider cannot serve and the config allows another model, the bridge
      // moves the whole turn (any API format) before anything is sent.
      const model = hookInput?.model ?? output?.message?.model;
      if (!model?.providerID || !output?.message) return;
      const answer = await client.request("chat/message", {
        sessionId: hookInput.sessionID,
        model: { providerId: model.providerID, modelId: model.modelID ?? "" },
      });
      if (answer?.model) output.message.model = { providerID: answer.model.providerId, modelID: answer.model.modelId };
    },
    async "chat.params"(hookInput, output) {
      const patch = await client.request("chat/params", chatInput(hookInput, fetchProviders));
      if (!patch) return;
      for (const key of ["temperature", "topP", "topK", "maxOutputTokens"]) {
        if (patch[key] !== undefined) output[key] = patch[key];
      }
      if (patch.options) Object.assign(output.options, patch.options);
    },
    async "chat.headers"(hookInput, output) {
      const patch = await client.request("chat/headers", chatInput(hookInput, fetchProviders));
      if (patch?.headers) {
        // Whatever case OpenCode used, one auth header must remain: the chosen key's.
        for (const name of Object.keys(output.headers)) {
          if (Object.keys(patch.headers).some((h) => h.toLowerCase() === name.toLowerCase())) delete output.headers[name];
        }
        Object.assign(output.headers, patch.headers);
      }
    },
    async event({ event }) {
      if (event && wanted.has(event.type)) client.notify("event", { type: event.type, properties: event.properties ?? {}, id: event.id });
    },
    tool: {
      "profiles-list": tool(client, "profiles-list", "List every API key profile O-Switcher knows (keys masked): provider, label, status, last use, uses, last error, what holds it now."),
      "switcher-status": tool(client, "switcher-status", "Show O-Switcher's status: every target and pool with health, circuit, cooldown (until when, why), requests in flight, the key in use, pins, and the last failovers. Show the output to the user verbatim."),
      "switcher-pause": tool(client, "switcher-pause", "Pause an O-Switcher target: it gets no new requests until resumed (in every OpenCode window).", target("the target id to pause (see switcher-status)")),
      "switcher-resume": tool(client, "switcher-resume", "Resume a paused or draining O-Switcher target.", target("the target id to resume; \"\" resumes every paused or draining target")),
      "switcher-drain": tool(client, "switcher-drain", "Drain an O-Switcher target: no new requests; the ones in flight finish.", target("the target id to drain")),
      "switcher-reset": tool(client, "switcher-reset", "Reset an O-Switcher target (close its circuit, end its cooldowns), or revive a key marked dead after the user fixed it.", name("a target id, or a profile's label or id (see profiles-list)")),
      "switcher-use": tool(client, "switcher-use", "Pin this session to one O-Switcher target or profile (key): it is used whenever it can serve.", name("a target id, or a profile's label or id")),
      "switcher-unpin": tool(client, "switcher-unpin", "Remove this session's pin: O-Switcher chooses the target and key again."),
      "switcher-reload": tool(client, "switcher-reload", "Re-read O-Switcher's config now and report what changed (or the error, with its path)."),
      "switcher-doctor": tool(client, "switcher-doctor", "Check O-Switcher's setup: versions, config files and their validity, auth.json, the state store, the log, watchers, pools with a single key. Show the output verbatim."),
    },
    async dispose() {
      client.close();
    },
  };
};
