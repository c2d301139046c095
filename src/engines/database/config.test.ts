import { afterEach, describe, expect, it } from "vitest";
import { FakeDatabase, fakePluginFactory, startHarness, type Harness } from "./test-harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function setup(db = new FakeDatabase()) {
  h = await startHarness({ pluginFactory: fakePluginFactory(db) });
  return { h, db };
}

const base = {
  plugin_name: "postgresql-database-plugin",
  connection_url: "postgresql://{{username}}:{{password}}@db.internal:5432/app?sslmode=disable",
  username: "vault_admin",
  password: "bootstrap-pw",
  allowed_roles: "app-readonly,app-*",
};

describe("config/<name>", () => {
  it("stores the connection and reads it back without the password", async () => {
    const { h } = await setup();
    const w = await h.write("config/prod", { ...base, rotation_statements: "ALTER USER {{username}} WITH PASSWORD '{{password}}';" });
    expect(w.status).toBe(204);
    const r = await h.read("config/prod");
    expect(r.status).toBe(200);
    expect(r.data).toMatchObject({
      plugin_name: "postgresql-database-plugin",
      plugin_version: "",
      allowed_roles: ["app-readonly", "app-*"],
      root_credentials_rotate_statements: ["ALTER USER {{username}} WITH PASSWORD '{{password}}';"],
      password_policy: "",
      verify_connection: true,
      connection_details: {
        connection_url: base.connection_url,
        username: "vault_admin",
        max_open_connections: 4,
      },
    });
    expect(JSON.stringify(r.data)).not.toContain("bootstrap-pw");
    expect((r.data?.connection_details as Record<string, unknown>).password).toBeUndefined();
    expect((await h.list("config/")).data).toEqual({ keys: ["prod"] });
  });

  it("prefers root_rotation_statements over the alias when both come", async () => {
    const { h } = await setup();
    await h.write("config/prod", { ...base, root_rotation_statements: ["A {{password}}"], rotation_statements: "B {{password}}" });
    expect((await h.read("config/prod")).data?.root_credentials_rotate_statements).toEqual(["A {{password}}"]);
  });

  it("refuses a connection it cannot verify with 400 and stores nothing", async () => {
    const db = new FakeDatabase();
    db.down = true;
    const { h } = await setup(db);
    const w = await h.write("config/prod", base);
    expect(w.status).toBe(400);
    expect(w.errors[0]).toMatch(/^error creating database object: error verifying connection/);
    expect((await h.read("config/prod")).status).toBe(404);
    expect((await h.list("config/")).status).toBe(404);
    expect(db.openPools).toBe(0);
  });

  it("stores without connecting when verify_connection=false", async () => {
    const db = new FakeDatabase();
    db.down = true;
    const { h } = await setup(db);
    expect((await h.write("config/prod", { ...base, verify_connection: "false" })).status).toBe(204);
    expect((await h.read("config/prod")).data?.verify_connection).toBe(false);
  });

  it("merges an update over the stored details and keeps the password", async () => {
    const { h } = await setup();
    await h.write("config/prod", base);
    expect((await h.write("config/prod", { allowed_roles: ["x"], max_open_connections: "9" })).status).toBe(204);
    const r = await h.read("config/prod");
    expect(r.data?.allowed_roles).toEqual(["x"]);
    expect(r.data?.connection_details).toMatchObject({ username: "vault_admin", max_open_connections: "9" });
    // The stored password still logs in: a credential request would fail otherwise.
    expect((await h.write("reset/prod")).status).toBe(204);
  });

  it("answers Vault's errors for a missing plugin name and an unknown plugin", async () => {
    const { h } = await setup();
    const noPlugin = await h.write("config/prod", { connection_url: base.connection_url });
    expect(noPlugin).toMatchObject({ status: 400, errors: ["empty plugin name"] });
    const unknown = await h.write("config/prod", { ...base, plugin_name: "oracle-database-plugin" });
    expect(unknown.status).toBe(400);
    expect(unknown.errors[0]).toContain("error creating database object");
  });

  it("warns about a literal password in connection_url and redacts it on read", async () => {
    const { h } = await setup();
    const w = await h.write("config/prod", {
      ...base,
      connection_url: "postgresql://vault_admin:bootstrap-pw@db.internal:5432/app",
    });
    expect(w.warnings.join(" ")).toContain("Password found in connection_url");
    const url = (await h.read("config/prod")).data?.connection_details as Record<string, unknown>;
    expect(url.connection_url).toBe("postgresql://vault_admin:xxxxx@db.internal:5432/app");
  });

  it("refuses a broken username_template", async () => {
    const { h } = await setup();
    const w = await h.write("config/prod", { ...base, username_template: "{{ .Nope" });
    expect(w.status).toBe(400);
    expect(w.errors[0]).toContain("username template");
  });

  it("closes the pool on delete", async () => {
    const { h, db } = await setup();
    await h.write("config/prod", base);
    expect(db.openPools).toBe(1);
    expect((await h.remove("config/prod")).status).toBe(204);
    expect(db.openPools).toBe(0);
    expect((await h.read("config/prod")).status).toBe(404);
  });

  it("replaces the pool when the config is overwritten, and on reset", async () => {
    const { h, db } = await setup();
    await h.write("config/prod", base);
    await h.write("config/prod", base);
    expect(db.openPools).toBe(1);
    await h.write("reset/prod");
    expect(db.openPools).toBe(1);
    expect(h.backend.engine.connections.openCount()).toBe(1);
  });

  it("reload/<plugin_name> resets every connection of that plugin, and only those", async () => {
    const { h, db } = await setup();
    await h.write("config/a", base);
    await h.write("config/b", base);
    await h.write("config/r", { plugin_name: "redis-database-plugin", host: "127.0.0.1", port: 6379, username: "u", password: "p" });
    const open = db.openPools;
    const opened = db.poolsOpened;
    const r = await h.write("reload/postgresql-database-plugin");
    expect(r.status).toBe(200);
    expect(r.data).toEqual({ connections: ["a", "b"], count: 2 });
    // Two pools closed and two new ones opened; the Redis one untouched.
    expect(db.openPools).toBe(open);
    expect(db.poolsOpened).toBe(opened + 2);
    expect((await h.write("reload/mysql-database-plugin")).data).toEqual({ connections: [], count: 0 });
  });

  it("reset of an unknown connection is Vault's 500", async () => {
    const { h } = await setup();
    const r = await h.write("reset/nope");
    expect(r.status).toBe(500);
    expect(r.errors[0]).toContain('failed to find entry for connection with name: "nope"');
  });
});
