// Raw Content-Length client for bench/hook_rtt.py: talks to a child process over pipes.
//   node _pipe_client.mjs seq N -- CMD...    N sequential round trips; prints latencies in µs
//   node _pipe_client.mjs burst N -- CMD...  N requests written at once; prints msgs/s
import { spawn } from "node:child_process";

const [mode, nText, sep, ...argv] = process.argv.slice(2);
const n = Number(nText);
const child = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "inherit"] });
const params = { sessionId: "ses_bench", agent: "build", model: { providerId: "fake", modelId: "fake-model" } };
const frame = (id) => {
  const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", id, method: "chat/params", params }));
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]);
};

let buffer = Buffer.alloc(0);
let onFrame = () => {};
child.stdout.on("data", (chunk) => {
  buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
  for (;;) {
    const end = buffer.indexOf("\r\n\r\n");
    if (end < 0) return;
    const length = Number(/Content-Length: (\d+)/i.exec(buffer.toString("latin1", 0, end))[1]);
    if (buffer.length < end + 4 + length) return;
    buffer = buffer.subarray(end + 4 + length);
    onFrame();
  }
});
const next = () => new Promise((resolve) => (onFrame = resolve));

// Warm up (and wait for the process to be ready).
for (let i = 0; i < 200; i++) {
  const got = next();
  child.stdin.write(frame(i));
  await got;
}
if (mode === "seq") {
  const lat = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const got = next();
    const t0 = performance.now();
    child.stdin.write(frame(i));
    await got;
    lat[i] = (performance.now() - t0) * 1000;
  }
  process.stdout.write(JSON.stringify(Array.from(lat)) + "\n", () => child.stdin.end());
} else {
  let seen = 0;
  const done = new Promise((resolve) => (onFrame = () => { if (++seen === n) resolve(); }));
  const t0 = performance.now();
  const chunk = [];
  for (let i = 0; i < n; i++) chunk.push(frame(i));
  child.stdin.write(Buffer.concat(chunk));
  await done;
  process.stdout.write(JSON.stringify({ msgs_per_s: n / ((performance.now() - t0) / 1000) }) + "\n", () => child.stdin.end());
}
