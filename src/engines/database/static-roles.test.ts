import { afterEach, describe, expect, it } from "vitest";
import { FakeDatabase, fakePluginFactory, startHarness, type Harness } from "./test-harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const config = {
  plugin_name: "postgresql-database-plugin",
  connection_url: "postgresql://{{username}}:{{password}}@db:5432/app",
  username: "vault_admin",
  password: "bootstrap-pw",
  allowed_roles: "*",
};

async function setup(start = Date.UTC(2024, 2, 1, 10, 0, 0)) {
  const clock = { now: start };
  const db = new FakeDatabase();
  db.users.set("app_static", { password: "initial", creationStatements: [] });
  h = await startHarness({ pluginFactory: fakePluginFactory(db), nowMs: () => clock.now });
  expect((await h.write("config/prod", config)).status).toBe(204);
  return { h, db, clock };
}

describe("static-roles/<name>", () => {
  it("rotates the password on creation and serves it from static-creds", async () => {
    const { h, db, clock } = await setup();
    const w = await h.write("static-roles/app", { db_name: "prod", username: "app_static", rotation_period: "1h" });
    expect(w.status).toBe(204);
    const c = await h.read("static-creds/app");
    expect(c.data).toEqual({
      username: "app_static",
      password: db.users.get("app_static")?.password,
      last_vault_rotation: new Date(clock.now).toISOString(),
      rotation_period: 3600,
      ttl: 3600,
    });
    expect(c.data?.password).not.toBe("initial");
    expect(db.canLogin("app_static", "initial")).toBe(false);
    clock.now += 600_000;
    expect((await h.read("static-creds/app")).data?.ttl).toBe(3000);
    const r = await h.read("static-roles/app");
    expect(r.data).toEqual({
      db_name: "prod",
      username: "app_static",
      rotation_statements: [],
      credential_type: "password",
      last_vault_rotation: new Date(clock.now - 600_000).toISOString(),
      rotation_period: 3600,
    });
    expect(JSON.stringify(r.data)).not.toContain(String(c.data?.password));
    expect((await h.list("static-roles/")).data).toEqual({ keys: ["app"] });
  });

  it("leaves the password alone with skip_import_rotation", async () => {
    const { h, db } = await setup();
    await h.write("static-roles/app", { db_name: "prod", username: "app_static", rotation_period: "1h", skip_import_rotation: true });
    expect(db.users.get("app_static")?.password).toBe("initial");
  });

  it("rotates when due, and only when due", async () => {
    const { h, db, clock } = await setup();
    await h.write("static-roles/app", { db_name: "prod", username: "app_static", rotation_period: "10s", rotation_statements: "ALTER ROLE x" });
    const first = db.users.get("app_static")?.password;
    clock.now += 5_000;
    await h.backend.engine.rotations.runDue();
    expect(db.users.get("app_static")?.password).toBe(first);
    clock.now += 5_000;
    await h.backend.engine.rotations.runDue();
    const second = db.users.get("app_static")?.password;
    expect(second).not.toBe(first);
    expect((await h.read("static-creds/app")).data?.password).toBe(second);
    expect(db.calls.filter((c) => c.startsWith("password app_static ALTER ROLE x"))).toHaveLength(2);
  });

  it("forces a rotation with rotate-role", async () => {
    const { h, db } = await setup();
    await h.write("static-roles/app", { db_name: "prod", username: "app_static", rotation_period: "1h" });
    const before = db.users.get("app_static")?.password;
    expect((await h.write("rotate-role/app")).status).toBe(204);
    expect(db.users.get("app_static")?.password).not.toBe(before);
    expect(await h.write("rotate-role/nope")).toMatchObject({ status: 400, errors: ["no static role found for role name"] });
  });

  it("keeps the old password when the database refuses, and rolls forward from the WAL", async () => {
    const { h, db, clock } = await setup();
    await h.write("static-roles/app", { db_name: "prod", username: "app_static", rotation_period: "1h" });
    const stored = (await h.read("static-creds/app")).data?.password;
    db.down = true;
    const failed = await h.write("rotate-role/app");
    expect(failed.status).toBe(500);
    expect(failed.errors[0]).toContain("unable to finish rotating credentials");
    expect((await h.read("static-creds/app")).data?.password).toBe(stored);
    expect(await h.storage.list("wal/static/")).toEqual(["app"]);
    db.down = false;
    clock.now += 10_000;
    await h.backend.engine.rotations.runDue();
    const now = (await h.read("static-creds/app")).data?.password;
    expect(now).not.toBe(stored);
    expect(db.canLogin("app_static", String(now))).toBe(true);
    expect(await h.storage.list("wal/static/")).toEqual([]);
  });

  it("rotates on a cron schedule and skips a missed window", async () => {
    // 10:00 UTC; the schedule fires at minute 30 of every hour.
    const { h, db, clock } = await setup();
    await h.write("static-roles/app", { db_name: "prod", username: "app_static", rotation_schedule: "30 * * * *", rotation_window: "1h" });
    const first = db.users.get("app_static")?.password;
    expect((await h.read("static-creds/app")).data).toMatchObject({ rotation_schedule: "30 * * * *", rotation_window: 3600, ttl: 1800 });
    clock.now = Date.UTC(2024, 2, 1, 10, 30, 0);
    await h.backend.engine.rotations.runDue();
    const second = db.users.get("app_static")?.password;
    expect(second).not.toBe(first);
    // The mount was away for the 11:30 window; at 12:45 it waits for 13:30.
    clock.now = Date.UTC(2024, 2, 1, 12, 45, 0);
    await h.backend.engine.rotations.runDue();
    expect(db.users.get("app_static")?.password).toBe(second);
    expect(h.backend.engine.rotations.dueAt("app")).toBe(Date.UTC(2024, 2, 1, 13, 30, 0));
  });

  it("validates fields as Vault does", async () => {
    const { h } = await setup();
    const w = (data: Record<string, unknown>) => h.write("static-roles/x", { db_name: "prod", username: "app_static", ...data });
    expect((await w({})).errors).toEqual(["one of rotation_schedule or rotation_period must be provided to create a static account"]);
    expect((await w({ rotation_period: "4s" })).errors).toEqual(["rotation_period must be 5 seconds or more"]);
    expect((await w({ rotation_period: "1h", rotation_schedule: "* * * * *" })).errors[0]).toContain("mutually exclusive");
    expect((await w({ rotation_period: "1h", rotation_window: "2h" })).errors).toEqual(["rotation_window is invalid with use of rotation_period"]);
    expect((await w({ rotation_schedule: "* * * * *", rotation_window: "10m" })).errors[0]).toContain("rotation_window must be 3600 seconds or more");
    expect((await w({ rotation_schedule: "61 * * * *" })).errors[0]).toContain("could not parse rotation_schedule");
    expect((await h.write("static-roles/x", { username: "u", rotation_period: "1h" })).errors).toEqual(["database name is a required field"]);
    expect((await h.write("static-roles/x", { db_name: "prod", rotation_period: "1h" })).errors).toEqual([
      "username is a required field to create a static account",
    ]);
    await w({ rotation_period: "1h" });
    expect((await h.write("static-roles/x", { username: "other" })).errors).toEqual(["cannot update static account username"]);
  });

  it("refuses a role outside allowed_roles with Vault's 500, storing nothing", async () => {
    const { h } = await setup();
    await h.write("config/prod", { allowed_roles: "app-*" });
    const r = await h.write("static-roles/other", { db_name: "prod", username: "app_static", rotation_period: "1h" });
    expect(r.status).toBe(500);
    expect(r.errors[0]).toContain('"other" is not an allowed role');
    expect((await h.list("static-roles/")).status).toBe(404);
  });

  it("switches from a period to a schedule on update, and deletes", async () => {
    const { h } = await setup();
    await h.write("static-roles/app", { db_name: "prod", username: "app_static", rotation_period: "1h" });
    await h.write("static-roles/app", { rotation_schedule: "0 0 * * *" });
    const r = await h.read("static-roles/app");
    expect(r.data?.rotation_schedule).toBe("0 0 * * *");
    expect(r.data?.rotation_period).toBeUndefined();
    expect(h.backend.engine.rotations.dueAt("app")).toBe(Date.UTC(2024, 2, 2, 0, 0, 0));
    expect((await h.remove("static-roles/app")).status).toBe(204);
    expect(await h.read("static-creds/app")).toMatchObject({ status: 400, errors: ["unknown role: app"] });
    expect(h.backend.engine.rotations.dueAt("app")).toBeUndefined();
  });
});

