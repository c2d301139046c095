// Database credentials (issue 3, point 11): issuance (`GET database/creds/<role>`) and
// revocation (`PUT sys/leases/revoke`, sync) through a Mayfly dev server, beside the same
// statements executed directly with `pg`, in the same run; then 10,000 leases expiring in
// the same second, against dropping 10,000 roles directly. Run after `npm run build`:
//
//   node bench/db-creds.mjs [--levels 1,8,32|none] [--rounds 5] [--slice-ms 3000] [--warmup-ms 2000] [--pool 8]
//                           [--warmup-ops 3000]
//                           [--expiry-count 10000] [--skip-expiry] [--grant group|direct]
//                           [--no-audit] [--no-floor] [--storage inmem|sqlite] [--profile DIR] [--perf FILE]
//
// Unless --no-floor, a third side runs in every round: bare node:http in front of a pg.Pool
// doing the direct side's transactions (bench/lib/db-creds-floor.mjs), the least any HTTP
// service between client and database costs.
//
// --profile writes a V8 CPU profile of the Mayfly server (wall-clock samples: on a loaded
// machine a socket write that wakes PostgreSQL looks long); --perf records on-CPU samples of
// the server with Linux perf instead (perf report -i FILE --no-children --sort sym).
//
// Set-up, the realistic one: the database has a NOLOGIN group role `bench_readonly` holding
// SELECT on the tables; each credential is a LOGIN role with a password and VALID UNTIL,
// made a member of that group (`--grant direct` grants SELECT ON ALL TABLES IN SCHEMA
// public to each user instead, which Mayfly warns about and serialises, and revokes it
// before the drop). Revocation is `DROP ROLE IF EXISTS "{{name}}"`, which also ends the
// membership. Mayfly connects as a
// CREATEROLE admin over SCRAM, with max_open_connections = --pool; the direct side uses a
// pg.Pool of the same size, the same statements in one transaction, and usernames and
// passwords of the same shape (Vault's default template, 20-character passwords).
//
// The machine is shared: each concurrency level runs in rounds that alternate Mayfly and
// direct, and figures are medians over rounds (latency percentiles over all samples).
// Before the first level both sides issue and revoke --warmup-ops credentials: V8 compiles
// a function only after many calls, and with a 2-second warm-up the first level's rounds
// still ran partly unoptimised code (TurboFan's threads were ~30% of the server's CPU
// samples at 8 clients), which a long-running server does not.
import { expiryTest, startPerf } from "./lib/db-creds-expiry.mjs";
import { operations, runAll, runFor, setUp } from "./lib/db-creds-env.mjs";
import { startFloorServer } from "./lib/db-creds-floor.mjs";
import { rawJsonClient } from "./lib/http-client.mjs";
import {
  ADMIN_PASSWORD,
  ADMIN_USER,
  EXPIRY_REVOKE_CONCURRENCY,
  expiryCount,
  grantKind,
  levels,
  perfFile,
  poolSize,
  rounds,
  skipExpiry,
  storageKind,
  sliceMs,
  warmupMs,
  warmupOps,
  withAudit,
  withFloor,
} from "./lib/db-creds-options.mjs";
import { cpuSplitMicros, loadAverage, mainThreadCpuMicros, processTreeCpuMicros } from "./lib/proc.mjs";
import { fmtInt, fmtMs, latencySummaryMs, median } from "./lib/stats.mjs";

// ---- issuance and revocation at 1, 8, 32 clients ---------------------------------------

/** The sides measured: Mayfly, the direct `pg` client, and with --floor a bare HTTP server in front of `pg`. */
function sidesOf(env) {
  const ops = operations(env);
  const sides = {
    mayfly: { issue: ops.issueMayfly, revoke: ops.revokeMayfly, pid: env.mayfly.pid },
    direct: { issue: ops.issueDirect, revoke: ops.revokeDirect, pid: undefined },
  };
  if (env.floor) sides.floor = { issue: ops.issueFloor, revoke: ops.revokeFloor, pid: env.floor.pid };
  return sides;
}

/** Before the first level: every side issues and revokes `warmupOps` credentials at 8 clients. */
async function warmUp(env) {
  if (warmupOps <= 0) return;
  for (const { issue, revoke } of Object.values(sidesOf(env))) {
    const issued = [];
    await runAll(Array.from({ length: warmupOps }), 8, async () => issued.push(await issue()));
    await runAll(issued, 8, revoke);
  }
}

