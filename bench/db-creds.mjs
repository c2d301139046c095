// Database credentials (issue 3, point 11): issuance (`GET database/creds/<role>`) and
// revocation (`PUT sys/leases/revoke`, sync) through a Mayfly dev server, beside the same
// statements executed directly with `pg`, in the same run; then 10,000 leases expiring in
// the same second, against dropping 10,000 roles directly. Run after `npm run build`:
//
//   node bench/db-creds.mjs [--levels 1,8,32|none] [--rounds 5] [--slice-ms 3000] [--warmup-ms 2000] [--pool 8]
//                           [--warmup-ops 3000]
//                           [--expiry-count 10000] [--skip-expiry] [--grant group|direct]
//                           [--no-audit] [--profile DIR] [--perf FILE]
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
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { rawJsonClient } from "./lib/http-client.mjs";
import { startMayflyDev } from "./lib/mayfly.mjs";
import { alphanumeric, startPostgres } from "./lib/postgres.mjs";
import { cpuSplitMicros, loadAverage, mainThreadCpuMicros, processTreeCpuMicros } from "./lib/proc.mjs";
import { argument, fmtInt, fmtMs, latencySummaryMs, median } from "./lib/stats.mjs";

const levelsArg = argument("levels", "1,8,32");
const levels = levelsArg === "none" ? [] : levelsArg.split(",").map(Number);
const rounds = Number(argument("rounds", "5"));
const sliceMs = Number(argument("slice-ms", "3000"));
const warmupMs = Number(argument("warmup-ms", "2000"));
const warmupOps = Number(argument("warmup-ops", "3000"));
const poolSize = Number(argument("pool", "8"));
const expiryCount = Number(argument("expiry-count", "10000"));
const skipExpiry = argument("skip-expiry", "false") === "true";
const grantKind = argument("grant", "group");
const withAudit = argument("no-audit", "false") !== "true";
const profileDir = argument("profile", "");
const perfFile = argument("perf", "");
/** The expiration manager's revocations in flight (ExpirationOptions.concurrency). */
const EXPIRY_REVOKE_CONCURRENCY = 16;

const ADMIN_USER = "mayfly_admin";
const ADMIN_PASSWORD = alphanumeric(24);
const CREATE_STATEMENT = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`;
const GRANT_STATEMENT =
  grantKind === "direct" ? `GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";` : `GRANT "bench_readonly" TO "{{name}}";`;
// A role with grants on tables cannot be dropped until they are revoked.
const REVOKE_STATEMENTS = [
  ...(grantKind === "direct" ? [`REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA public FROM "{{name}}";`] : []),
  `DROP ROLE IF EXISTS "{{name}}";`,
];
const render = (statement, values) => statement.replace(/\{\{(\w+)\}\}/g, (_, k) => values[k]);

/** Vault's default password policy's alphabet: upper, lower, digits and dash; 20 characters. */
const PASSWORD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-";
function password20() {
  let out = "";
  while (out.length < 20) {
    // 252 = 4 × 63: rejecting bytes above keeps the draw unbiased.
    for (const b of randomBytes(32)) if (b < 252 && out.length < 20) out += PASSWORD_ALPHABET[b % 63];
  }
  return out;
}
/** Vault's default username template: v-<display 8>-<role 8>-<random 20>-<unix seconds>. */
const directUsername = (role) => `v-token-${role.slice(0, 8)}-${alphanumeric(20)}-${Math.floor(Date.now() / 1000)}`;

// ---- drivers --------------------------------------------------------------------------

/** `clients` loops calling `op` until `ms` have passed; latencies in µs and each result. */
async function runFor(ms, clients, op) {
  const latenciesUs = [];
  const results = [];
  const startedAt = performance.now();
  const deadline = startedAt + ms;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        results.push(await op());
        latenciesUs.push((performance.now() - t0) * 1000);
      }
    }),
  );
  return { latenciesUs, results, elapsedUs: (performance.now() - startedAt) * 1000 };
}

