// KV v2 reads over HTTP with a file audit device enabled (issue 2, point 14), beside a bare
// node:http server answering the same bytes, measured in the same run. Run after
// `npm run build`:
//
//   node bench/kv-read.mjs [--rounds 7] [--slice-ms 1500] [--connections 32]
//                          [--generators 1] [--root-token] [--no-acl] [--profile DIR]
//                          [--no-audit]   (diagnosis only: the target is with audit)
//
// Both servers run in their own processes; the load generator runs in one or more others
// (raw keep-alive sockets, one request in flight per connection). The machine is shared, so
// the targets take turns in short slices, round after round, and each figure is the median
// over rounds; a burst of someone else's work then lands on both alike. The bare server is
// also driven by a two-process generator each round: if that is not clearly faster than
// the one-process generator, the generator is not the bottleneck.
//
// Reads use a token holding only a read policy on the secret (not the root token, which
// skips the ACL), so the ACL decision, token lookup and the audit device's HMACs all count.
import { spawnSync } from "node:child_process";
import { existsSync, statSync, readFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { startBareServer } from "./lib/bare-server.mjs";
import { getRequest, startLoadGenerator } from "./lib/load.mjs";
import { startMayflyDev } from "./lib/mayfly.mjs";
import { cpuSplitMicros, loadAverage, mayflyRoot } from "./lib/proc.mjs";
import { argument, fmtInt, fmtMs, latencySummaryMs, median } from "./lib/stats.mjs";

const rounds = Number(argument("rounds", "7"));
const sliceMs = Number(argument("slice-ms", "1500"));
const connections = Number(argument("connections", "32"));
const generatorProcesses = Number(argument("generators", "1"));
const useRootToken = argument("root-token", "false") === "true";
const runAcl = argument("no-acl", "false") !== "true";
const profileDir = argument("profile", "");
// Diagnosis only: without the audit device the target does not apply.
const withAudit = argument("no-audit", "false") !== "true";

const SECRET_PATH = "/v1/secret/data/bench/app-config";

function rawGet(port, path, token) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path, headers: { "X-Vault-Token": token } }, (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on("error", reject);
  });
}

async function setUpMayfly() {
  const nodeFlags = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  const mayfly = await startMayflyDev({ nodeFlags });
  const auditPath = join(mayfly.dir, "audit.log");
  if (withAudit) await mayfly.api.call("PUT", "sys/audit/file", { type: "file", options: { file_path: auditPath } });
  await mayfly.api.call("PUT", "sys/policies/acl/bench-kv-read", {
    policy: 'path "secret/data/bench/*" { capabilities = ["read"] }',
  });
  await mayfly.api.call("PUT", "secret/data/bench/app-config", {
    data: { username: "app", password: "Zk3-pL9q-vX2m-R7tw", url: "postgresql://db.internal:5432/app" },
  });
  let token = mayfly.api.token;
  if (!useRootToken) {
    const created = await mayfly.api.call("POST", "auth/token/create", { policies: ["bench-kv-read"], ttl: "2h" });
    token = created.body.auth.client_token;
  }
  return { mayfly, auditPath, token };
}

function summarise(samples) {
  const all = [];
  for (const s of samples) for (const v of s.latenciesUs) all.push(v);
  const rates = samples.map((s) => s.latenciesUs.length / (s.elapsedUs / 1e6));
  return { rate: median(rates), rates, ...latencySummaryMs(all) };
}

