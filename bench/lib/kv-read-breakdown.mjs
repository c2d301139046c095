// Where a KV v2 read's server time goes, measured in one process without the network, so
// the figures are CPU per call and steadier than the HTTP benchmark's on a shared machine.
// A diagnosis aid for bench/kv-read.mjs, not a target of its own. Run after `npm run build`:
//   node bench/lib/kv-read-breakdown.mjs [--calls 20000] [--only audit|no-audit]
// With --only, one pipeline variant runs (for `node --cpu-prof`).
// Each stage is timed alone, in the same state the HTTP benchmark leaves the server in
// (dev server, file audit device, policy token), by calling the built modules directly.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { makeTempDir, mayflyRoot, removeDir } from "./proc.mjs";
import { argument, fmtInt } from "./stats.mjs";

const calls = Number(argument("calls", "20000"));
const load = (p) => import(pathToFileURL(join(mayflyRoot, "dist", p)).href);
const { startDevServer } = await load("server/dev.js");
const { silentLogger } = await load("server/logger.js");
const { handleRequest } = await load("core/request-handler.js");
const { replyFor } = await load("http/envelope.js");

const dir = makeTempDir("breakdown");
const server = await startDevServer({ rootTokenId: "root", listenAddress: "127.0.0.1:0", logger: silentLogger, homeDir: dir });
const core = server.core;

const connection = { remoteAddress: "127.0.0.1", remotePort: 40000 };
const call = (operation, path, data = {}, clientToken = "root") =>
  handleRequest(core, { operation, path, data, clientToken, connection, headers: {} });

await call("write", "sys/policies/acl/bench-kv-read", { policy: 'path "secret/data/bench/*" { capabilities = ["read"] }' });
await call("write", "secret/data/bench/app-config", {
  data: { username: "app", password: "Zk3-pL9q-vX2m-R7tw", url: "postgresql://db.internal:5432/app" },
});
const created = await call("write", "auth/token/create", { policies: ["bench-kv-read"], ttl: "2h" });
const token = created.response.auth?.clientToken ?? created.response.auth?.client_token ?? findToken(created.response);

function findToken(response) {
  const text = JSON.stringify(response);
  const m = /"(?:client_token|clientToken)":"([^"]+)"/.exec(text);
  if (!m) throw new Error(`no token in ${text.slice(0, 300)}`);
  return m[1];
}

/**
 * Mean CPU microseconds per call of `fn` (after a warm-up), user + system, with `inFlight`
 * calls outstanding at a time (32 is what the HTTP benchmark's connections make).
 */
async function cpuPerCall(fn, n = calls, inFlight = 1) {
  const loop = async (count) => {
    for (let i = 0; i < count; i++) await fn();
  };
  await Promise.all(Array.from({ length: inFlight }, () => loop(Math.ceil(Math.min(n, 2000) / inFlight))));
  // The least of three passes: other work on a shared machine only ever adds to CPU time.
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const before = process.cpuUsage();
    await Promise.all(Array.from({ length: inFlight }, () => loop(Math.ceil(n / inFlight))));
    const used = process.cpuUsage(before);
    best = Math.min(best, (used.user + used.system) / (Math.ceil(n / inFlight) * inFlight));
  }
  return best;
}

const read = (t) => () => call("read", "secret/data/bench/app-config", {}, t);
const readReply = (t) => async () => {
  const h = await read(t)();
  return replyFor(h.requestId, h.response, h.mountType).body;
};
const only = argument("only", "");
if (only === "no-audit") {
  await cpuPerCall(read(token), calls);
  process.exit(0);
}
if (only === "audit") {
  await call("write", "sys/audit/file", { type: "file", options: { file_path: join(dir, "audit.log") } });
  // 32 in flight, as the HTTP benchmark's connections keep it: audit writes share a turn.
  await cpuPerCall(read(token), calls, 32);
  await server.close();
  removeDir(dir);
  process.exit(0);
}
const rows = [];
const row = (name, us, note = "") => rows.push({ name, us, note });

row("pipeline, root token, no audit", await cpuPerCall(read("root")));
row("pipeline, policy token, no audit", await cpuPerCall(read(token)));
row("  the same, 32 in flight", await cpuPerCall(read(token), calls, 32));
row("  + envelope JSON", await cpuPerCall(readReply(token)));
await call("write", "sys/audit/file", { type: "file", options: { file_path: join(dir, "audit.log") } });
row("pipeline, policy token, file audit", await cpuPerCall(read(token)));
row("  the same, 32 in flight", await cpuPerCall(read(token), calls, 32));
row("  + envelope JSON", await cpuPerCall(readReply(token)));

// Stages on their own.
const storage = core.barrier ?? core.storage;
const keys = [];
if (core.barrier && typeof core.barrier.list === "function") {
  const stack = ["logical/"];
  while (stack.length > 0 && keys.length < 2000) {
    const prefix = stack.pop();
    for (const k of await core.barrier.list(prefix)) (k.endsWith("/") ? stack.push(prefix + k) : keys.push(prefix + k));
  }
}
if (core.barrier && keys.length > 0) {
  const sample = keys[0];
  row("barrier.get (one decrypt)", await cpuPerCall(() => core.barrier.get(sample)), sample.replace(/[0-9a-f-]{36}/, "<uuid>"));
}
row("token lookup", await cpuPerCall(() => core.tokens.lookup(token, core.nowMs())));
const entry = await core.tokens.lookup(token, core.nowMs());
row("policy acl() + check", await cpuPerCall(async () => (await core.policies.acl(entry.policies)).check({ path: "secret/data/bench/app-config", operation: "read", data: {} })));
row("metrics.observeRequest", await cpuPerCall(() => core.metrics.observeRequest("secret/", "read", 200, 0.001)));

const { randomUUID } = await import("node:crypto");
row("randomUUID", await cpuPerCall(() => randomUUID()));
const { createHmac, createSecretKey } = await import("node:crypto");
const key = createSecretKey(Buffer.alloc(32, 7));
row("one HMAC-SHA256 (createHmac)", await cpuPerCall(() => createHmac("sha256", key).update("Zk3-pL9q-vX2m-R7tw").digest("hex")));

console.log(`kv-read breakdown, ${fmtInt(calls)} calls each, CPU µs per call (user + system), in one process:`);
for (const r of rows) console.log(`  ${r.name.padEnd(40)} ${r.us.toFixed(1).padStart(7)} µs  ${r.note}`);
await server.close();
removeDir(dir);
