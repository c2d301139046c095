/**
 * The seeds' PostgreSQL walkthrough end to end over Vault's HTTP API against a running
 * Mayfly dev server and a throwaway PostgreSQL: enable, config with rotation_statements,
 * rotate-root, the seeds' role, creds (login, SELECT yes, INSERT no), renew, revoke,
 * expiry, and the error answers clients depend on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresInstance } from "./support/index.js";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";

const BOOTSTRAP_PASSWORD = "Bootstrap-pw-42";

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

async function roleExists(user: string): Promise<boolean> {
  return (await pg.adminQuery("SELECT 1 FROM pg_roles WHERE rolname = $1", [user])).rowCount === 1;
}

async function validUntilMs(user: string): Promise<number> {
  const r = await pg.adminQuery<{ v: Date }>("SELECT rolvaliduntil AS v FROM pg_roles WHERE rolname = $1", [user]);
  return r.rows[0]?.v.getTime() ?? 0;
}

beforeAll(async () => {
  pg = await startPostgres();
  await pg.adminQuery(`CREATE ROLE vault_admin WITH LOGIN CREATEROLE PASSWORD '${BOOTSTRAP_PASSWORD}'`);
  await pg.adminQuery(`CREATE TABLE public.accounts (id int PRIMARY KEY, owner text)`);
  await pg.adminQuery(`INSERT INTO public.accounts VALUES (1, 'ada')`);
  await pg.adminQuery(`ALTER TABLE public.accounts OWNER TO vault_admin`);
  server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0", rootTokenId: "root" });
});

afterAll(async () => {
  await server?.close();
  await pg?.stop();
});

describe("seeds walkthrough over HTTP", () => {
  let leaseId = "";
  let username = "";
  let password = "";

  it("1. enables the engine at database/", async () => {
    const r = await api("POST", "sys/mounts/database", { type: "database" });
    expect(r.status).toBe(204);
    const mounts = await api("GET", "sys/mounts");
    expect((mounts.body.data as Record<string, { type: string }>)["database/"]?.type).toBe("database");
  });

  it("2. configures the connection with rotation_statements", async () => {
    const r = await api("POST", "database/config/prod-postgres", {
      plugin_name: "postgresql-database-plugin",
      connection_url: `postgresql://{{username}}:{{password}}@127.0.0.1:${pg.port}/postgres?sslmode=disable`,
      allowed_roles: "app-readonly,app-readwrite,app-migration",
      username: "vault_admin",
      password: BOOTSTRAP_PASSWORD,
      rotation_statements: "ALTER USER {{username}} WITH PASSWORD '{{password}}';",
    });
    expect(r.status).toBe(204);
    const read = await api("GET", "database/config/prod-postgres");
    expect(read.status).toBe(200);
    expect(read.body.data).toMatchObject({
      plugin_name: "postgresql-database-plugin",
      allowed_roles: ["app-readonly", "app-readwrite", "app-migration"],
      root_credentials_rotate_statements: ["ALTER USER {{username}} WITH PASSWORD '{{password}}';"],
    });
    expect(JSON.stringify(read.body)).not.toContain(BOOTSTRAP_PASSWORD);
  });

  it("3. rotate-root (write -force .../config/<name>/rotate-root) locks the bootstrap password out", async () => {
    const r = await api("PUT", "database/config/prod-postgres/rotate-root");
    expect(r.status).toBe(204);
    expect(await pg.canLogin("vault_admin", BOOTSTRAP_PASSWORD)).toBe(false);
  });

  it("4. writes the seeds' role (warning about direct table grants)", async () => {
    const r = await api("POST", "database/roles/app-readonly", {
      db_name: "prod-postgres",
      creation_statements: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";`,
      revocation_statements: `REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{{name}}"; DROP ROLE IF EXISTS "{{name}}";`,
      default_ttl: "1h",
      max_ttl: "24h",
    });
    expect(r.status).toBe(200);
    expect((r.body.warnings as string[]).join(" ")).toMatch(/ACL/);
  });

  it("5. reads a credential that logs in, can SELECT and cannot INSERT", async () => {
    const r = await api("GET", "database/creds/app-readonly");
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ lease_duration: 3600, renewable: true });
    leaseId = String(r.body.lease_id);
    expect(leaseId).toMatch(/^database\/creds\/app-readonly\/.+/);
    ({ username, password } = r.body.data as { username: string; password: string });
    expect(username).toMatch(/^v-root-app-read-[A-Za-z0-9]{20}-\d{10}$/);
    const client = await pg.connectAs(username, password);
    try {
      expect((await client.query("SELECT owner FROM public.accounts")).rows).toEqual([{ owner: "ada" }]);
      await expect(client.query("INSERT INTO public.accounts VALUES (2, 'eve')")).rejects.toThrow(/permission denied/);
    } finally {
      await client.end();
    }
  });

  it("lists the lease and renews it, moving VALID UNTIL, within max_ttl", async () => {
    const listed = await api("GET", "sys/leases/lookup/database/creds/app-readonly/?list=true");
    expect((listed.body.data as { keys: string[] }).keys).toContain(leaseId.split("/").pop());
    const before = await validUntilMs(username);
    const r = await api("PUT", "sys/leases/renew", { lease_id: leaseId, increment: 7200 });
    expect(r.status).toBe(200);
    expect(r.body.lease_duration).toBe(7200);
    expect((await validUntilMs(username)) - before).toBeGreaterThan(3590_000);
    const capped = await api("PUT", "sys/leases/renew", { lease_id: leaseId, increment: 200_000 });
    expect(capped.body.lease_duration).toBeLessThanOrEqual(86_400);
    expect(capped.body.lease_duration).toBeGreaterThan(86_390);
  });

  it("revokes: the user can no longer log in", async () => {
    const r = await api("PUT", "sys/leases/revoke", { lease_id: leaseId });
    expect(r.status).toBe(204);
    expect(await pg.canLogin(username, password)).toBe(false);
    expect(await roleExists(username)).toBe(false);
  });

  it("drops an expired credential within about a second of the lease's end", async () => {
    await api("POST", "database/roles/app-migration", {
      db_name: "prod-postgres",
      creation_statements: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
      default_ttl: "2s",
    });
    const issuedAtMs = Date.now();
    const r = await api("GET", "database/creds/app-migration");
    expect(r.body.lease_duration).toBe(2);
    const user = String((r.body.data as { username: string }).username);
    let goneAtMs = 0;
    while (Date.now() < issuedAtMs + 6_000) {
      if (!(await roleExists(user))) {
        goneAtMs = Date.now();
        break;
      }
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(goneAtMs).toBeGreaterThan(0);
    expect(goneAtMs - (issuedAtMs + 2_000)).toBeLessThan(1_300);
  });
});

describe("static roles over HTTP", () => {
  it("rotates on the mount's own timer; the old password stops working", async () => {
    await pg.adminQuery(`CREATE ROLE app_reporting WITH LOGIN PASSWORD 'reporting-initial'`);
    await api("POST", "database/config/prod-postgres", { allowed_roles: "app-readonly,app-readwrite,app-migration,static-reporting" });
    const w = await api("POST", "database/static-roles/static-reporting", {
      db_name: "prod-postgres",
      username: "app_reporting",
      rotation_period: "5s",
    });
    expect(w.status).toBe(204);
    expect(await pg.canLogin("app_reporting", "reporting-initial")).toBe(false);
    const first = (await api("GET", "database/static-creds/static-reporting")).body.data as Record<string, unknown>;
    expect(first).toMatchObject({ username: "app_reporting", rotation_period: 5 });
    expect(await pg.canLogin("app_reporting", String(first.password))).toBe(true);
    let second: Record<string, unknown> = first;
    const deadline = Date.now() + 9_000;
    while (Date.now() < deadline && second.password === first.password) {
      await new Promise((res) => setTimeout(res, 250));
      second = (await api("GET", "database/static-creds/static-reporting")).body.data as Record<string, unknown>;
    }
    expect(second.password).not.toBe(first.password);
    expect(await pg.canLogin("app_reporting", String(first.password))).toBe(false);
    expect(await pg.canLogin("app_reporting", String(second.password))).toBe(true);
    expect(Date.parse(String(second.last_vault_rotation)) - Date.parse(String(first.last_vault_rotation))).toBeGreaterThanOrEqual(5_000);
    expect((await api("DELETE", "database/static-roles/static-reporting")).status).toBe(204);
  });
});

describe("concurrency over HTTP", () => {
  it("32 clients at once all get working credentials", async () => {
    const answers = await Promise.all(Array.from({ length: 32 }, () => api("GET", "database/creds/app-readonly")));
    expect(answers.filter((a) => a.status !== 200).map((a) => a.body.errors)).toEqual([]);
    const creds = answers.map((a) => a.body.data as { username: string; password: string });
    for (const c of creds) expect(await pg.canLogin(c.username, c.password)).toBe(true);
    const revoked = await api("PUT", "sys/leases/revoke-prefix/database/creds/app-readonly", {});
    expect(revoked.status).toBe(204);
    for (const c of creds) expect(await roleExists(c.username)).toBe(false);
  });

  it("sys/leases/tidy on a small store answers 200 with its counts", async () => {
    const r = await api("PUT", "sys/leases/tidy", {});
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({ revoked: 0, retried: 0, cleaned: 0 });
    expect(r.body.warnings).toEqual(["Tidy operation successfully completed."]);
  });
});

describe("answers clients depend on", () => {
  it("role outside allowed_roles: 500 with Vault's multierror text", async () => {
    await api("POST", "database/roles/reporting", { db_name: "prod-postgres", creation_statements: "CREATE ROLE \"{{name}}\"" });
    const r = await api("GET", "database/creds/reporting");
    expect(r.status).toBe(500);
    expect(r.body.errors).toEqual(['1 error occurred:\n\t* "reporting" is not an allowed role\n\n']);
  });

  it("unknown role: 400 unknown role", async () => {
    const r = await api("GET", "database/creds/ghost");
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual(["unknown role: ghost"]);
  });

  it("a connection that cannot log in: 400 and nothing stored", async () => {
    const r = await api("POST", "database/config/broken", {
      plugin_name: "postgresql-database-plugin",
      connection_url: `postgresql://{{username}}:{{password}}@127.0.0.1:${pg.port}/postgres?sslmode=disable`,
      username: "vault_admin",
      password: "wrong-password",
    });
    expect(r.status).toBe(400);
    expect((r.body.errors as string[])[0]).toContain("error creating database object");
    const listed = await api("GET", "database/config?list=true");
    expect((listed.body.data as { keys: string[] }).keys).toEqual(["prod-postgres"]);
    expect((await api("GET", "database/config/broken")).status).toBe(404);
  });
});