describe("rotate-root", () => {
  it("changes the root password to one only the engine knows, via either path", async () => {
    const { h, db } = await setup();
    await h.write("config/prod", { rotation_statements: "ALTER USER {{username}} WITH PASSWORD '{{password}}';" });
    expect((await h.write("config/prod/rotate-root")).status).toBe(204);
    expect(db.canLogin("vault_admin", "bootstrap-pw")).toBe(false);
    expect(db.calls).toContain("password vault_admin ALTER USER {{username}} WITH PASSWORD '{{password}}';");
    const after1 = db.users.get("vault_admin")?.password ?? "";
    expect(after1).toMatch(/^[A-Za-z0-9-]{20}$/);
    // The engine still works with the new password (the pool was reopened).
    await h.write("roles/r", { db_name: "prod", creation_statements: "CREATE" });
    expect((await h.read("creds/r")).status).toBe(200);
    expect((await h.write("rotate-root/prod")).status).toBe(204);
    expect(db.users.get("vault_admin")?.password).not.toBe(after1);
    expect((await h.read("creds/r")).status).toBe(200);
  });

  it("keeps the stored password when the database refuses, and adopts a rotation the database took", async () => {
    const { h, db } = await setup();
    db.down = true;
    const failed = await h.write("rotate-root/prod");
    expect(failed.status).toBe(500);
    db.down = false;
    // The stored password still works: nothing changed on either side.
    expect((await h.write("reset/prod")).status).toBe(204);
    // Now pretend the database took the WAL's password but the engine died before storing it.
    const wal = JSON.parse((await h.storage.get("wal/root/prod"))?.toString() ?? "{}") as { new_password: string };
    const admin = db.users.get("vault_admin");
    if (admin) admin.password = wal.new_password;
    expect((await h.write("reset/prod")).status).toBe(204);
    expect(await h.storage.list("wal/root/")).toEqual([]);
  });

  it("needs a username and password in the config", async () => {
    const { h } = await setup();
    await h.write("config/nouser", { ...config, username: "", verify_connection: false });
    const r = await h.write("rotate-root/nouser");
    expect(r.status).toBe(500);
    expect(r.errors[0]).toContain("no username in configuration");
    expect((await h.write("rotate-root/missing")).errors[0]).toContain('failed to find entry for connection with name: "missing"');
  });
});

