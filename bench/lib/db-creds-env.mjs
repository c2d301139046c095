// bench/db-creds.mjs's set-up (a throwaway PostgreSQL, a Mayfly dev server, a role on each
// side), the load drivers, and one credential issued or revoked on either side.
import { join } from "node:path";
import { rawJsonClient } from "./http-client.mjs";
import { startMayflyDev, startMayflySqlite } from "./mayfly.mjs";
import { startPostgres } from "./postgres.mjs";
import {
  ADMIN_PASSWORD,
  ADMIN_USER,
  CREATE_STATEMENT,
  directUsername,
  GRANT_STATEMENT,
  password20,
  perfFile,
  poolSize,
  profileDir,
  render,
  REVOKE_STATEMENTS,
  storageKind,
  withAudit,
} from "./db-creds-options.mjs";

// ---- drivers --------------------------------------------------------------------------

/** `clients` loops calling `op` until `ms` have passed; latencies in µs and each result. */
export async function runFor(ms, clients, op) {
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
export async function runAll(items, clients, op) {
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
export async function inTransaction(pool, queries) {
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

export async function setUp() {
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
  const mayfly = storageKind === "sqlite" ? await startMayflySqlite({ nodeFlags }) : await startMayflyDev({ nodeFlags });
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

/** One credential issued or revoked, through Mayfly or directly. */
export function operations(env) {
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
  const issueFloor = async () => (await env.floorClient.request("GET", "database/creds/bench-ro")).lease_id;
  const revokeFloor = (name) => env.floorClient.request("PUT", "sys/leases/revoke", { lease_id: name, sync: true });
  return { issueMayfly, issueDirect, revokeMayfly, revokeDirect, issueFloor, revokeFloor };
}