/** `clients` loops sharing `items` until all are done. */
async function runAll(items, clients, op) {
  const latenciesUs = [];
  let next = 0;
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < items.length) {
        const item = items[next++];
        const t0 = performance.now();
        await op(item);
        latenciesUs.push((performance.now() - t0) * 1000);
      }
    }),
  );
  return { latenciesUs, elapsedUs: (performance.now() - startedAt) * 1000 };
}

/**
 * The direct side's transaction. Concurrent GRANTs on the same tables (`--grant direct`)
 * fail with "tuple concurrently updated" or deadlock, as issue 3 describes; a direct client
 * has to retry those too, with jitter, or it cannot run at 8 or 32 clients at all.
 */
async function inTransaction(pool, queries) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await inTransactionOnce(pool, queries);
    } catch (e) {
      const transient = e.code === "40001" || e.code === "40P01" || (e.code === "XX000" && /concurrently/.test(e.message));
      if (!transient || attempt >= 20) throw e;
      await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
    }
  }
}

async function inTransactionOnce(pool, queries) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    for (const q of queries) await client.query(q);
    await client.query("COMMIT");
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

// ---- set-up ---------------------------------------------------------------------------

async function setUp() {
  const pg = await startPostgres();
  const admin = pg.pool(1);
  await admin.query(`CREATE ROLE ${ADMIN_USER} WITH LOGIN CREATEROLE PASSWORD '${ADMIN_PASSWORD}'`);
  await admin.query(`CREATE ROLE bench_readonly NOLOGIN`);
  await admin.query(`CREATE TABLE public.accounts (id int PRIMARY KEY, owner text)`);
  await admin.query(`CREATE TABLE public.orders (id int PRIMARY KEY, account int, total numeric)`);
  await admin.query(`GRANT SELECT ON public.accounts, public.orders TO bench_readonly`);
  // The direct-grant variant needs the admin to own what it grants on.
  await admin.query(`ALTER TABLE public.accounts OWNER TO ${ADMIN_USER}`);
  await admin.query(`ALTER TABLE public.orders OWNER TO ${ADMIN_USER}`);

  const nodeFlags = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : perfFile ? ["--perf-basic-prof"] : [];
  const mayfly = await startMayflyDev({ nodeFlags });
  const api = mayfly.api;
  if (withAudit) await api.call("PUT", "sys/audit/file", { type: "file", options: { file_path: join(mayfly.dir, "audit.log") } });
  await api.call("POST", "sys/mounts/database", { type: "database" });
  await api.call("POST", "database/config/bench-pg", {
    plugin_name: "postgresql-database-plugin",
    connection_url: `postgresql://{{username}}:{{password}}@127.0.0.1:${pg.port}/postgres?sslmode=disable`,
    username: ADMIN_USER,
    password: ADMIN_PASSWORD,
    allowed_roles: "*",
    max_open_connections: poolSize,
    max_idle_connections: poolSize,
  });
  for (const [role, ttl] of [["bench-ro", "1h"], ["bench-expiry", "1h"]]) {
    await api.call("POST", `database/roles/${role}`, {
      db_name: "bench-pg",
      creation_statements: [CREATE_STATEMENT, GRANT_STATEMENT],
      revocation_statements: REVOKE_STATEMENTS,
      default_ttl: ttl,
      max_ttl: "24h",
    });
  }
  await api.call("PUT", "sys/policies/acl/bench-db", {
    policy: 'path "database/creds/*" { capabilities = ["read"] }\npath "sys/leases/revoke" { capabilities = ["update"] }',
  });
  const created = await api.call("POST", "auth/token/create", { policies: ["bench-db"], ttl: "4h" });
  const client = rawJsonClient(mayfly.port, created.body.auth.client_token);
  const direct = pg.pool(poolSize, ADMIN_USER, ADMIN_PASSWORD);
  return { pg, admin, mayfly, client, direct };
}

// ---- issuance and revocation at 1, 8, 32 clients ---------------------------------------

