/**
 * The MySQL plugins against a real MariaDB the test starts itself (mariadb-install-db
 * into a temp dir, root behind a password, a free port).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMariadb, type MariadbInstance } from "../../../../test/support/index.js";
import { isMayflyError } from "../../../framework/errors.js";
import { getPlugin, pluginNames, type ConnectionSettings, type DatabasePlugin, type NewUserRequest } from "../plugin.js";
import { parseUsernameTemplate } from "../username-template.js";
import { DatabasePluginError } from "./common.js";

const READ_ONLY = [`CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'; GRANT SELECT ON test.* TO '{{name}}'@'%';`];

let db: MariadbInstance;
let plugin: DatabasePlugin;
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

function request(overrides: Partial<NewUserRequest> = {}): NewUserRequest {
  const name = parseUsernameTemplate(plugin.defaultUsernameTemplate).generate({ displayName: "token", roleName: `ro${counter++}` });
  return {
    username: name,
    password: `A1a-${Math.random().toString(36).slice(2)}`,
    expiration: new Date(Date.now() + 3_600_000),
    creationStatements: READ_ONLY,
    rollbackStatements: [],
    ...overrides,
  };
}

async function userExists(name: string): Promise<boolean> {
  const rows = (await db.adminQuery("SELECT 1 FROM mysql.user WHERE User = ?", [name])) as unknown[];
  return rows.length > 0;
}

async function errorCodeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
}

beforeAll(async () => {
  db = await startMariadb();
  console.log(`MariaDB instance started in ${db.startupMs} ms`);
  await db.adminQuery("CREATE TABLE test.items (id INT, name VARCHAR(20))");
  await db.adminQuery("INSERT INTO test.items VALUES (1, 'one')");
  plugin = getPlugin("mysql-database-plugin");
  await plugin.initialize(settings(), true);
});

afterAll(async () => {
  await plugin?.close();
  await db?.stop();
});

describe("mysql-database-plugin on MariaDB", () => {
  it("offers Vault's four MySQL plugin names with their username length limits", () => {
    for (const name of ["mysql-database-plugin", "mysql-aurora-database-plugin", "mysql-rds-database-plugin", "mysql-legacy-database-plugin"]) {
      expect(pluginNames).toContain(name);
    }
    const meta = { displayName: "a-long-display-name", roleName: "a-long-role-name" };
    const modern = parseUsernameTemplate(getPlugin("mysql-database-plugin").defaultUsernameTemplate).generate(meta);
    expect(modern).toHaveLength(32);
    expect(modern.startsWith("v-a-long-dis-a-long-rol-")).toBe(true);
    for (const legacy of ["mysql-legacy-database-plugin", "mysql-rds-database-plugin", "mysql-aurora-database-plugin"]) {
      const name = parseUsernameTemplate(getPlugin(legacy).defaultUsernameTemplate).generate(meta);
      expect(name).toHaveLength(16);
      expect(name.startsWith("v-a-lo-")).toBe(true);
    }
  });

  it("refuses a connection it cannot verify, without echoing the password", async () => {
    const p = getPlugin("mysql-database-plugin");
    try {
      await p.initialize(settings({ password: "wrong-secret-42" }), true);
      expect.unreachable();
    } catch (e) {
      expect(isMayflyError(e) && e.status).toBe(400);
      expect((e as Error).message).toMatch(/^error verifying connection: Access denied/);
      expect((e as Error).message).not.toContain("wrong-secret-42");
    }
  });

  it("creates a user that logs in with exactly the granted rights", async () => {
    const req = request();
    await plugin.newUser(req);
    const conn = await db.connectAs(req.username, req.password, "test");
    try {
      const [rows] = await conn.query("SELECT name FROM items");
      expect(rows).toEqual([{ name: "one" }]);
      expect(await errorCodeOf(conn.query("INSERT INTO items VALUES (2, 'two')"))).toBe("ER_TABLEACCESS_DENIED_ERROR");
      expect(await errorCodeOf(conn.query("SELECT * FROM mysql.user"))).toBe("ER_TABLEACCESS_DENIED_ERROR");
    } finally {
      await conn.end();
    }
    expect(await db.canLogin(req.username, "wrong")).toBe(false);
  });

  it("deletes with Vault's default revocation; deleting twice succeeds", async () => {
    const req = request();
    await plugin.newUser(req);
    await plugin.deleteUser({ username: req.username, statements: [] });
    expect(await db.canLogin(req.username, req.password)).toBe(false);
    expect(await userExists(req.username)).toBe(false);
    await plugin.deleteUser({ username: req.username, statements: [] });
    await plugin.deleteUser({ username: req.username, statements: [`DROP USER '{{name}}'@'%'`] });
  });

  it("changes the password; expiry changes are accepted and change nothing, as in Vault", async () => {
    const req = request();
    await plugin.newUser(req);
    await plugin.updateUser({ username: req.username, password: { newPassword: "n3w-Passw0rd", statements: [] } });
    expect(await db.canLogin(req.username, req.password)).toBe(false);
    expect(await db.canLogin(req.username, "n3w-Passw0rd")).toBe(true);
    await plugin.updateUser({ username: req.username, expiration: { newExpiration: new Date(Date.now() - 1000), statements: [] } });
    expect(await db.canLogin(req.username, "n3w-Passw0rd")).toBe(true);
  });

  it("handles passwords with quotes, backslashes and semicolons", async () => {
    const password = `a'b\\c;d"e%f`;
    const req = request({ password });
    await plugin.newUser(req);
    expect(await db.canLogin(req.username, password)).toBe(true);
  });

  it("cleans up a half-created user when a later statement fails, and redacts the password", async () => {
    const req = request({
      password: "Secret-Pw-123",
      creationStatements: [`CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'; GRANT SELECT ON nosuchdb.nosuch TO '{{name}}'@'%' IDENTIFIED BY '{{password}}' x`],
    });
    const err = await plugin.newUser(req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabasePluginError);
    expect((err as Error).message).not.toContain("Secret-Pw-123");
    expect(await userExists(req.username)).toBe(false);
  });

  it("runs rollback statements when creation fails part-way", async () => {
    await db.adminQuery("CREATE TABLE IF NOT EXISTS test.audit (who VARCHAR(64))");
    const req = request({
      creationStatements: [`CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'; INSERT INTO test.audit VALUES ('{{name}}'); GRANT NOSUCH ON test.* TO '{{name}}'@'%'`],
      rollbackStatements: [`DELETE FROM test.audit WHERE who = '{{name}}'; DROP USER '{{name}}'@'%'`],
    });
    await expect(plugin.newUser(req)).rejects.toBeInstanceOf(DatabasePluginError);
    expect(await userExists(req.username)).toBe(false);
    const rows = (await db.adminQuery("SELECT who FROM test.audit WHERE who = ?", [req.username])) as unknown[];
    expect(rows).toEqual([]);
  });

  it("lists generated users by prefix", async () => {
    const a = request({ username: `v-list_${counter++}` });
    const b = request({ username: `v-listX${counter++}` });
    await plugin.newUser(a);
    await plugin.newUser(b);
    expect(await plugin.listUsers("v-list_")).toEqual([a.username]);
    expect(await plugin.listUsers("v-list")).toEqual([a.username, b.username].sort());
  });

  it("rotates the root password of a dedicated admin", async () => {
    await db.adminQuery("CREATE USER 'vaultadmin'@'%' IDENTIFIED BY 'bootstrap-pw'");
    await db.adminQuery("GRANT ALL PRIVILEGES ON *.* TO 'vaultadmin'@'%' WITH GRANT OPTION");
    const admin = getPlugin("mysql-database-plugin");
    const s = settings({ username: "vaultadmin", password: "bootstrap-pw" });
    await admin.initialize(s, true);
    await admin.updateUser({ username: "vaultadmin", password: { newPassword: "rotated-pw-1", statements: [] } });
    expect(await db.canLogin("vaultadmin", "bootstrap-pw")).toBe(false);
    await admin.initialize({ ...s, password: "rotated-pw-1" }, true);
    const req = request();
    await admin.newUser(req);
    await admin.deleteUser({ username: req.username, statements: [] });
    expect(await userExists(req.username)).toBe(false);
    await admin.close();
  });

  it("handles 32 concurrent creations", async () => {
    const reqs = Array.from({ length: 32 }, () => request());
    const results = await Promise.allSettled(reqs.map((r) => plugin.newUser(r)));
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    for (const r of reqs) expect(await db.canLogin(r.username, r.password)).toBe(true);
    const deletions = await Promise.allSettled(reqs.map((r) => plugin.deleteUser({ username: r.username, statements: [] })));
    expect(deletions.filter((d) => d.status === "rejected")).toEqual([]);
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
    expect(await userExists(req.username)).toBe(false);
  });
});