async function measureLevel(env, clients) {
  const sides = sidesOf(env);
  const names = Object.keys(sides);
  const samples = {};
  for (const name of names) samples[name] = { issue: [], revoke: [] };
  // CPU per operation: the server process of a side (Mayfly's, the floor's), or this
  // process (the pg client) for the direct side, so the client-side cost of each can be
  // set side by side.
  const cpu = {};
  const account = (key, ops, before, after) => {
    const c = (cpu[key] ??= { userUs: 0, systemUs: 0, mainUs: 0, pgUs: 0, ops: 0 });
    for (const k of ["userUs", "systemUs", "mainUs", "pgUs"]) c[k] += after[k] - before[k];
    c.ops += ops;
  };
  const cpuOf = (name) => {
    const pid = sides[name].pid;
    const u = process.cpuUsage();
    return {
      ...(pid !== undefined ? cpuSplitMicros(pid) : { userUs: u.user, systemUs: u.system }),
      mainUs: pid !== undefined ? mainThreadCpuMicros(pid) : 0,
      pgUs: processTreeCpuMicros(env.pg.pid),
    };
  };
  // Warm-up, not measured: connections in every pool, and the JIT (V8 needs a few hundred
  // calls of each path before its optimised code runs; at 1 client half a second is ~100).
  for (const { issue, revoke } of Object.values(sides)) {
    const warm = await runFor(warmupMs, clients, issue);
    await runAll(warm.results, clients, revoke);
  }

  for (let round = 0; round < rounds; round++) {
    // Each round starts with another side, so that no side always follows the same one.
    const order = names.map((_, i) => names[(i + round) % names.length]);
    const issued = {};
    for (const name of order) {
      const cpu0 = cpuOf(name);
      const r = await runFor(sliceMs, clients, sides[name].issue);
      account(`issue-${name}`, r.results.length, cpu0, cpuOf(name));
      samples[name].issue.push(r);
      issued[name] = r.results;
    }
    for (const name of order) {
      const cpu0 = cpuOf(name);
      const r = await runAll(issued[name], clients, sides[name].revoke);
      account(`revoke-${name}`, issued[name].length, cpu0, cpuOf(name));
      samples[name].revoke.push(r);
    }
  }
  const left = await env.admin.query("SELECT count(*)::int AS n FROM pg_roles WHERE rolname LIKE 'v-%'");
  if (left.rows[0].n !== 0) throw new Error(`${left.rows[0].n} generated roles left after revocation`);
  return { samples, cpu };
}

const rateOf = (s) => s.latenciesUs.length / (s.elapsedUs / 1e6);
const pooledLatency = (samples) => latencySummaryMs(samples.flatMap((s) => s.latenciesUs));

function compare(mayflySamples, directSamples) {
  const ratios = mayflySamples.map((m, i) => rateOf(m) / rateOf(directSamples[i]));
  const m = { rate: median(mayflySamples.map(rateOf)), ...pooledLatency(mayflySamples) };
  const d = { rate: median(directSamples.map(rateOf)), ...pooledLatency(directSamples) };
  return { m, d, ratio: median(ratios), ratios, addedMedianMs: m.p50 - d.p50 };
}

// ---- main -----------------------------------------------------------------------------