/** One credential issued or revoked, through Mayfly or directly. */
function operations(env) {
  const { client, direct } = env;
  const issueMayfly = async () => {
    const r = await client.request("GET", "database/creds/bench-ro");
    return r.lease_id;
  };
  const issueDirect = async () => {
    const values = {
      name: directUsername("bench-ro"),
      password: password20(),
      expiration: new Date(Date.now() + 3600_000 + 5_000).toISOString(),
    };
    await inTransaction(direct, [render(CREATE_STATEMENT, values), render(GRANT_STATEMENT, values)]);
    return values.name;
  };
  const revokeMayfly = (leaseId) => client.request("PUT", "sys/leases/revoke", { lease_id: leaseId, sync: true });
  const revokeDirect = (name) => inTransaction(direct, REVOKE_STATEMENTS.map((st) => render(st, { name })));
  return { issueMayfly, issueDirect, revokeMayfly, revokeDirect };
}

/** Before the first level: both sides issue and revoke `warmupOps` credentials at 8 clients. */
async function warmUp(env) {
  if (warmupOps <= 0) return;
  const { issueMayfly, issueDirect, revokeMayfly, revokeDirect } = operations(env);
  for (const [issue, revoke] of [[issueMayfly, revokeMayfly], [issueDirect, revokeDirect]]) {
    const issued = [];
    await runAll(Array.from({ length: warmupOps }), 8, async () => issued.push(await issue()));
    await runAll(issued, 8, revoke);
  }
}

async function measureLevel(env, clients) {
  const { issueMayfly, issueDirect, revokeMayfly, revokeDirect } = operations(env);
  const samples = { issueMayfly: [], issueDirect: [], revokeMayfly: [], revokeDirect: [] };
  // CPU per operation: Mayfly's server process for its side, this process (the pg client)
  // for the direct side, so the client-side cost of each can be set side by side.
  const cpu = {};
  const account = (key, ops, before, after) => {
    const c = (cpu[key] ??= { userUs: 0, systemUs: 0, mainUs: 0, pgUs: 0, ops: 0 });
    for (const k of ["userUs", "systemUs", "mainUs", "pgUs"]) c[k] += after[k] - before[k];
    c.ops += ops;
  };
  const selfCpu = () => {
    const u = process.cpuUsage();
    return { userUs: u.user, systemUs: u.system };
  };
  const cpuOf = (side) => ({
    ...(side === "mayfly" ? cpuSplitMicros(env.mayfly.pid) : selfCpu()),
    mainUs: side === "mayfly" ? mainThreadCpuMicros(env.mayfly.pid) : 0,
    pgUs: processTreeCpuMicros(env.pg.pid),
  });
  // Warm-up, not measured: connections in both pools, and the JIT (V8 needs a few hundred
  // calls of each path before its optimised code runs; at 1 client half a second is ~100).
  const warm = await runFor(warmupMs, clients, issueMayfly);
  await runAll(warm.results, clients, revokeMayfly);
  const warmDirect = await runFor(warmupMs, clients, issueDirect);
  await runAll(warmDirect.results, clients, revokeDirect);

  for (let round = 0; round < rounds; round++) {
    const mayflyFirst = round % 2 === 0;
    const sides = mayflyFirst ? ["mayfly", "direct"] : ["direct", "mayfly"];
    const issued = {};
    for (const side of sides) {
      const cpu0 = cpuOf(side);
      const r = await runFor(sliceMs, clients, side === "mayfly" ? issueMayfly : issueDirect);
      account(`issue-${side}`, r.results.length, cpu0, cpuOf(side));
      samples[side === "mayfly" ? "issueMayfly" : "issueDirect"].push(r);
      issued[side] = r.results;
    }
    for (const side of sides) {
      const cpu0 = cpuOf(side);
      const r = await runAll(issued[side], clients, side === "mayfly" ? revokeMayfly : revokeDirect);
      account(`revoke-${side}`, issued[side].length, cpu0, cpuOf(side));
      samples[side === "mayfly" ? "revokeMayfly" : "revokeDirect"].push(r);
    }
  }
  const left = await env.admin.query("SELECT count(*)::int AS n FROM pg_roles WHERE rolname LIKE 'v-%'");
  if (left.rows[0].n !== 0) throw new Error(`${left.rows[0].n} generated roles left after revocation`);
  return { samples, cpu };
}