describe("cleanup", () => {
  it("stops the rotation timer and closes every pool", async () => {
    const db = new FakeDatabase();
    db.users.set("app_static", { password: "initial", creationStatements: [] });
    let offsetMs = 0;
    const local = await startHarness({ pluginFactory: fakePluginFactory(db), scheduleRotations: true, nowMs: () => Date.now() + offsetMs });
    await local.write("config/a", config);
    await local.write("config/b", config);
    await local.write("static-roles/app", { db_name: "a", username: "app_static", rotation_period: "1h" });
    expect(db.openPools).toBe(2);
    const rotations = local.backend.engine.rotations;
    const waitForChange = async (from: string | undefined, ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until && db.users.get("app_static")?.password === from) await new Promise((r) => setTimeout(r, 20));
      return db.users.get("app_static")?.password;
    };
    // While live, the timer alone rotates a role that came due.
    const before = db.users.get("app_static")?.password;
    offsetMs = 3600_000;
    rotations.set("app", Date.now() + offsetMs);
    expect(await waitForChange(before, 2_000)).not.toBe(before);
    await local.close();
    expect(db.openPools).toBe(0);
    const after = db.users.get("app_static")?.password;
    offsetMs = 3 * 3600_000;
    rotations.set("app", Date.now() + offsetMs);
    expect(await waitForChange(after, 300)).toBe(after);
  });
});
