import { afterEach, describe, expect, it } from "vitest";
import { FakeDatabase, fakePluginFactory, startHarness, type Harness, type HarnessOptions } from "./test-harness.js";

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
  allowed_roles: "app-*",
};
const creation = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT app_readonly TO "{{name}}";`;

async function setup(opts: HarnessOptions = {}, db = new FakeDatabase()) {
  h = await startHarness({ pluginFactory: fakePluginFactory(db), ...opts });
  expect((await h.write("config/prod", config)).status).toBe(204);
  expect((await h.write("roles/app-readonly", { db_name: "prod", creation_statements: creation, default_ttl: "1h", max_ttl: "24h" })).status).toBe(204);
  return { h, db };
}

describe("roles/<name>", () => {
  it("reads back as Vault shows it", async () => {
    const { h } = await setup();
    const r = await h.read("roles/app-readonly");
    expect(r.data).toEqual({
      db_name: "prod",
      creation_statements: [creation],
      revocation_statements: [],
      rollback_statements: [],
      renew_statements: [],
      default_ttl: 3600,
      max_ttl: 86400,
      credential_type: "password",
    });
    expect((await h.list("roles/")).data).toEqual({ keys: ["app-readonly"] });
  });

  it("requires db_name and refuses credential types Mayfly cannot issue", async () => {
    const { h } = await setup();
    expect(await h.write("roles/x", { creation_statements: creation })).toMatchObject({ status: 400, errors: ["database name is required"] });
    const rsa = await h.write("roles/x", { db_name: "prod", credential_type: "rsa_private_key" });
    expect(rsa.status).toBe(400);
    expect(rsa.errors[0]).toContain('only "password"');
    expect((await h.write("roles/x", { db_name: "prod", credential_type: "banana" })).errors).toEqual(['invalid credential_type "banana"']);
  });

  it("keeps role and static role names apart", async () => {
    const { h } = await setup();
    const r = await h.write("static-roles/app-readonly", { db_name: "prod", username: "vault_admin", rotation_period: "1h" });
    expect(r).toMatchObject({ status: 400, errors: ["Role and Static Role names must be unique"] });
  });

  it("updates only the fields sent", async () => {
    const { h } = await setup();
    await h.write("roles/app-readonly", { default_ttl: "30m" });
    const r = await h.read("roles/app-readonly");
    expect(r.data).toMatchObject({ default_ttl: 1800, max_ttl: 86400, creation_statements: [creation] });
  });
});

describe("creds/<role>", () => {
  it("creates a user under a lease with the role's TTL, and the lease internals hold no password", async () => {
    const { h, db } = await setup();
    const r = await h.read("creds/app-readonly");
    expect(r.status).toBe(200);
    const { username, password } = r.data as { username: string; password: string };
    expect(username).toMatch(/^v-token-app-read-[A-Za-z0-9]{20}-\d{10}$/);
    expect(password).toMatch(/^[A-Za-z0-9-]{20}$/);
    expect(r.secret).toMatchObject({ leaseDurationSeconds: 3600, renewable: true });
    expect(r.secret?.leaseId).toMatch(/^database\/creds\/app-readonly\//);
    expect(db.canLogin(username, password)).toBe(true);
    const user = db.users.get(username);
    // VALID UNTIL is the lease end plus Vault's 5 s buffer.
    expect((user?.expiration?.getTime() ?? 0) - Date.now()).toBeGreaterThan(3600_000);
    expect((user?.expiration?.getTime() ?? 0) - Date.now()).toBeLessThan(3610_000);
    const lease = await h.expiration.get(r.secret?.leaseId ?? "");
    expect(lease?.internal).toMatchObject({ username, role: "app-readonly", db_name: "prod" });
    expect(JSON.stringify(lease)).not.toContain(password);
  });

  it("answers an unknown role with 400 and a role outside allowed_roles with Vault's 500", async () => {
    const { h } = await setup();
    expect(await h.read("creds/nope")).toMatchObject({ status: 400, errors: ["unknown role: nope"] });
    await h.write("roles/other", { db_name: "prod", creation_statements: creation });
    const denied = await h.read("creds/other");
    expect(denied.status).toBe(500);
    expect(denied.errors).toEqual(['1 error occurred:\n\t* "other" is not an allowed role\n\n']);
  });

  it("uses the mount's default TTL when the role has none, and caps at max_ttl", async () => {
    const { h } = await setup({ defaultLeaseTtlSeconds: 7200 });
    await h.write("roles/app-a", { db_name: "prod", creation_statements: creation });
    expect((await h.read("creds/app-a")).secret?.leaseDurationSeconds).toBe(7200);
    await h.write("roles/app-b", { db_name: "prod", creation_statements: creation, default_ttl: "2h", max_ttl: "1h" });
    const capped = await h.read("creds/app-b");
    expect(capped.secret?.leaseDurationSeconds).toBe(3600);
    expect(capped.warnings.join(" ")).toContain("capped");
  });

  it("drops the user on revoke with the role's statements and forgets it", async () => {
    const { h, db } = await setup();
    await h.write("roles/app-readonly", { revocation_statements: 'DROP ROLE "{{name}}";' });
    const r = await h.read("creds/app-readonly");
    const username = (r.data as { username: string }).username;
    await h.expiration.revoke(r.secret?.leaseId ?? "", { sync: true });
    expect(db.users.has(username)).toBe(false);
    expect(db.calls).toContain(`delete ${username} DROP ROLE "{{name}}";`);
    expect(await h.storage.list("usernames/prod/")).toEqual([]);
    expect(await h.expiration.get(r.secret?.leaseId ?? "")).toBeUndefined();
  });

  it("revokes with the statements from issue time once the role is deleted", async () => {
    const { h, db } = await setup();
    await h.write("roles/app-readonly", { revocation_statements: "CUSTOM {{name}}" });
    const r = await h.read("creds/app-readonly");
    await h.remove("roles/app-readonly");
    await h.expiration.revoke(r.secret?.leaseId ?? "", { sync: true });
    expect(db.calls.some((c) => c.endsWith("CUSTOM {{name}}"))).toBe(true);
  });

  it("keeps the lease when the connection config is gone, and retries", async () => {
    const { h } = await setup();
    const r = await h.read("creds/app-readonly");
    await h.remove("config/prod");
    await expect(h.expiration.revoke(r.secret?.leaseId ?? "", { sync: true })).rejects.toThrow(/failed to find entry for connection/);
    const lease = await h.expiration.get(r.secret?.leaseId ?? "");
    expect(lease?.state).toBe("revoking");
    expect(lease?.lastError).toContain("failed to find entry");
  });

  it("undoes a half-made user when creation fails, and returns the database's error", async () => {
    const db = new FakeDatabase();
    const { h } = await setup({}, db);
    db.failNewUserAfterCreate = 1;
    const r = await h.read("creds/app-readonly");
    expect(r.status).toBe(500);
    expect(r.errors[0]).toContain("permission denied for table secrets");
    // The half-made user was dropped by the lease manager's immediate revocation.
    expect([...db.users.keys()]).toEqual(["vault_admin"]);
    expect(await h.storage.list("usernames/prod/")).toEqual([]);
  });

  it("renews by moving the expiration, within the role's max_ttl", async () => {
    let now = Date.now();
    const { h, db } = await setup({ nowMs: () => now });
    await h.write("roles/app-short", { db_name: "prod", creation_statements: creation, default_ttl: "10m", max_ttl: "30m" });
    const r = await h.read("creds/app-short");
    const username = (r.data as { username: string }).username;
    now += 5 * 60_000;
    const renewed = await h.expiration.renew(r.secret?.leaseId ?? "", 600);
    expect(renewed.secret?.leaseDurationSeconds).toBe(600);
    expect(db.users.get(username)?.expiration?.getTime()).toBe(now + 600_000 + 5_000);
    now += 9 * 60_000;
    const capped = await h.expiration.renew(r.secret?.leaseId ?? "", 3600);
    // 30 minutes from issue, 14 gone.
    expect(capped.secret?.leaseDurationSeconds).toBe(960);
  });

  it("renews within a max_ttl lowered after issue, as Vault does", async () => {
    let now = Date.now();
    const { h } = await setup({ nowMs: () => now });
    const r = await h.read("creds/app-readonly");
    await h.write("roles/app-readonly", { max_ttl: "90m" });
    now += 60 * 60_000 - 1000;
    const renewed = await h.expiration.renew(r.secret?.leaseId ?? "", 3600);
    expect(renewed.secret?.leaseDurationSeconds).toBe(1801);
  });

  it("uses the role's credential_config password_policy over the connection's", async () => {
    h = await startHarness({ pluginFactory: fakePluginFactory(new FakeDatabase()), passwordPolicies: { pin: () => "1234", long: () => "x".repeat(40) } });
    await h.write("config/prod", { ...config, password_policy: "long" });
    await h.write("roles/app-pin", { db_name: "prod", creation_statements: creation, credential_config: { password_policy: "pin" } });
    await h.write("roles/app-long", { db_name: "prod", creation_statements: creation });
    expect((await h.read("creds/app-pin")).data?.password).toBe("1234");
    expect((await h.read("creds/app-long")).data?.password).toBe("x".repeat(40));
  });

  it("renders a custom username_template", async () => {
    h = await startHarness({ pluginFactory: fakePluginFactory(new FakeDatabase()) });
    await h.write("config/prod", { ...config, username_template: "app_{{.RoleName}}_{{random 6}}" });
    await h.write("roles/app-x", { db_name: "prod", creation_statements: creation });
    expect((await h.read("creds/app-x")).data?.username).toMatch(/^app_app-x_[A-Za-z0-9]{6}$/);
  });
});
