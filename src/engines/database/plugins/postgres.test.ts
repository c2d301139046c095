/**
 * The PostgreSQL plugin against a real server the test starts itself (initdb with
 * SCRAM authentication on a free port): issued users log in with exactly the granted
 * rights, revoked and expired ones cannot, and 32 concurrent issues all succeed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresInstance } from "../../../../test/support/index.js";
import { isMayflyError } from "../../../framework/errors.js";
import { getPlugin, type ConnectionSettings, type NewUserRequest } from "../plugin.js";
import { parseUsernameTemplate } from "../username-template.js";
import { DatabasePluginError } from "./common.js";
import { PostgresPlugin } from "./postgres.js";

const READ_ONLY = [
  `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';
   GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";`,
];

let db: PostgresInstance;
let plugin: PostgresPlugin;
let counter = 0;

function settings(overrides: Partial<ConnectionSettings> = {}): ConnectionSettings {
  return {
    connectionUrl: db.templatedConnectionUrl,
    username: db.adminUser,
    password: db.adminPassword,
    maxOpenConnections: 4,
    maxIdleConnections: 0,
    maxConnectionLifetimeSeconds: 0,
    disableEscaping: false,
    options: {},
    ...overrides,
  };
}

const template = parseUsernameTemplate(getPlugin("postgresql-database-plugin").defaultUsernameTemplate);
function newName(): string {
  return template.generate({ displayName: "token", roleName: `ro${counter++}` });
}

function request(overrides: Partial<NewUserRequest> = {}): NewUserRequest {
  return {
    username: newName(),
    password: `A1a-${Math.random().toString(36).slice(2)}`,
    expiration: new Date(Date.now() + 3_600_000),
    creationStatements: READ_ONLY,
    rollbackStatements: [],
    ...overrides,
  };
}

async function roleExists(name: string): Promise<boolean> {
  const r = await db.adminQuery("SELECT 1 FROM pg_roles WHERE rolname = $1", [name]);
  return r.rowCount === 1;
}

async function sqlState(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
}

beforeAll(async () => {
  db = await startPostgres();
  console.log(`PostgreSQL instance started in ${db.startupMs} ms`);
  const tables = Array.from({ length: 20 }, (_, i) => `CREATE TABLE public.t${i} (id int); INSERT INTO public.t${i} VALUES (${i});`);
  await db.adminQuery(`CREATE TABLE public.items (id int, name text); INSERT INTO public.items VALUES (1, 'one'); ${tables.join(" ")}`);
  plugin = getPlugin("postgresql-database-plugin") as PostgresPlugin;
  await plugin.initialize(settings(), true);
});

afterAll(async () => {
  await plugin?.close();
  await db?.stop();
});

describe("postgresql-database-plugin", () => {
  it("uses Vault's default username template, cut to 63 characters", () => {
    const name = template.generate({ displayName: "a".repeat(40), roleName: "b".repeat(40) });
    expect(name).toMatch(/^v-aaaaaaaa-bbbbbbbb-[0-9A-Za-z]{20}-\d{10}$/);
  });

  it("refuses a connection it cannot verify, without echoing the password", async () => {
    const p = getPlugin("postgresql-database-plugin");
    try {
      await p.initialize(settings({ password: "wrong-secret-42" }), true);
      expect.unreachable();
    } catch (e) {
      expect(isMayflyError(e) && e.status).toBe(400);
      expect((e as Error).message).toMatch(/^error verifying connection: .*password authentication failed/);
      expect((e as Error).message).not.toContain("wrong-secret-42");
    }
    await expect(p.initialize(settings({ connectionUrl: "" }), false)).rejects.toThrow(/connection_url cannot be empty/);
  });

  it("creates a user that logs in with exactly the granted rights", async () => {
    const req = request();
    await plugin.newUser(req);
    const client = await db.connectAs(req.username, req.password);
    try {
      const rows = await client.query("SELECT name FROM items");
      expect(rows.rows).toEqual([{ name: "one" }]);
      expect(await sqlState(client.query("INSERT INTO items VALUES (2, 'two')"))).toBe("42501");
      expect(await sqlState(client.query("CREATE TABLE mine (id int)"))).toBe("42501");
    } finally {
      await client.end();
    }
    expect(await db.canLogin(req.username, "not-the-password")).toBe(false);
    const valid = await db.adminQuery<{ until: Date }>("SELECT rolvaliduntil AS until FROM pg_roles WHERE rolname = $1", [req.username]);
    expect(Math.abs((valid.rows[0]?.until.getTime() ?? 0) - req.expiration.getTime())).toBeLessThan(1000);
  });

  it("deletes the user with Vault's default revocation; deleting twice succeeds", async () => {
    const req = request();
    await plugin.newUser(req);
    expect(await db.canLogin(req.username, req.password)).toBe(true);
    await plugin.deleteUser({ username: req.username, statements: [] });
    expect(await db.canLogin(req.username, req.password)).toBe(false);
    expect(await roleExists(req.username)).toBe(false);
    await plugin.deleteUser({ username: req.username, statements: [] });
    await plugin.deleteUser({ username: req.username, statements: [`DROP ROLE "{{name}}";`] });
  });

  it("drops a user that owns objects and holds privileges in other schemas", async () => {
    await db.adminQuery("CREATE SCHEMA IF NOT EXISTS app; CREATE TABLE IF NOT EXISTS app.secrets (v text)");
    const req = request({
      creationStatements: [
        ...READ_ONLY,
        `GRANT CREATE, USAGE ON SCHEMA public TO "{{name}}"; GRANT USAGE ON SCHEMA app TO "{{name}}";
         GRANT SELECT ON ALL TABLES IN SCHEMA app TO "{{name}}"; GRANT EXECUTE ON FUNCTION pg_catalog.now() TO "{{name}}";`,
      ],
    });
    await plugin.newUser(req);
    const table = `owned_${counter++}`;
    const client = await db.connectAs(req.username, req.password);
    await client.query(`CREATE TABLE ${table} (id int)`);
    await client.end();
    await plugin.deleteUser({ username: req.username, statements: [] });
    expect(await roleExists(req.username)).toBe(false);
    const owner = await db.adminQuery<{ owner: string }>("SELECT tableowner AS owner FROM pg_tables WHERE tablename = $1", [table]);
    expect(owner.rows[0]?.owner).toBe("postgres");
  });

  it("runs custom revocation statements, and is idempotent with them too", async () => {
    const req = request();
    await plugin.newUser(req);
    const revoke = [`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{{name}}"; DROP ROLE "{{name}}";`];
    await plugin.deleteUser({ username: req.username, statements: revoke });
    expect(await roleExists(req.username)).toBe(false);
    await plugin.deleteUser({ username: req.username, statements: revoke });
  });

  it("changes the password: the old one stops working, the new one works", async () => {
    const req = request();
    await plugin.newUser(req);
    await plugin.updateUser({ username: req.username, password: { newPassword: "n3w-Passw0rd", statements: [] } });
    expect(await db.canLogin(req.username, req.password)).toBe(false);
    expect(await db.canLogin(req.username, "n3w-Passw0rd")).toBe(true);
  });

  it("moves the expiry: VALID UNTIL in the past locks the user out, in the future lets it in", async () => {
    const req = request();
    await plugin.newUser(req);
    await plugin.updateUser({ username: req.username, expiration: { newExpiration: new Date(Date.now() - 60_000), statements: [] } });
    expect(await db.canLogin(req.username, req.password)).toBe(false);
    await plugin.updateUser({ username: req.username, expiration: { newExpiration: new Date(Date.now() + 60_000), statements: [] } });
    expect(await db.canLogin(req.username, req.password)).toBe(true);
  });

  it("handles passwords with quotes, semicolons and backslashes", async () => {
    const req = request({ password: `a'b;c"d\\e$$f` });
    await plugin.newUser(req);
    expect(await db.canLogin(req.username, req.password)).toBe(true);
    await plugin.updateUser({ username: req.username, password: { newPassword: `x';DROP ROLE postgres;--`, statements: [] } });
    expect(await db.canLogin(req.username, `x';DROP ROLE postgres;--`)).toBe(true);
    expect(await db.canLogin("postgres", db.adminPassword)).toBe(true);
  });

  it("runs a DO block whole, as Vault does for statements containing END", async () => {
    const req = request({
      creationStatements: [
        `DO $$ BEGIN
           IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{{name}}') THEN
             CREATE ROLE "{{name}}" LOGIN PASSWORD '{{password}}';
           END IF;
         END $$;`,
      ],
    });
    await plugin.newUser(req);
    expect(await db.canLogin(req.username, req.password)).toBe(true);
  });

  it("leaves nothing behind when a creation statement fails, and keeps the password out of the error", async () => {
    const req = request({
      password: "Secret-Pw-123",
      creationStatements: [`CREATE ROLE "{{name}}" LOGIN PASSWORD '{{password}}'; GRANT SELECT ON nosuch TO "{{name}}"; SELECT 1`],
    });
    const err = await plugin.newUser(req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabasePluginError);
    expect((err as DatabasePluginError).code).toBe("42P01");
    expect((err as Error).message).toMatch(/^failed to execute query: relation "nosuch" does not exist/);
    expect(await roleExists(req.username)).toBe(false);

    // The statements go in one message: a syntax error anywhere fails it before any runs.
    const syntax = await plugin
      .newUser({ ...req, creationStatements: [`CREATE ROLE "{{name}}" LOGIN PASSWORD '{{password}}'; SELECT '{{password}}' +`] })
      .catch((e: unknown) => e);
    expect((syntax as DatabasePluginError).code).toBe("42601");
    expect((syntax as Error).message).not.toContain("Secret-Pw-123");
    expect(await roleExists(req.username)).toBe(false);
  });

  it("refuses empty creation statements and names PostgreSQL would truncate", async () => {
    await expect(plugin.newUser(request({ creationStatements: [" "] }))).rejects.toThrow("empty creation statements");
    await expect(plugin.newUser(request({ username: "v-".padEnd(64, "x") }))).rejects.toThrow(/63-byte limit/);
  });

  it("lists generated users by prefix, for the orphan sweep", async () => {
    const a = request({ username: `v-sweep_${counter++}` });
    const b = request({ username: `v-sweepX${counter++}` });
    await plugin.newUser(a);
    await plugin.newUser(b);
    // "_" is a LIKE wildcard; the prefix must match literally.
    expect(await plugin.listUsers("v-sweep_")).toEqual([a.username]);
    expect(await plugin.listUsers("v-sweep")).toEqual([a.username, b.username].sort());
  });

  it("rotates the root password: the old one is locked out, re-initialising with the new works", async () => {
    await db.adminQuery(`CREATE ROLE vaultadmin WITH LOGIN CREATEROLE PASSWORD 'bootstrap-pw'`);
    const admin = getPlugin("postgresql-database-plugin");
    const s = settings({ username: "vaultadmin", password: "bootstrap-pw" });
    await admin.initialize(s, true);
    await admin.updateUser({ username: "vaultadmin", password: { newPassword: "rotated-pw-1", statements: [] } });
    expect(await db.canLogin("vaultadmin", "bootstrap-pw")).toBe(false);
    await admin.initialize({ ...s, password: "rotated-pw-1" }, true);
    const req = request({ creationStatements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}';`] });
    await admin.newUser(req);
    await admin.deleteUser({ username: req.username, statements: [] });
    expect(await roleExists(req.username)).toBe(false);
    await admin.close();
  });

  it("sends only a SCRAM verifier when password_authentication is scram-sha-256", async () => {
    const scram = getPlugin("postgresql-database-plugin");
    await scram.initialize(settings({ options: { password_authentication: "scram-sha-256" } }), true);
    const req = request();
    await scram.newUser(req);
    expect(await db.canLogin(req.username, req.password)).toBe(true);
    const stored = await db.adminQuery<{ pw: string }>("SELECT rolpassword AS pw FROM pg_authid WHERE rolname = $1", [req.username]);
    expect(stored.rows[0]?.pw).toMatch(/^SCRAM-SHA-256\$4096:/);
    await scram.updateUser({ username: req.username, password: { newPassword: "after-rotation", statements: [] } });
    expect(await db.canLogin(req.username, "after-rotation")).toBe(true);
    await scram.close();
  });

  it("throws on delete when the target is unreachable, and succeeds once it is back", async () => {
    const req = request();
    await plugin.newUser(req);
    await db.pause();
    try {
      await expect(plugin.deleteUser({ username: req.username, statements: [] })).rejects.toBeInstanceOf(DatabasePluginError);
    } finally {
      await db.resume();
    }
    await plugin.deleteUser({ username: req.username, statements: [] });
    expect(await roleExists(req.username)).toBe(false);

    const nowhere = getPlugin("postgresql-database-plugin");
    await nowhere.initialize(settings({ connectionUrl: "postgresql://{{username}}:{{password}}@127.0.0.1:1/postgres?sslmode=disable" }), false);
    await expect(nowhere.deleteUser({ username: "v-anyone", statements: [] })).rejects.toThrow(/ECONNREFUSED/);
    await nowhere.close();
  });

  it("warns about creation statements that grant on objects rather than a group role", () => {
    expect(plugin.creationStatementWarnings(READ_ONLY)).toHaveLength(1);
    expect(plugin.creationStatementWarnings([`CREATE ROLE "{{name}}" LOGIN PASSWORD '{{password}}'; GRANT "readonly" TO "{{name}}";`])).toEqual([]);
  });

  it("creates users that only join a group role in parallel, outside the ACL lane", async () => {
    await db.adminQuery(`CREATE ROLE readers; GRANT SELECT ON ALL TABLES IN SCHEMA public TO readers`);
    const p = getPlugin("postgresql-database-plugin") as PostgresPlugin;
    await p.initialize(settings({ maxOpenConnections: 8 }), true);
    const reqs = Array.from({ length: 16 }, () =>
      request({ creationStatements: [`CREATE ROLE "{{name}}" LOGIN PASSWORD '{{password}}'; GRANT readers TO "{{name}}";`] }),
    );
    await Promise.all(reqs.map((r) => p.newUser(r)));
    expect(p.retriesTaken).toBe(0);
    const client = await db.connectAs(reqs[0]?.username ?? "", reqs[0]?.password ?? "");
    expect((await client.query("SELECT name FROM items")).rows).toEqual([{ name: "one" }]);
    await client.end();
    await Promise.all(reqs.map((r) => p.deleteUser({ username: r.username, statements: [] })));
    await p.close();
  });
});

describe("32 concurrent creations granting on the same tables", () => {
  const concurrency = 32;
  const grantEverywhere = [
    `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';
     GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";`,
  ];

  async function burst(p: PostgresPlugin): Promise<{ ok: NewUserRequest[]; failed: unknown[] }> {
    const reqs = Array.from({ length: concurrency }, () => request({ creationStatements: grantEverywhere }));
    const results = await Promise.allSettled(reqs.map((r) => p.newUser(r)));
    return {
      ok: reqs.filter((_, i) => results[i]?.status === "fulfilled"),
      failed: results.flatMap((r) => (r.status === "rejected" ? [r.reason] : [])),
    };
  }

  it("without the ACL lane and retries, racing GRANTs fail with 'tuple concurrently updated'", async () => {
    const bare = getPlugin("postgresql-database-plugin") as PostgresPlugin;
    // The racing transactions also deadlock, which PostgreSQL notices only after
    // deadlock_timeout (1 s); a shorter one keeps this demonstration quick.
    const url = `${db.templatedConnectionUrl}&options=${encodeURIComponent("-c deadlock_timeout=50ms")}`;
    await bare.initialize(settings({ maxOpenConnections: concurrency, connectionUrl: url }), true);
    bare.retryPolicy = { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 };
    bare.serializeAclChanges = false;
    let failures: unknown[] = [];
    // The race is real but timing-dependent: give it a few bursts to show itself.
    for (let round = 0; round < 5 && failures.length === 0; round++) {
      failures = (await burst(bare)).failed;
    }
    await bare.close();
    console.log(`without retries: ${failures.length} of ${concurrency} creations failed in the last burst`);
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) {
      expect(f).toBeInstanceOf(DatabasePluginError);
      expect(["XX000", "40001", "40P01"]).toContain((f as DatabasePluginError).code);
    }
  });

  it.each([4, concurrency])("with the plugin as shipped (pool of %i), all 32 succeed and every user logs in and can read", async (poolSize) => {
    const p = getPlugin("postgresql-database-plugin") as PostgresPlugin;
    await p.initialize(settings({ maxOpenConnections: poolSize }), true);
    const started = Date.now();
    const { ok, failed } = await burst(p);
    console.log(`pool ${poolSize}: ${ok.length}/${concurrency} in ${Date.now() - started} ms, ${p.retriesTaken} retries taken`);
    expect(failed).toEqual([]);
    expect(ok).toHaveLength(concurrency);
    for (const r of ok) {
      const client = await db.connectAs(r.username, r.password);
      expect((await client.query("SELECT count(*)::int AS n FROM t7")).rows[0]).toEqual({ n: 1 });
      await client.end();
    }
    // Revoking them all at once races the same way, and must also all succeed.
    const t = Date.now();
    const deletions = await Promise.allSettled(ok.map((r) => p.deleteUser({ username: r.username, statements: [] })));
    console.log(`pool ${poolSize}: 32 default revocations in ${Date.now() - t} ms`);
    expect(deletions.filter((d) => d.status === "rejected")).toEqual([]);
    for (const r of ok) expect(await roleExists(r.username)).toBe(false);
    await p.close();
  });

  it("two plugin instances on one database (two Mayfly servers) race each other; retries absorb it", async () => {
    const nodes = [0, 1].map(() => getPlugin("postgresql-database-plugin") as PostgresPlugin);
    for (const n of nodes) await n.initialize(settings({ maxOpenConnections: 16 }), true);
    const reqs = Array.from({ length: concurrency }, () => request({ creationStatements: grantEverywhere }));
    const results = await Promise.allSettled(reqs.map((r, i) => (nodes[i % 2] as PostgresPlugin).newUser(r)));
    console.log(`two instances: ${nodes.map((n) => n.retriesTaken).join(" + ")} retries taken`);
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    for (const r of reqs) expect(await db.canLogin(r.username, r.password)).toBe(true);
    const deletions = await Promise.allSettled(reqs.map((r, i) => (nodes[i % 2] as PostgresPlugin).deleteUser({ username: r.username, statements: [] })));
    expect(deletions.filter((d) => d.status === "rejected")).toEqual([]);
    for (const n of nodes) await n.close();
  });
});
