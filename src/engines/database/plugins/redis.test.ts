/**
 * The Redis plugin against a real redis-server the test starts itself, with ACLs on: an
 * admin user and the default user switched off.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis, type RedisInstance } from "../../../../test/support/index.js";
import { isMayflyError } from "../../../framework/errors.js";
import { getPlugin, type ConnectionSettings, type DatabasePlugin, type NewUserRequest } from "../plugin.js";
import { parseUsernameTemplate } from "../username-template.js";
import { DatabasePluginError } from "./common.js";

let db: RedisInstance;
let plugin: DatabasePlugin;
let counter = 0;

function settings(overrides: Partial<ConnectionSettings> = {}): ConnectionSettings {
  return {
    connectionUrl: "",
    username: db.adminUser,
    password: db.adminPassword,
    maxOpenConnections: 4,
    maxIdleConnections: 0,
    maxConnectionLifetimeSeconds: 0,
    disableEscaping: false,
    options: { host: db.host, port: db.port },
    ...overrides,
  };
}

function request(overrides: Partial<NewUserRequest> = {}): NewUserRequest {
  return {
    username: parseUsernameTemplate(plugin.defaultUsernameTemplate).generate({ displayName: "token", roleName: `role${counter++}` }),
    password: `A1a-${Math.random().toString(36).slice(2)}`,
    expiration: new Date(Date.now() + 3_600_000),
    creationStatements: [],
    rollbackStatements: [],
    ...overrides,
  };
}

async function replyError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "";
  } catch (e) {
    return (e as Error).message;
  }
}

beforeAll(async () => {
  db = await startRedis();
  console.log(`Redis instance started in ${db.startupMs} ms`);
  await db.adminCommand("SET", "foo:1", "bar");
  await db.adminCommand("SET", "other", "x");
  plugin = getPlugin("redis-database-plugin");
  await plugin.initialize(settings(), true);
});

afterAll(async () => {
  await plugin?.close();
  await db?.stop();
});

describe("redis-database-plugin", () => {
  it("names users as Vault's Redis plugin does: V_<display>_<role>_<random>_<unix>, upper case", () => {
    const name = parseUsernameTemplate(plugin.defaultUsernameTemplate).generate({ displayName: "token", roleName: "my-role" });
    expect(name).toMatch(/^V_TOKEN_MY-ROLE_[0-9A-Z]{20}_\d{10}$/);
  });

  it("checks its configuration and refuses a connection it cannot verify", async () => {
    const p = getPlugin("redis-database-plugin");
    await expect(p.initialize(settings({ options: { port: db.port } }), false)).rejects.toThrow("host cannot be empty");
    await expect(p.initialize(settings({ options: { host: db.host } }), false)).rejects.toThrow("port cannot be empty");
    await expect(p.initialize(settings({ username: "" }), false)).rejects.toThrow("username cannot be empty");
    try {
      await p.initialize(settings({ password: "wrong-secret-42" }), true);
      expect.unreachable();
    } catch (e) {
      expect(isMayflyError(e) && e.status).toBe(400);
      expect((e as Error).message).toMatch(/^error verifying connection: WRONGPASS/);
      expect((e as Error).message).not.toContain("wrong-secret-42");
    }
  });

  it("creates a read-only user by default (Vault's [\"~*\", \"+@read\"])", async () => {
    const req = request();
    await plugin.newUser(req);
    const client = await db.connectAs(req.username, req.password);
    try {
      expect(await client.get("foo:1")).toBe("bar");
      expect(await replyError(client.set("foo:1", "changed"))).toMatch(/NOPERM/);
    } finally {
      client.disconnect();
    }
    expect(await db.canLogin(req.username, "wrong")).toBe(false);
  });

  it("applies the role's ACL rules from a JSON list", async () => {
    const req = request({ creationStatements: [`["~foo:*", "+@read", "+@write"]`] });
    await plugin.newUser(req);
    const client = await db.connectAs(req.username, req.password);
    try {
      expect(await client.set("foo:2", "ok")).toBe("OK");
      expect(await replyError(client.get("other"))).toMatch(/NOPERM/);
      expect(await replyError(client.call("ACL", "LIST"))).toMatch(/NOPERM/);
    } finally {
      client.disconnect();
    }
  });

  it("refuses creation statements that are not a JSON list of strings", async () => {
    await expect(plugin.newUser(request({ creationStatements: ["+@read ~*"] }))).rejects.toThrow(/error unmarshalling REDIS rules/);
    await expect(plugin.newUser(request({ creationStatements: [`{"a": 1}`] }))).rejects.toThrow(/list of strings/);
  });

  it("deletes the user; deleting twice succeeds; open sessions are cut", async () => {
    const req = request();
    await plugin.newUser(req);
    const session = await db.connectAs(req.username, req.password);
    await plugin.deleteUser({ username: req.username, statements: [] });
    expect(await db.canLogin(req.username, req.password)).toBe(false);
    await expect(session.get("foo:1")).rejects.toThrow();
    session.disconnect();
    await plugin.deleteUser({ username: req.username, statements: [] });
  });

  it("changes the password; a missing user is an error; expiry changes are a no-op", async () => {
    const req = request();
    await plugin.newUser(req);
    await plugin.updateUser({ username: req.username, password: { newPassword: "n3w-Passw0rd", statements: [] } });
    expect(await db.canLogin(req.username, req.password)).toBe(false);
    expect(await db.canLogin(req.username, "n3w-Passw0rd")).toBe(true);
    await plugin.updateUser({ username: req.username, expiration: { newExpiration: new Date(0), statements: [] } });
    expect(await db.canLogin(req.username, "n3w-Passw0rd")).toBe(true);
    await expect(plugin.updateUser({ username: "V_NOBODY", password: { newPassword: "x", statements: [] } })).rejects.toThrow(/user not found/);
  });

  it("lists users by prefix", async () => {
    const a = request({ username: "V_LIST_A" });
    const b = request({ username: "V_LISTB" });
    await plugin.newUser(a);
    await plugin.newUser(b);
    expect(await plugin.listUsers("V_LIST_")).toEqual(["V_LIST_A"]);
    expect(await plugin.listUsers("V_LIST")).toEqual(["V_LISTB", "V_LIST_A"].sort());
  });

  it("rotates the root password of the admin", async () => {
    await db.adminCommand("ACL", "SETUSER", "vaultadmin", "on", ">bootstrap-pw", "~*", "&*", "+@all");
    const admin = getPlugin("redis-database-plugin");
    const s = settings({ username: "vaultadmin", password: "bootstrap-pw" });
    await admin.initialize(s, true);
    await admin.updateUser({ username: "vaultadmin", password: { newPassword: "rotated-pw-1", statements: [] } });
    expect(await db.canLogin("vaultadmin", "bootstrap-pw")).toBe(false);
    await admin.initialize({ ...s, password: "rotated-pw-1" }, true);
    expect(await admin.listUsers("vault")).toEqual(["vaultadmin"]);
    await admin.close();
  });

  it("handles 32 concurrent creations", async () => {
    const reqs = Array.from({ length: 32 }, () => request());
    const results = await Promise.allSettled(reqs.map((r) => plugin.newUser(r)));
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    for (const r of reqs) expect(await db.canLogin(r.username, r.password)).toBe(true);
    await Promise.all(reqs.map((r) => plugin.deleteUser({ username: r.username, statements: [] })));
  });

  it("throws on delete when the target is unreachable, and works again once it is back", async () => {
    const req = request();
    await plugin.newUser(req);
    await db.pause();
    try {
      const started = Date.now();
      await expect(plugin.deleteUser({ username: req.username, statements: [] })).rejects.toBeInstanceOf(DatabasePluginError);
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await db.resume();
    }
    // Without persistence the restarted server has forgotten the user; the delete is a no-op.
    await plugin.deleteUser({ username: req.username, statements: [] });
    const again = request();
    await plugin.newUser(again);
    expect(await db.canLogin(again.username, again.password)).toBe(true);
  });
});

describe("redis-database-plugin over TLS (tls, ca_cert, insecure_tls)", () => {
  let tlsDb: RedisInstance;
  beforeAll(async () => {
    tlsDb = await startRedis({ tls: true });
    console.log(`Redis instance with TLS (certificates included) started in ${tlsDb.startupMs} ms`);
  });
  afterAll(async () => {
    await tlsDb?.stop();
  });

  const tlsSettings = (options: Record<string, unknown>): ConnectionSettings => ({
    ...settings(),
    username: tlsDb.adminUser,
    password: tlsDb.adminPassword,
    options: { host: tlsDb.host, port: tlsDb.port, ...options },
  });

  it("verifies the server against ca_cert and issues users over TLS", async () => {
    const p = getPlugin("redis-database-plugin");
    await p.initialize(tlsSettings({ tls: true, ca_cert: tlsDb.caCert }), true);
    const req = request();
    await p.newUser(req);
    expect(await tlsDb.canLogin(req.username, req.password)).toBe(true);
    await p.deleteUser({ username: req.username, statements: [] });
    expect(await tlsDb.canLogin(req.username, req.password)).toBe(false);
    await p.close();
  });

  it("refuses a server its CA did not sign unless insecure_tls, and plain text to a TLS port", async () => {
    const p = getPlugin("redis-database-plugin");
    await expect(p.initialize(tlsSettings({ tls: true }), true)).rejects.toThrow(/error verifying connection: .*(self.signed|unable to verify|certificate)/i);
    await p.initialize(tlsSettings({ tls: true, insecure_tls: true }), true);
    await p.close();
    await expect(p.initialize(tlsSettings({}), true)).rejects.toThrow(/error verifying connection/);
  });
});
