/**
 * Fault trials against a real PostgreSQL that goes away mid-life: a revocation, expiry or
 * issuance while the database is down must never report what did not happen. A failed
 * revoke answers an error and keeps the lease (the credential still exists), retries run
 * until the database confirms, an issuance that failed leaves no lease, and revoke-force
 * drops the record without the target and leaves the user for the orphan sweep to find.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresInstance } from "./support/index.js";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";

let pg: PostgresInstance;
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
  expect(r.status).toBe(200);
  const data = r.body.data as { username: string; password: string };
  return { leaseId: String(r.body.lease_id), username: data.username, password: data.password };
}

async function roleExists(user: string): Promise<boolean> {
  return (await pg.adminQuery("SELECT 1 FROM pg_roles WHERE rolname = $1", [user])).rowCount === 1;
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

beforeAll(async () => {
  pg = await startPostgres();
  server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0", rootTokenId: "root" });
  expect((await api("POST", "sys/mounts/database", { type: "database" })).status).toBe(204);
  const config = await api("POST", "database/config/faulty", {
    plugin_name: "postgresql-database-plugin",
    connection_url: pg.templatedConnectionUrl,
    username: pg.adminUser,
    password: pg.adminPassword,
    allowed_roles: "*",
  });
  expect(config.status).toBeLessThan(300);
  const role = await api("POST", "database/roles/app", {
    db_name: "faulty",
    creation_statements: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
    default_ttl: "1h",
  });
  expect(role.status).toBe(204);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await pg?.stop();
});

describe("the database goes down", () => {
  it("a revoke fails with an error, keeps the lease and the user, and is retried once it is back", async () => {
    const cred = await issue();
    await pg.pause();
    try {
      expectVaultError(await api("PUT", "sys/leases/revoke", { lease_id: cred.leaseId }));
      expect(await leaseKnown(cred.leaseId)).toBe(true);
    } finally {
      await pg.resume();
    }
    // Nothing was dropped while the database could not confirm it.
    // The failed revoke stays queued: the retry drops the user without being asked again.
    await waitFor("the user is dropped by the retry", async () => !(await roleExists(cred.username)), 20_000);
    expect(await pg.canLogin(cred.username, cred.password)).toBe(false);
    await waitFor("the lease is gone", async () => !(await leaseKnown(cred.leaseId)), 5_000);
  }, 60_000);

  it("revoke-prefix fails as a whole and loses nothing; after the restart it revokes every lease", async () => {
    const creds = [await issue(), await issue()];
    await pg.pause();
    try {
      expectVaultError(await api("PUT", "sys/leases/revoke-prefix/database/creds/app"));
      for (const c of creds) expect(await leaseKnown(c.leaseId)).toBe(true);
    } finally {
      await pg.resume();
    }
    for (const c of creds) expect(await roleExists(c.username)).toBe(true);
    const again = await api("PUT", "sys/leases/revoke-prefix/database/creds/app");
    expect(again.status).toBe(204);
    for (const c of creds) {
      expect(await roleExists(c.username)).toBe(false);
      expect(await leaseKnown(c.leaseId)).toBe(false);
    }
  }, 60_000);

  it("a lease that expires while the database is down stays until the database confirms the drop", async () => {
    const role = await api("POST", "database/roles/short", {
      db_name: "faulty",
      creation_statements: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
      default_ttl: "2s",
    });
    expect(role.status).toBe(204);
    const cred = await issue("short");
    await pg.pause();
    try {
      // Two seconds past its end, with attempts failing meanwhile: still stored, still listed.
      await new Promise((res) => setTimeout(res, 4_000));
      expect(await leaseKnown(cred.leaseId)).toBe(true);
      expect(await leaseIdsUnder("database/creds/short/")).toContain(cred.leaseId);
    } finally {
      await pg.resume();
    }
    await waitFor("the expired user is dropped after the restart", async () => !(await roleExists(cred.username)), 30_000);
    await waitFor("the expired lease is gone", async () => !(await leaseKnown(cred.leaseId)), 5_000);
  }, 60_000);

  it("an issuance while the database is down fails and leaves no lease behind", async () => {
    const before = await leaseIdsUnder("database/creds/app/");
    await pg.pause();
    try {
      expectVaultError(await api("GET", "database/creds/app"));
    } finally {
      await pg.resume();
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
    expect(await pg.canLogin(cred.username, cred.password)).toBe(true);
    expect((await api("PUT", "sys/leases/revoke", { lease_id: cred.leaseId })).status).toBe(204);
  }, 60_000);

  it("revoke-force drops the records without the target; the orphan sweep then finds the user", async () => {
    const cred = await issue();
    await pg.pause();
    try {
      expect((await api("PUT", "sys/leases/revoke-force/database/creds/app")).status).toBe(204);
      expect(await leaseKnown(cred.leaseId)).toBe(false);
    } finally {
      await pg.resume();
    }
    // Forced means the target was never told: the user still logs in, and is an orphan now.
    expect(await pg.canLogin(cred.username, cred.password)).toBe(true);
    const report = await api("GET", "database/orphans/faulty");
    expect(report.status).toBe(200);
    expect((report.body.data as { orphans: string[] }).orphans).toContain(cred.username);
    const dropped = await api("POST", "database/orphans/faulty", { drop: true });
    expect(dropped.status).toBe(200);
    expect((dropped.body.data as { dropped: string[] }).dropped).toContain(cred.username);
    expect(await roleExists(cred.username)).toBe(false);
  }, 60_000);
});
