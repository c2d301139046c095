// Where a KV read's heap allocations come from, through the whole server: a dev server in
// this process (file audit, policy token, as bench/kv-read.mjs sets it up) read by a child
// process over 32 keep-alive connections, with V8's sampling heap profiler counting every
// sampled allocation, also of objects that died young. A diagnosis aid for the garbage
// collector's share of bench/kv-read.mjs, not a benchmark. Run after `npm run build`:
//   node bench/lib/kv-read-allocations.mjs [--reads 40000] [--top 30]
import { fork } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { startHeapSampling } from "./heap-sampling.mjs";
import { makeTempDir, mayflyRoot, removeDir } from "./proc.mjs";
import { argument, fmtInt } from "./stats.mjs";

const reads = Number(argument("reads", "40000"));
const top = Number(argument("top", "30"));

if (process.argv[2] === "--client") {
  // The child: a closed loop of raw keep-alive requests, one in flight per socket.
  const net = await import("node:net");
  const [, , , port, token, count] = process.argv;
  const request = Buffer.from(`GET /v1/secret/data/bench/app-config HTTP/1.1\r\nHost: x\r\nX-Vault-Token: ${token}\r\n\r\n`, "latin1");
  let left = Number(count);
  let open = 32;
  for (let i = 0; i < 32; i++) {
    const s = net.connect(Number(port), "127.0.0.1", () => s.write(request));
    let buf = "";
    s.on("data", (d) => {
      buf += d.toString("latin1");
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
      if (buf.length < end + 4 + length) return;
      buf = "";
      if (--left > 0) s.write(request);
      else {
        s.end();
        if (--open === 0) process.exit(0);
      }
    });
  }
} else {
  const load = (p) => import(pathToFileURL(join(mayflyRoot, "dist", p)).href);
  const { startDevServer } = await load("server/dev.js");
  const { silentLogger } = await load("server/logger.js");
  const dir = makeTempDir("allocations");
  const server = await startDevServer({ rootTokenId: "root", listenAddress: "127.0.0.1:0", logger: silentLogger, homeDir: dir });
  const base = server.addresses[0];
  const api = async (method, path, body) => {
    const r = await fetch(`${base}/v1/${path}`, { method, headers: { "X-Vault-Token": "root" }, body: JSON.stringify(body) });
    const text = await r.text();
    if (r.status >= 400) throw new Error(`${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  await api("PUT", "sys/policies/acl/bench-kv-read", { policy: 'path "secret/data/bench/*" { capabilities = ["read"] }' });
  await api("PUT", "secret/data/bench/app-config", { data: { username: "app", password: "Zk3-pL9q-vX2m-R7tw", url: "postgresql://db.internal:5432/app" } });
  const token = (await api("PUT", "auth/token/create", { policies: ["bench-kv-read"], ttl: "2h" })).auth.client_token;
  await api("PUT", "sys/audit/file", { type: "file", options: { file_path: join(dir, "audit.log") } });
  const port = new URL(base).port;
  const run = (n) =>
    new Promise((resolve, reject) => {
      const child = fork(new URL(import.meta.url).pathname, ["--client", port, token, String(n)]);
      child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`client exited ${code}`))));
    });
  await run(5000); // warm-up: the JIT and the caches settle first

  const sampling = await startHeapSampling();
  await run(reads);
  const { bytesPerOp, frames } = await sampling.stop(reads);
  await server.close();
  removeDir(dir);

  console.log(`kv-read allocations: ${fmtInt(bytesPerOp)} bytes per read (sampled, ${fmtInt(reads)} reads)`);
  for (const { frame, bytesPerOp: b } of frames.slice(0, top)) console.log(`  ${fmtInt(b).padStart(7)} B  ${frame}`);
}
