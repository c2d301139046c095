/**
 * Fault trials against real PostgreSQL, MariaDB and Redis servers that go away mid-life
 * (stopped, then started again on the same port and data): a revocation, expiry or
 * issuance while the database is down must never report what did not happen. A failed
 * revoke answers an error and keeps the lease (the credential still exists), retries run
 * until the database confirms, an issuance that failed leaves no lease, and revoke-force
 * drops the record without the target and leaves the user for the orphan sweep to find.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMariadb, startPostgres, startRedis } from "./support/index.js";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";

/** What a trial needs of a target database: how to configure it, find a user, take it away. */
interface Target {
  readonly name: string;
  readonly config: Record<string, unknown>;
  /** Creation statements for a role (the plugin's own defaults revoke). */
  readonly creation: string;
  userExists(user: string): Promise<boolean>;
  canLogin(user: string, password: string): Promise<boolean>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Whether users made before a stop are still there after the start (not so for Redis). */
  readonly usersSurviveRestart: boolean;
  stop(): Promise<void>;
}

async function postgresTarget(): Promise<Target> {
  const pg = await startPostgres();
  return {
    name: "PostgreSQL",
    config: { plugin_name: "postgresql-database-plugin", connection_url: pg.templatedConnectionUrl, username: pg.adminUser, password: pg.adminPassword },
    creation: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
    userExists: async (user) => (await pg.adminQuery("SELECT 1 FROM pg_roles WHERE rolname = $1", [user])).rowCount === 1,
    canLogin: (user, password) => pg.canLogin(user, password),
    pause: () => pg.pause(),
    resume: () => pg.resume(),
    usersSurviveRestart: true,
    stop: () => pg.stop(),
  };
}

async function mariadbTarget(): Promise<Target> {
  const maria = await startMariadb();
  return {
    name: "MariaDB",
    config: { plugin_name: "mysql-database-plugin", connection_url: maria.templatedConnectionUrl, username: maria.adminUser, password: maria.adminPassword },
    creation: "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';",
    userExists: async (user) => ((await maria.adminQuery("SELECT 1 FROM mysql.user WHERE User = ?", [user])) as unknown[]).length > 0,
    canLogin: (user, password) => maria.canLogin(user, password),
    pause: () => maria.pause(),
    resume: () => maria.resume(),
    usersSurviveRestart: true,
    stop: () => maria.stop(),
  };
}

async function redisTarget(): Promise<Target> {
  const redis = await startRedis();
  return {
    name: "Redis",
    config: { plugin_name: "redis-database-plugin", host: redis.host, port: redis.port, username: redis.adminUser, password: redis.adminPassword },
    creation: '["~*", "+@read"]',
    userExists: async (user) => (await redis.adminCommand("ACL", "GETUSER", user)) !== null,
    canLogin: (user, password) => redis.canLogin(user, password),
    pause: () => redis.pause(),
    resume: () => redis.resume(),
    // ACL SETUSER lives in memory: a restarted Redis (no aclfile here) has forgotten them.
    usersSurviveRestart: false,
    stop: () => redis.stop(),
  };
}

let db: Target;
let server: DevServer;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function api(method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${server.addresses[0]}/v1/${path}`, {
    method,
    headers: { "X-Vault-Token": "root", "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

interface Issued {
  leaseId: string;
  username: string;
  password: string;
}

async function issue(role = "app"): Promise<Issued> {
  const r = await api("GET", `database/creds/${role}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  const data = r.body.data as { username: string; password: string };
  return { leaseId: String(r.body.lease_id), username: data.username, password: data.password };
}

async function leaseKnown(leaseId: string): Promise<boolean> {
  const r = await api("PUT", "sys/leases/lookup", { lease_id: leaseId });
  if (r.status === 200) return true;
  expect(r.status).toBe(400);
  return false;
}