async function main() {
  const loadBefore = loadAverage();
  const { mayfly, auditPath, token } = await setUpMayfly();
  const sample = await rawGet(mayfly.port, SECRET_PATH, token);
  if (sample.status !== 200) throw new Error(`mayfly answered ${sample.status}: ${sample.body}`);
  const bare = await startBareServer({
    path: SECRET_PATH,
    body: sample.body,
    headers: { "cache-control": sample.headers["cache-control"], "content-type": sample.headers["content-type"] },
  });
  const generator = await startLoadGenerator(generatorProcesses);
  const checkGenerator = await startLoadGenerator(generatorProcesses === 1 ? 2 : 1);
  const request = getRequest(SECRET_PATH, { "X-Vault-Token": token });
  const targets = [
    { name: "mayfly", pid: mayfly.pid, run: await generator.target(mayfly.port, request, connections) },
    { name: "bare", pid: bare.pid, run: await generator.target(bare.port, request, connections) },
    { name: `bare-${checkGenerator.processes}gen`, pid: bare.pid, run: await checkGenerator.target(bare.port, request, connections) },
    // Mayfly's HTTP layer alone (sys/health skips token, ACL, audit and storage): how close
    // to the bare server any request can come, which bounds what the pipeline may cost.
    { name: "mayfly-health", pid: mayfly.pid, run: await generator.target(mayfly.port, getRequest("/v1/sys/health"), connections) },
  ];
  try {
    // Warm-up: JIT, connection set-up, the token cache.
    let warmUpRequests = 0;
    for (let i = 0; i < 2; i++) for (const t of targets) warmUpRequests += t === targets[0] ? (await t.run(700)).latenciesUs.length : (await t.run(700), 0);
    const auditBytesBefore = withAudit ? statSync(auditPath).size : 0;
    for (const t of targets) Object.assign(t, { samples: [], cpuUs: 0, userUs: 0, systemUs: 0, requests: 0, errors: 0 });
    const ratios = [];
    for (let round = 0; round < rounds; round++) {
      // Alternate the order so neither target always runs right after the other.
      // A profiled run drives Mayfly alone, so its profile holds little but the load.
      const active = profileDir ? targets.slice(0, 1) : targets;
      const order = round % 2 === 0 ? active : [...active].reverse();
      for (const t of order) {
        const cpuBefore = cpuSplitMicros(t.pid);
        const result = await t.run(sliceMs);
        const cpuAfter = cpuSplitMicros(t.pid);
        t.userUs += cpuAfter.userUs - cpuBefore.userUs;
        t.systemUs += cpuAfter.systemUs - cpuBefore.systemUs;
        t.cpuUs = t.userUs + t.systemUs;
        t.requests += result.latenciesUs.length;
        t.errors += result.errors;
        if (result.errors > 0) throw new Error(`${t.name}: ${result.errors} non-200 responses, first:\n${result.firstError}`);
        t.samples.push(result);
      }
      if (profileDir) continue;
      const [m, b] = targets.map((t) => t.samples[round]);
      ratios.push(m.latenciesUs.length / m.elapsedUs / (b.latenciesUs.length / b.elapsedUs));
    }
    if (profileDir) {
      const m = summarise(targets[0].samples);
      console.log(`profiled: mayfly ${fmtInt(m.rate)} req/s, ${fmtInt(targets[0].requests)} requests measured + ${fmtInt(warmUpRequests)} in warm-up; ` +
        `server cpu/request ${fmtInt(targets[0].cpuUs / targets[0].requests)} µs; profile written to ${profileDir} when the server stops`);
      return;
    }
    const auditLines = withAudit ? countLines(auditPath, auditBytesBefore) : 0;
    const [m, b, b2, h] = targets.map((t) => ({ ...t, ...summarise(t.samples), cpuUsPerRequest: t.cpuUs / t.requests }));
    const ratio = median(ratios);
    const loadAfter = loadAverage();

    console.log(`kv-read   mayfly ${fmtInt(m.rate)} req/s  p50 ${fmtMs(m.p50)} ms  p99 ${fmtMs(m.p99)} ms | bare node:http ${fmtInt(b.rate)} req/s  p50 ${fmtMs(b.p50)} ms  p99 ${fmtMs(b.p99)} ms | ratio ${ratio.toFixed(2)}`);
    console.log(`          server cpu/request: mayfly ${fmtInt(m.cpuUsPerRequest)} µs, bare ${fmtInt(b.cpuUsPerRequest)} µs (ratio ${(b.cpuUsPerRequest / m.cpuUsPerRequest).toFixed(2)})`);
    const split = (t) => `user ${fmtInt(t.userUs / t.requests)} + system ${fmtInt(t.systemUs / t.requests)} µs`;
    console.log(`          of which: mayfly ${split(m)}, bare ${split(b)}`);
    console.log(`          per-round ratios ${ratios.map((r) => r.toFixed(2)).join(" ")}; ${rounds} rounds x ${sliceMs} ms, ${connections} connections, ${useRootToken ? "root token" : "policy token"}`);
    console.log(`          http layer alone: mayfly GET sys/health ${fmtInt(h.rate)} req/s, ratio ${(h.rate / b.rate).toFixed(2)}, server cpu/request ${fmtInt(h.cpuUsPerRequest)} µs`);
    console.log(`          generator check: bare with ${generatorProcesses} generator process(es) ${fmtInt(b.rate)} req/s, with ${checkGenerator.processes} ${fmtInt(b2.rate)} req/s`);
    console.log(`          audit: ${fmtInt(auditLines)} lines for ${fmtInt(m.requests)} mayfly requests (${(auditLines / m.requests).toFixed(2)} per request)`);
    console.log(`          load average before ${loadBefore.one} after ${loadAfter.one} (2 cores shared with other work)`);
    const met = (ok) => (ok ? "met" : "MISSED");
    console.log(`targets: ratio >= 0.50 ${met(ratio >= 0.5)}; p99 <= 5 ms ${met(m.p99 <= 5)}`);
  } finally {
    generator.close();
    checkGenerator.close();
    bare.stop();
    await mayfly.stop();
  }
  if (runAcl) {
    const aclBench = join(mayflyRoot, "bench", "acl.mjs");
    if (existsSync(aclBench)) {
      const r = spawnSync(process.execPath, [aclBench], { encoding: "utf8" });
      process.stdout.write(r.stdout.split("\n").map((l) => (l ? `acl       ${l}` : l)).join("\n"));
      if (r.status !== 0) process.stderr.write(r.stderr);
    }
  }
}

function countLines(path, fromByte) {
  const text = readFileSync(path).subarray(fromByte);
  let n = 0;
  for (const byte of text) if (byte === 10) n++;
  return n;
}

await main();
