// Instructions per KV read, counted by valgrind's callgrind: unlike the HTTP benchmark's
// rates, the counts do not move with the machine's load, so a change of a microsecond shows.
// A diagnosis aid for bench/kv-read.mjs (session 6 in BENCHMARKS.md). Run after `npm run build`:
//
//   node bench/lib/callgrind-kv-read.mjs [--mode process|server|bare] [--calls 10000]
//
// process: the pipeline in one process (kv-read-breakdown.mjs --only audit: file audit, 32
//          in flight); server: `mayfly server -dev` under callgrind, read over 32 raw
//          keep-alive connections (user space only; the kernel's share is not counted);
//          bare: a node:http server answering a body of the same shape, in the same harness.
// Each mode runs twice (a few calls, then `--calls` more) and prints the difference per call,
// so start-up and set-up cancel out. MAYFLY_ROOT measures another build. Takes minutes.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { rawJsonClient } from "./http-client.mjs";
import { freePort, makeTempDir, mayflyRoot, removeDir } from "./proc.mjs";
import { argument, fmtInt } from "./stats.mjs";

const mode = argument("mode", "process");
const calls = Number(argument("calls", "10000"));
const FEW = 1000;
const dir = makeTempDir("callgrind");

function callgrind(args, env = {}) {
  const out = join(dir, `callgrind.${Math.random().toString(36).slice(2)}`);
  const child = spawn("valgrind", ["--tool=callgrind", `--callgrind-out-file=${out}`, process.execPath, ...args], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, HOME: dir, ...env },
  });
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const done = new Promise((resolve) => child.once("exit", () => resolve(Number(/Collected : (\d+)/.exec(err)?.[1] ?? NaN))));
  return { child, done };
}

async function inProcess(n) {
  const script = fileURLToPath(new URL("./kv-read-breakdown.mjs", import.meta.url));
  // kv-read-breakdown warms up with min(n, 2000) calls, then makes three passes of n.
  return { instructions: await callgrind([script, "--only", "audit", "--calls", String(n)]).done, reads: 3 * n + Math.min(n, 2000) };
}

const BARE = `import http from "node:http";
const body = Buffer.from(JSON.stringify({ request_id: "0c4d3bd6-8e1c-4c4c-8a28-1f2d3e4f5a6b", lease_id: "", renewable: false, lease_duration: 0,
  data: { data: { password: "x".repeat(18), url: "postgresql://db.internal:5432/app", username: "app" },
  metadata: { created_time: "2026-11-30T07:00:00.000000000Z", custom_metadata: null, deletion_time: "", destroyed: false, version: 1 } },
  wrap_info: null, warnings: null, auth: null, mount_type: "kv" }));
http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  req.resume();
  res.writeHead(200, { "cache-control": "no-store", "content-type": "application/json", "content-length": body.length });
  res.end(body);
}).listen(Number(process.argv[2]), "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
`;

async function overHttp(n) {
  const port = await freePort();
  let args;
  if (mode === "bare") {
    const file = join(dir, "bare.mjs");
    writeFileSync(file, BARE);
    args = [file, String(port)];
  } else {
    args = [join(mayflyRoot, "bin", "mayfly"), "server", "-dev", "-dev-root-token-id=root", `-dev-listen-address=127.0.0.1:${port}`];
  }
  const { child, done } = callgrind(args);
  const base = `http://127.0.0.1:${port}/v1/`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}sys/health`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (i > 600) throw new Error("server did not start under valgrind");
    await new Promise((r) => setTimeout(r, 500));
  }
  const api = async (method, path, body, token = "root") => {
    const r = await fetch(base + path, { method, headers: { "X-Vault-Token": token, "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const text = await r.text();
    if (r.status >= 400) throw new Error(`${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  let token = "unused";
  if (mode === "server") {
    // The state bench/kv-read.mjs reads in: a policy token, one secret, a file audit device.
    await api("PUT", "sys/policies/acl/bench-kv-read", { policy: 'path "secret/data/bench/*" { capabilities = ["read"] }' });
    await api("PUT", "secret/data/bench/app-config", { data: { username: "app", password: "Zk3-pL9q-vX2m-R7tw", url: "postgresql://db.internal:5432/app" } });
    token = (await api("PUT", "auth/token/create", { policies: ["bench-kv-read"], ttl: "2h" })).auth.client_token;
    await api("PUT", "sys/audit/file", { type: "file", options: { file_path: join(dir, "audit.log") } });
  }
  const client = rawJsonClient(port, token);
  let next = 0;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < n) {
      next++;
      await client.request("GET", "secret/data/bench/app-config");
    }
  }));
  client.close();
  child.kill("SIGTERM");
  return { instructions: await done, reads: n };
}

const measure = mode === "process" ? inProcess : overHttp;
try {
  const few = await measure(FEW);
  const many = await measure(FEW + calls);
  const perRead = (many.instructions - few.instructions) / (many.reads - few.reads);
  console.log(`callgrind kv-read  mode ${mode}  ${fmtInt(perRead)} instructions per read (${mayflyRoot})`);
} finally {
  removeDir(dir);
}