async function leaseIdsUnder(prefix: string): Promise<string[]> {
  const r = await api("GET", `sys/leases/lookup/${prefix}?list=true`);
  if (r.status === 404) return [];
  expect(r.status).toBe(200);
  return ((r.body.data as { keys: string[] }).keys ?? []).map((k) => prefix + k);
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

function expectVaultError(r: Answer): void {
  expect(r.status).toBeGreaterThanOrEqual(400);
  expect(Array.isArray(r.body.errors)).toBe(true);
  expect((r.body.errors as unknown[]).length).toBeGreaterThan(0);
}

describe.each([
  ["PostgreSQL", postgresTarget],
  ["MariaDB", mariadbTarget],
  ["Redis", redisTarget],
] as const)("%s goes down", (_name, startTarget) => {
  beforeAll(async () => {
    db = await startTarget();
    server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0", rootTokenId: "root" });
    expect((await api("POST", "sys/mounts/database", { type: "database" })).status).toBe(204);
    const config = await api("POST", "database/config/faulty", { ...db.config, allowed_roles: "*" });
    expect(config.status, JSON.stringify(config.body)).toBeLessThan(300);
    for (const [role, ttl] of [["app", "1h"], ["short", "2s"]]) {
      const r = await api("POST", `database/roles/${role}`, { db_name: "faulty", creation_statements: db.creation, default_ttl: ttl });
      expect(r.status, JSON.stringify(r.body)).toBe(204);
    }
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await db?.stop();
  });

  it("a revoke fails with an error, keeps the lease and the user, and is retried once it is back", async () => {
    const cred = await issue();
    await db.pause();
    try {
      expectVaultError(await api("PUT", "sys/leases/revoke", { lease_id: cred.leaseId }));
      expect(await leaseKnown(cred.leaseId)).toBe(true);
    } finally {
      await db.resume();
    }
    // Nothing was dropped while the database could not confirm it.
    // The failed revoke stays queued: the retry drops the user without being asked again.
    await waitFor("the user is dropped by the retry", async () => !(await db.userExists(cred.username)), 20_000);
    expect(await db.canLogin(cred.username, cred.password)).toBe(false);
    await waitFor("the lease is gone", async () => !(await leaseKnown(cred.leaseId)), 5_000);
  }, 60_000);

  it("revoke-prefix fails as a whole and loses nothing; after the restart it revokes every lease", async () => {
    const creds = [await issue(), await issue()];
    await db.pause();
    try {
      expectVaultError(await api("PUT", "sys/leases/revoke-prefix/database/creds/app"));
      for (const c of creds) expect(await leaseKnown(c.leaseId)).toBe(true);
    } finally {
      await db.resume();
    }
    for (const c of creds) expect(await db.userExists(c.username)).toBe(db.usersSurviveRestart);
    const again = await api("PUT", "sys/leases/revoke-prefix/database/creds/app");
    expect(again.status).toBe(204);
    for (const c of creds) {
      expect(await db.userExists(c.username)).toBe(false);
      expect(await leaseKnown(c.leaseId)).toBe(false);
    }
  }, 60_000);

  it("a lease that expires while the database is down stays until the database confirms the drop", async () => {
    const cred = await issue("short");
    await db.pause();
    try {
      // Two seconds past its end, with attempts failing meanwhile: still stored, still listed.
      await new Promise((res) => setTimeout(res, 4_000));
      expect(await leaseKnown(cred.leaseId)).toBe(true);
      expect(await leaseIdsUnder("database/creds/short/")).toContain(cred.leaseId);
    } finally {
      await db.resume();
    }
    await waitFor("the expired user is dropped after the restart", async () => !(await db.userExists(cred.username)), 30_000);
    await waitFor("the expired lease is gone", async () => !(await leaseKnown(cred.leaseId)), 5_000);
  }, 60_000);

  it("an issuance while the database is down fails and leaves no lease behind", async () => {
    const before = await leaseIdsUnder("database/creds/app/");
    await db.pause();
    try {
      expectVaultError(await api("GET", "database/creds/app"));
    } finally {
      await db.resume();
    }
    // The failed attempt may have reached the database before it went, so its intent is
    // kept and undone once the database answers again: then nothing is left behind.
    await waitFor(
      "the failed issuance's intent is undone",
      async () => JSON.stringify(await leaseIdsUnder("database/creds/app/")) === JSON.stringify(before),
      20_000,
    );
    // And the connection recovers by itself: the next request works.
    const cred = await issue();
    expect(await db.canLogin(cred.username, cred.password)).toBe(true);
    expect((await api("PUT", "sys/leases/revoke", { lease_id: cred.leaseId })).status).toBe(204);
  }, 60_000);

  it("revoke-force drops the records without the target; the orphan sweep then finds the user", async () => {
    const cred = await issue();
    await db.pause();
    try {
      expect((await api("PUT", "sys/leases/revoke-force/database/creds/app")).status).toBe(204);
      expect(await leaseKnown(cred.leaseId)).toBe(false);
    } finally {
      await db.resume();
    }
    if (!db.usersSurviveRestart) {
      // The restart itself dropped the user: nothing is left for the sweep to find.
      expect(await db.userExists(cred.username)).toBe(false);
      return;
    }
    // Forced means the target was never told: the user still logs in, and is an orphan now.
    expect(await db.canLogin(cred.username, cred.password)).toBe(true);
    const report = await api("GET", "database/orphans/faulty");
    expect(report.status).toBe(200);
    expect((report.body.data as { orphans: string[] }).orphans).toContain(cred.username);
    const dropped = await api("POST", "database/orphans/faulty", { drop: true });
    expect(dropped.status).toBe(200);
    expect((dropped.body.data as { dropped: string[] }).dropped).toContain(cred.username);
    expect(await db.userExists(cred.username)).toBe(false);
  }, 60_000);
});