function compare(mayflySamples, directSamples) {
  const rate = (s) => s.latenciesUs.length / (s.elapsedUs / 1e6);
  const ratios = mayflySamples.map((m, i) => rate(m) / rate(directSamples[i]));
  const pooled = (samples) => latencySummaryMs(samples.flatMap((s) => s.latenciesUs));
  const m = { rate: median(mayflySamples.map(rate)), ...pooled(mayflySamples) };
  const d = { rate: median(directSamples.map(rate)), ...pooled(directSamples) };
  return { m, d, ratio: median(ratios), ratios, addedMedianMs: m.p50 - d.p50 };
}

// ---- 10,000 leases expiring in the same second -----------------------------------------

async function expiryTest(env, issueRate) {
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

function startPerf(pid) {
  const perf = spawn("perf", ["record", "-e", "cpu-clock", "-F", "499", "-g", "-p", String(pid), "-o", perfFile], { stdio: "ignore" });
  return {
    async stop() {
      perf.kill("SIGINT");
      await new Promise((r) => perf.once("exit", r));
    },
  };
}

// ---- main -----------------------------------------------------------------------------

async function main() {
  const loadBefore = loadAverage();
  const env = await setUp();
  let issueRate32;
  const met = (ok) => (ok ? "met" : "MISSED");
  try {
    console.log(
      `db-creds  PostgreSQL ${env.pg.version.split(" ")[0]}, pool ${poolSize} (max_open_connections) both sides, ` +
        `${grantKind === "group" ? "group-role grant" : "direct table grant"}, revocation ${grantKind === "direct" ? "REVOKE + " : ""}DROP ROLE, ${withAudit ? "file audit on" : "no audit"}, ` +
        `${rounds} rounds x ${sliceMs} ms per level after ${fmtInt(warmupOps)} credentials issued and revoked on each side`,
    );
    // --perf records the levels, or with --levels none the expiry.
    if (levels.length > 0) await warmUp(env);
    const perf = perfFile && levels.length > 0 ? startPerf(env.mayfly.pid) : undefined;
    for (const clients of levels) {
      const { samples, cpu } = await measureLevel(env, clients);
      for (const [op, m, d] of [["issue ", samples.issueMayfly, samples.issueDirect], ["revoke", samples.revokeMayfly, samples.revokeDirect]]) {
        const c = compare(m, d);
        if (op === "issue " && clients === 32) issueRate32 = c.m.rate;
        console.log(
          `db-creds  ${op} c=${String(clients).padEnd(2)}  mayfly ${fmtInt(c.m.rate).padStart(5)} ops/s  p50 ${fmtMs(c.m.p50)} ms  p99 ${fmtMs(c.m.p99)} ms` +
            ` | direct pg ${fmtInt(c.d.rate).padStart(5)} ops/s  p50 ${fmtMs(c.d.p50)} ms  p99 ${fmtMs(c.d.p99)} ms` +
            ` | ratio ${c.ratio.toFixed(2)} (${c.ratios.map((r) => r.toFixed(2)).join(" ")})  median +${fmtMs(c.addedMedianMs)} ms` +
            `  [>=0.90 ${met(c.ratio >= 0.9)}, <=2 ms ${met(c.addedMedianMs <= 2)}]`,
        );
      }
      const per = (k) => `${fmtInt(cpu[k].userUs / cpu[k].ops)}+${fmtInt(cpu[k].systemUs / cpu[k].ops)}`;
      const main = (k) => fmtInt(cpu[k].mainUs / cpu[k].ops);
      const pgPer = (k) => fmtInt(cpu[k].pgUs / cpu[k].ops);
      console.log(
        `          c=${clients} cpu µs/op (user+sys): issue mayfly server ${per("issue-mayfly")} (main thread ${main("issue-mayfly")}), ` +
          `direct client ${per("issue-direct")}; revoke mayfly server ${per("revoke-mayfly")} (main thread ${main("revoke-mayfly")}), ` +
          `direct client ${per("revoke-direct")}`,
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
    await env.direct.end();
    await env.admin.end();
    await env.mayfly.stop();
    await env.pg.stop();
  }
}

await main();
