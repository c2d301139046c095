/**
 * The database engine against a real, throwaway PostgreSQL: the seeds' walkthrough at
 * the engine's level (config with rotation_statements, rotate-root, the seeds' role,
 * creds, revoke, expiry, renew), static roles, concurrency and the orphan sweep.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresInstance } from "./support/index.js";
import { startHarness, type Harness } from "../src/engines/database/test-harness.js";

const BOOTSTRAP_PASSWORD = "bootstrap-Pw-123";
const SEEDS_CREATION =
  `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; ` +
  `GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";`;
const SEEDS_REVOCATION = `REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{{name}}"; DROP ROLE IF EXISTS "{{name}}";`;
const GROUP_CREATION = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT app_readers TO "{{name}}";`;

let pg: PostgresInstance;
let h: Harness;

beforeAll(async () => {
  pg = await startPostgres();
  await pg.adminQuery(`CREATE ROLE vault_admin WITH LOGIN CREATEROLE PASSWORD '${BOOTSTRAP_PASSWORD}'`);
  await pg.adminQuery(`CREATE TABLE public.orders (id int PRIMARY KEY, note text)`);
  await pg.adminQuery(`INSERT INTO public.orders VALUES (1, 'first')`);
  await pg.adminQuery(`ALTER TABLE public.orders OWNER TO vault_admin`);
  await pg.adminQuery(`CREATE ROLE app_readers NOLOGIN`);
  await pg.adminQuery(`GRANT SELECT ON public.orders TO app_readers`);
  await pg.adminQuery(`GRANT app_readers TO vault_admin WITH ADMIN OPTION`);
  await pg.adminQuery(`CREATE ROLE app_static WITH LOGIN PASSWORD 'static-initial'`);
  h = await startHarness({ startExpiration: true, expiration: { baseBackoffMs: 200 } });
});

afterAll(async () => {
  await h?.close();
  await pg?.stop();
});

async function validUntil(user: string): Promise<Date | null> {
  const r = await pg.adminQuery<{ rolvaliduntil: Date | null }>("SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1", [user]);
  return r.rows[0]?.rolvaliduntil ?? null;
}

async function roleExists(user: string): Promise<boolean> {
  const r = await pg.adminQuery("SELECT 1 FROM pg_roles WHERE rolname = $1", [user]);
  return r.rowCount === 1;
}

describe("the seeds' PostgreSQL walkthrough, engine level", () => {
  it("configures with rotation_statements and rotate-root locks the bootstrap password out", async () => {
    const w = await h.write("config/prod-postgres", {
      plugin_name: "postgresql-database-plugin",
      connection_url: pg.templatedConnectionUrl,
      allowed_roles: "app-readonly,app-readwrite,app-migration,app-ttl,app-group",
      username: "vault_admin",
      password: BOOTSTRAP_PASSWORD,
      rotation_statements: "ALTER USER {{username}} WITH PASSWORD '{{password}}';",
    });
    expect(w.status).toBe(204);
    expect(await pg.canLogin("vault_admin", BOOTSTRAP_PASSWORD)).toBe(true);
    expect((await h.write("config/prod-postgres/rotate-root")).status).toBe(204);
    expect(await pg.canLogin("vault_admin", BOOTSTRAP_PASSWORD)).toBe(false);
    const read = await h.read("config/prod-postgres");
    expect(JSON.stringify(read.data)).not.toContain(BOOTSTRAP_PASSWORD);
  });

  it("writes the seeds' role, with the table-grant warning", async () => {
    const w = await h.write("roles/app-readonly", {
      db_name: "prod-postgres",
      creation_statements: SEEDS_CREATION,
      revocation_statements: SEEDS_REVOCATION,
      default_ttl: "1h",
      max_ttl: "24h",
    });
    expect(w.status).toBe(200);
    expect(w.warnings.join(" ")).toMatch(/ACL/);
    const quiet = await h.write("roles/app-group", { db_name: "prod-postgres", creation_statements: GROUP_CREATION, default_ttl: "1h" });
    expect(quiet.status).toBe(204);
  });

  it("issues a credential that logs in, can SELECT but not INSERT, and is gone after revoke", async () => {
    const r = await h.read("creds/app-readonly");
    expect(r.status).toBe(200);
    expect(r.secret?.leaseDurationSeconds).toBe(3600);
    const { username, password } = r.data as { username: string; password: string };
    expect(username).toMatch(/^v-token-app-read-[A-Za-z0-9]{20}-\d{10}$/);
    const client = await pg.connectAs(username, password);
    try {
      expect((await client.query("SELECT note FROM public.orders")).rows).toEqual([{ note: "first" }]);
      await expect(client.query("INSERT INTO public.orders VALUES (2, 'nope')")).rejects.toThrow(/permission denied/);
    } finally {
      await client.end();
    }
    const until = await validUntil(username);
    expect(Math.abs((until?.getTime() ?? 0) - (Date.now() + 3605_000))).toBeLessThan(10_000);

    await h.expiration.revoke(r.secret?.leaseId ?? "", { sync: true });
    expect(await pg.canLogin(username, password)).toBe(false);
    expect(await roleExists(username)).toBe(false);
  });

  it("revokes an expired credential within about a second of its lease's end", async () => {
    await h.write("roles/app-ttl", { db_name: "prod-postgres", creation_statements: GROUP_CREATION, default_ttl: "2s", max_ttl: "1h" });
    const r = await h.read("creds/app-ttl");
    const { username, password } = r.data as { username: string; password: string };
    const lease = await h.expiration.get(r.secret?.leaseId ?? "");
    const endMs = lease?.expireTimeMs ?? 0;
    expect(await pg.canLogin(username, password)).toBe(true);
    // VALID UNTIL is 5 s past the lease, so a failed login here proves the revocation.
    let goneAtMs = 0;
    while (Date.now() < endMs + 4_000) {
      if (!(await roleExists(username))) {
        goneAtMs = Date.now();
        break;
      }
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(goneAtMs).toBeGreaterThan(0);
    expect(goneAtMs - endMs).toBeLessThan(1_200);
    expect(await pg.canLogin(username, password)).toBe(false);
  });

  it("renews by extending VALID UNTIL, capped by max_ttl", async () => {
    await h.write("roles/app-readwrite", { db_name: "prod-postgres", creation_statements: GROUP_CREATION, default_ttl: "10m", max_ttl: "30m" });
    const r = await h.read("creds/app-readwrite");
    const username = String(r.data?.username);
    const before = await validUntil(username);
    const renewed = await h.expiration.renew(r.secret?.leaseId ?? "", 1200);
    expect(renewed.secret?.leaseDurationSeconds).toBe(1200);
    const after = await validUntil(username);
    expect((after?.getTime() ?? 0) - (before?.getTime() ?? 0)).toBeGreaterThan(590_000);
    const capped = await h.expiration.renew(r.secret?.leaseId ?? "", 7200);
    expect(capped.secret?.leaseDurationSeconds).toBeLessThanOrEqual(1800);
    expect(capped.secret?.leaseDurationSeconds).toBeGreaterThan(1790);
    const last = await validUntil(username);
    expect((last?.getTime() ?? 0) - Date.now()).toBeLessThan(1800_000 + 6_000);
    await h.expiration.revoke(r.secret?.leaseId ?? "", { sync: true });
  });

  it("refuses roles outside allowed_roles (500) and unknown roles (400)", async () => {
    await h.write("roles/reporting", { db_name: "prod-postgres", creation_statements: GROUP_CREATION });
    const denied = await h.read("creds/reporting");
    expect(denied.status).toBe(500);
    expect(denied.errors).toEqual(['1 error occurred:\n\t* "reporting" is not an allowed role\n\n']);
    expect(await h.read("creds/ghost")).toMatchObject({ status: 400, errors: ["unknown role: ghost"] });
  });

  it("refuses a config it cannot log in with, storing nothing", async () => {
    const w = await h.write("config/wrong", {
      plugin_name: "postgresql-database-plugin",
      connection_url: pg.templatedConnectionUrl,
      username: "vault_admin",
      password: "not-the-password",
    });
    expect(w.status).toBe(400);
    expect(w.errors[0]).toMatch(/^error creating database object: .*password authentication failed/);
    expect(w.errors[0]).not.toContain("not-the-password");
    expect((await h.list("config/")).data).toEqual({ keys: ["prod-postgres"] });
  });
});

describe("static roles on PostgreSQL", () => {
  it("rotates on creation, on demand and on schedule; each old password stops working", async () => {
    await h.write("config/prod-postgres", { allowed_roles: ["app-*", "static-*"] });
    const w = await h.write("static-roles/static-app", { db_name: "prod-postgres", username: "app_static", rotation_period: "5s" });
    expect(w.status).toBe(204);
    expect(await pg.canLogin("app_static", "static-initial")).toBe(false);
    const first = String((await h.read("static-creds/static-app")).data?.password);
    expect(await pg.canLogin("app_static", first)).toBe(true);

    expect((await h.write("rotate-role/static-app")).status).toBe(204);
    const second = String((await h.read("static-creds/static-app")).data?.password);
    expect(second).not.toBe(first);
    expect(await pg.canLogin("app_static", first)).toBe(false);
    expect(await pg.canLogin("app_static", second)).toBe(true);

    await new Promise((res) => setTimeout(res, 5_100));
    await h.backend.engine.rotations.runDue();
    const third = String((await h.read("static-creds/static-app")).data?.password);
    expect(third).not.toBe(second);
    expect(await pg.canLogin("app_static", second)).toBe(false);
    expect(await pg.canLogin("app_static", third)).toBe(true);
  });
});

describe("concurrency", () => {
  it("issues one credential well inside a client's 1 s timeout", async () => {
    const timings: number[] = [];
    const leases: string[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const r = await h.read("creds/app-group");
      timings.push(performance.now() - t0);
      expect(r.status).toBe(200);
      leases.push(r.secret?.leaseId ?? "");
    }
    timings.sort((a, b) => a - b);
    // eslint-disable-next-line no-console
    console.log(`creds latency: median ${timings[5]?.toFixed(1)} ms, max ${timings[9]?.toFixed(1)} ms`);
    expect(timings[9]).toBeLessThan(500);
    await Promise.all(leases.map((id) => h.expiration.revoke(id, { sync: true })));
  });

  it("gives 32 concurrent clients working credentials with the seeds' table grants", async () => {
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 32 }, () => h.read("creds/app-readonly")));
    const elapsedMs = Date.now() - started;
    const failures = results.filter((r) => r.status !== 200);
    expect(failures.map((f) => f.errors)).toEqual([]);
    const users = results.map((r) => r.data as { username: string; password: string });
    expect(new Set(users.map((u) => u.username)).size).toBe(32);
    for (const u of users) expect(await pg.canLogin(u.username, u.password)).toBe(true);
    // eslint-disable-next-line no-console
    console.log(`32 concurrent creds with GRANT ON ALL TABLES: ${elapsedMs} ms`);
    await Promise.all(results.map((r) => h.expiration.revoke(r.secret?.leaseId ?? "", { sync: true })));
    for (const u of users) expect(await roleExists(u.username)).toBe(false);
  });
});

describe("orphan sweep", () => {
  it("finds a user made behind Mayfly's back and drops it only when asked", async () => {
    const leased = await h.read("creds/app-group");
    const leasedName = String(leased.data?.username);
    const sneaky = "v-token-app-sneaky-00000000000000000000-1700000000";
    await pg.adminQuery(`CREATE ROLE "${sneaky}" LOGIN PASSWORD 'x'`);
    const report = await h.read("orphans/prod-postgres");
    expect(report.data).toMatchObject({ prefix: "v-", orphans: [sneaky] });
    expect(await roleExists(sneaky)).toBe(true);
    const dropped = await h.write("orphans/prod-postgres", { drop: true });
    expect(dropped.data?.dropped).toEqual([sneaky]);
    expect(await roleExists(sneaky)).toBe(false);
    expect(await roleExists(leasedName)).toBe(true);
    expect(await roleExists("vault_admin")).toBe(true);
  });
});