async function main() {
  const loadBefore = loadAverage();
  const env = await setUp();
  if (withFloor) {
    env.floor = await startFloorServer(env.pg.clientConfig(ADMIN_USER, ADMIN_PASSWORD), poolSize);
    env.floorClient = rawJsonClient(env.floor.port, "none");
  }
  let issueRate32;
  const met = (ok) => (ok ? "met" : "MISSED");
  try {
    console.log(
      `db-creds  PostgreSQL ${env.pg.version.split(" ")[0]}, pool ${poolSize} (max_open_connections) both sides, ` +
        `${grantKind === "group" ? "group-role grant" : "direct table grant"}, revocation ${grantKind === "direct" ? "REVOKE + " : ""}DROP ROLE, ${withAudit ? "file audit on" : "no audit"}, ${storageKind === "sqlite" ? "SQLite storage" : "dev server (in-memory storage)"}, ` +
        `${rounds} rounds x ${sliceMs} ms per level after ${fmtInt(warmupOps)} credentials issued and revoked on each side`,
    );
    // --perf records the levels, or with --levels none the expiry.
    if (levels.length > 0) await warmUp(env);
    const perf = perfFile && levels.length > 0 ? startPerf(env.mayfly.pid) : undefined;
    for (const clients of levels) {
      const { samples, cpu } = await measureLevel(env, clients);
      for (const op of ["issue", "revoke"]) {
        const c = compare(samples.mayfly[op], samples.direct[op]);
        if (op === "issue" && clients === 32) issueRate32 = c.m.rate;
        console.log(
          `db-creds  ${op.padEnd(6)} c=${String(clients).padEnd(2)}  mayfly ${fmtInt(c.m.rate).padStart(5)} ops/s  p50 ${fmtMs(c.m.p50)} ms  p99 ${fmtMs(c.m.p99)} ms` +
            ` | direct pg ${fmtInt(c.d.rate).padStart(5)} ops/s  p50 ${fmtMs(c.d.p50)} ms  p99 ${fmtMs(c.d.p99)} ms` +
            ` | ratio ${c.ratio.toFixed(2)} (${c.ratios.map((r) => r.toFixed(2)).join(" ")})  median +${fmtMs(c.addedMedianMs)} ms` +
            `  [>=0.90 ${met(c.ratio >= 0.9)}, <=2 ms ${met(c.addedMedianMs <= 2)}]`,
        );
        if (samples.floor) {
          // The floor against the same direct rounds: what the HTTP hop alone leaves.
          const f = compare(samples.floor[op], samples.direct[op]);
          const mf = compare(samples.mayfly[op], samples.floor[op]);
          console.log(
            `          floor: bare node:http + pg ${fmtInt(f.m.rate).padStart(5)} ops/s  p50 ${fmtMs(f.m.p50)} ms  p99 ${fmtMs(f.m.p99)} ms` +
              ` | floor/direct ${f.ratio.toFixed(2)} (${f.ratios.map((r) => r.toFixed(2)).join(" ")})  median +${fmtMs(f.addedMedianMs)} ms` +
              ` | mayfly/floor ${mf.ratio.toFixed(2)}  median +${fmtMs(mf.addedMedianMs)} ms`,
          );
        }
      }
      const per = (k) => `${fmtInt(cpu[k].userUs / cpu[k].ops)}+${fmtInt(cpu[k].systemUs / cpu[k].ops)}`;
      const main = (k) => fmtInt(cpu[k].mainUs / cpu[k].ops);
      const pgPer = (k) => fmtInt(cpu[k].pgUs / cpu[k].ops);
      const floorCpu = (op) => (cpu[`${op}-floor`] ? `, floor server ${per(`${op}-floor`)}` : "");
      console.log(
        `          c=${clients} cpu µs/op (user+sys): issue mayfly server ${per("issue-mayfly")} (main thread ${main("issue-mayfly")}), ` +
          `direct client ${per("issue-direct")}${floorCpu("issue")}; revoke mayfly server ${per("revoke-mayfly")} (main thread ${main("revoke-mayfly")}), ` +
          `direct client ${per("revoke-direct")}${floorCpu("revoke")}`,
      );
      console.log(
        `          c=${clients} PostgreSQL cpu µs/op: issue via mayfly ${pgPer("issue-mayfly")}, direct ${pgPer("issue-direct")}; ` +
          `revoke via mayfly ${pgPer("revoke-mayfly")}, direct ${pgPer("revoke-direct")}`,
      );
    }
    await perf?.stop();
    if (!skipExpiry) {
      if (issueRate32 === undefined) {
        const probe = await runFor(2000, 32, () => env.client.request("GET", "database/creds/bench-ro"));
        issueRate32 = probe.results.length / 2;
        await env.mayfly.api.call("PUT", "sys/leases/revoke-prefix/database/creds/bench-ro", { sync: true });
      }
      const e = await expiryTest(env, issueRate32);
      console.log(
        `db-creds  expiry ${fmtInt(expiryCount)} leases in one second: mayfly all dropped ${e.mayflySeconds.toFixed(2)} s after expiry ` +
          `(first drop +${fmtInt(e.firstDropAfterExpiryMs)} ms) | direct pg DROP ${fmtInt(expiryCount)} roles ${e.directSeconds.toFixed(2)} s ` +
          `(pool ${poolSize}, ${EXPIRY_REVOKE_CONCURRENCY} in flight) | ratio ${(e.mayflySeconds / e.directSeconds).toFixed(2)}  [<=1.20 ${met(e.mayflySeconds <= 1.2 * e.directSeconds)}]`,
      );
      console.log(
        `          issued in ${e.issueSeconds.toFixed(1)} s; expiries spread over ${fmtInt(e.spreadMs)} ms (client-side estimate); ` +
          `leases left afterwards ${e.leaseCount}; load average at expiry ${e.loadAtExpiry.one}`,
      );
      console.log(
        `          cpu µs per revocation: mayfly server ${fmtInt(e.mayflyCpu.processUs)} (main thread ${fmtInt(e.mayflyCpu.mainUs)}), ` +
          `PostgreSQL ${fmtInt(e.mayflyCpu.pgUs)} (${e.newSessions} new sessions) | direct client ${fmtInt(e.directCpu.clientUs)}, PostgreSQL ${fmtInt(e.directCpu.pgUs)}`,
      );
    }
    console.log(`          load average before ${loadBefore.one}, after ${loadAverage().one} (2 cores shared with other work)`);
  } finally {
    env.client.close();
    env.floorClient?.close();
    env.floor?.stop();
    await env.direct.end();
    await env.admin.end();
    await env.mayfly.stop();
    await env.pg.stop();
  }
}

await main();
