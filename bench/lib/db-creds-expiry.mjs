// bench/db-creds.mjs's last part: 10,000 leases expiring in the same second, against
// dropping 10,000 roles directly through a pool of the same size.
import { spawn } from "node:child_process";
import { cpuSplitMicros, loadAverage, mainThreadCpuMicros, processTreeCpuMicros } from "./proc.mjs";
import { inTransaction, runAll } from "./db-creds-env.mjs";
import {
  CREATE_STATEMENT,
  directUsername,
  EXPIRY_REVOKE_CONCURRENCY,
  expiryCount,
  GRANT_STATEMENT,
  levels,
  password20,
  perfFile,
  render,
  REVOKE_STATEMENTS,
} from "./db-creds-options.mjs";

export async function expiryTest(env, issueRate) {
  const { client, direct, admin, mayfly } = env;
  const clients = 32;
  // Enough lead for the issuance at the rate just measured, with room for a slow patch.
  const leadSeconds = Math.ceil((expiryCount / issueRate) * 1.8) + 20;
  const expirySec = Math.floor(Date.now() / 1000) + leadSeconds;
  // Every lease must expire in the same second: the role's TTL is lowered by one each
  // second so that issue time + TTL lands on `expirySec` whenever a request is served.
  const setTtl = () =>
    mayfly.api.call("POST", "database/roles/bench-expiry", {
      db_name: "bench-pg",
      creation_statements: [CREATE_STATEMENT, GRANT_STATEMENT],
      revocation_statements: REVOKE_STATEMENTS,
      default_ttl: expirySec - Math.floor(Date.now() / 1000),
      max_ttl: "24h",
    });
  await setTtl();
  let ticking = true;
  const ticker = (async () => {
    while (ticking) {
      await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 1));
      if (ticking) await setTtl();
    }
  })();
  const expiries = [];
  const started = Date.now();
  await runAll(Array.from({ length: expiryCount }), clients, async () => {
    const r = await client.request("GET", "database/creds/bench-expiry");
    expiries.push(Date.now() + r.lease_duration * 1000);
  });
  ticking = false;
  await ticker;
  const issueSeconds = (Date.now() - started) / 1000;
  if (Date.now() > expirySec * 1000 - 1000) {
    throw new Error(`issuing ${expiryCount} credentials took ${issueSeconds.toFixed(0)} s and overran the expiry; the estimate was too low`);
  }
  const spreadMs = Math.max(...expiries) - Math.min(...expiries);
  const count = async () =>
    (await admin.query("SELECT count(*)::int AS n FROM pg_roles WHERE rolname LIKE 'v-token-bench-ex-%'")).rows[0].n;
  const live = await count();
  if (live !== expiryCount) throw new Error(`expected ${expiryCount} live roles, found ${live}`);

  // Watch the roles go from the start of the expiry second.
  const loadAtExpiry = loadAverage();
  while (Date.now() < expirySec * 1000 - 300) await new Promise((r) => setTimeout(r, 100));
  const sessions = async () => (await admin.query("SELECT sessions FROM pg_stat_database WHERE datname = 'postgres'")).rows[0].sessions;
  const sessionsBefore = await sessions();
  const perf = perfFile && levels.length === 0 ? startPerf(mayfly.pid) : undefined;
  const cpuBefore = { ...cpuSplitMicros(mayfly.pid), mainUs: mainThreadCpuMicros(mayfly.pid), pgUs: processTreeCpuMicros(env.pg.pid) };
  let firstDropMs = 0;
  let lastDropMs = 0;
  const timeoutMs = expirySec * 1000 + 15 * 60_000;
  while (Date.now() < timeoutMs) {
    const n = await count();
    const now = Date.now();
    if (n < expiryCount && firstDropMs === 0) firstDropMs = now;
    if (n === 0) {
      lastDropMs = now;
      break;
    }
    // Every 50 ms: the count scans pg_roles, and polling faster would take CPU from the revocations.
    await new Promise((r) => setTimeout(r, 50));
  }
  if (lastDropMs === 0) throw new Error("the expired credentials were not all dropped within 15 minutes");
  const cpuAfter = { ...cpuSplitMicros(mayfly.pid), mainUs: mainThreadCpuMicros(mayfly.pid), pgUs: processTreeCpuMicros(env.pg.pid) };
  await perf?.stop();
  // New server sessions mean new connections, each a SCRAM exchange the server pays for.
  const newSessions = (await sessions()) - sessionsBefore;
  const mayflyCpu = {
    processUs: (cpuAfter.userUs + cpuAfter.systemUs - cpuBefore.userUs - cpuBefore.systemUs) / expiryCount,
    mainUs: (cpuAfter.mainUs - cpuBefore.mainUs) / expiryCount,
    pgUs: (cpuAfter.pgUs - cpuBefore.pgUs) / expiryCount,
  };
  const mayflySeconds = (lastDropMs - expirySec * 1000) / 1000;
  const leasesLeft = await mayfly.api.call("LIST", "sys/leases/lookup/database/creds/bench-expiry/", undefined, { allow: [404] });
  const leaseCount = leasesLeft.status === 404 ? 0 : (leasesLeft.body?.data?.keys?.length ?? 0);

  // Baseline: the same number of roles, made directly, then dropped directly through a pool
  // of the same size with as many drops in flight as Mayfly's expiry revocations.
  const names = [];
  await runAll(Array.from({ length: expiryCount }), clients, async () => {
    const values = { name: directUsername("bench-expiry"), password: password20(), expiration: new Date(Date.now() + 3600_000).toISOString() };
    await inTransaction(direct, [render(CREATE_STATEMENT, values), render(GRANT_STATEMENT, values)]);
    names.push(values.name);
  });
  const directBefore = { self: process.cpuUsage(), pgUs: processTreeCpuMicros(env.pg.pid) };
  const dropped = await runAll(names, EXPIRY_REVOKE_CONCURRENCY, (name) => inTransaction(direct, REVOKE_STATEMENTS.map((st) => render(st, { name }))));
  const selfUsed = process.cpuUsage(directBefore.self);
  const directCpu = { clientUs: (selfUsed.user + selfUsed.system) / expiryCount, pgUs: (processTreeCpuMicros(env.pg.pid) - directBefore.pgUs) / expiryCount };
  const directSeconds = dropped.elapsedUs / 1e6;
  return {
    issueSeconds,
    spreadMs,
    firstDropAfterExpiryMs: firstDropMs - expirySec * 1000,
    mayflySeconds,
    directSeconds,
    leaseCount,
    loadAtExpiry,
    mayflyCpu,
    directCpu,
    newSessions,
  };
}

export function startPerf(pid) {
  const perf = spawn("perf", ["record", "-e", "cpu-clock", "-F", "499", "-g", "-p", String(pid), "-o", perfFile], { stdio: "ignore" });
  return {
    async stop() {
      perf.kill("SIGINT");
      await new Promise((r) => perf.once("exit", r));
    },
  };
}
