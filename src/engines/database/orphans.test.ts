import { afterEach, describe, expect, it } from "vitest";
import { fixedUsernamePrefix } from "./orphans.js";
import { parseUsernameTemplate } from "./username-template.js";
import { FAKE_TEMPLATE, FakeDatabase, fakePluginFactory, startHarness, type Harness } from "./test-harness.js";

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

describe("fixedUsernamePrefix", () => {
  it("finds the literal start of the default templates", () => {
    expect(fixedUsernamePrefix(parseUsernameTemplate(FAKE_TEMPLATE))).toBe("v-");
    const redis =
      '{{ printf "V_%s_%s_%s_%s" (.DisplayName | truncate 64) (.RoleName | truncate 64) (random 20) (unix_time) | truncate 100 | uppercase }}';
    expect(fixedUsernamePrefix(parseUsernameTemplate(redis))).toBe("V_");
    expect(fixedUsernamePrefix(parseUsernameTemplate("app_{{random 8}}"))).toBe("app_");
  });

  it("finds none when the name starts with a variable", () => {
    expect(fixedUsernamePrefix(parseUsernameTemplate("{{.RoleName}}-{{random 8}}"))).toBe("");
  });
});

describe("orphans/<name>", () => {
  it("reports users with the prefix that no lease accounts for, and drops them only when asked", async () => {
    let now = Date.now();
    const db = new FakeDatabase();
    h = await startHarness({ pluginFactory: fakePluginFactory(db), nowMs: () => now });
    await h.write("config/prod", config);
    await h.write("roles/app", { db_name: "prod", creation_statements: "CREATE", default_ttl: "10m" });
    const leased = String((await h.read("creds/app")).data?.username);
    db.users.set("v-token-app-handmade-1700000000", { password: "x", creationStatements: [] });
    db.users.set("v-static", { password: "x", creationStatements: [] });
    db.users.set("alice", { password: "x", creationStatements: [] });
    await h.write("static-roles/st", { db_name: "prod", username: "v-static", rotation_period: "1h" });

    const report = await h.read("orphans/prod");
    expect(report.data).toMatchObject({
      prefix: "v-",
      orphans: ["v-token-app-handmade-1700000000"],
      details: [{ username: "v-token-app-handmade-1700000000", reason: "no_lease" }],
    });
    expect(db.users.has("v-token-app-handmade-1700000000")).toBe(true);

    // A write without drop=true reports too.
    expect((await h.write("orphans/prod")).data?.dropped).toBeUndefined();
    expect(db.users.has("v-token-app-handmade-1700000000")).toBe(true);

    const dropped = await h.write("orphans/prod", { drop: true });
    expect(dropped.data?.dropped).toEqual(["v-token-app-handmade-1700000000"]);
    expect(db.users.has("v-token-app-handmade-1700000000")).toBe(false);
    expect(db.users.has(leased)).toBe(true);
    expect(db.users.has("v-static")).toBe(true);
    expect(db.users.has("alice")).toBe(true);

    // A user whose lease ended long ago but is still there (revoke-force) counts as left behind.
    now += 10 * 60_000 + 61_000;
    const later = await h.read("orphans/prod");
    expect(later.data?.details).toEqual([{ username: leased, reason: "lease_ended" }]);
  });

  it("refuses to guess without a fixed prefix, and takes one given", async () => {
    const db = new FakeDatabase();
    h = await startHarness({ pluginFactory: fakePluginFactory(db) });
    await h.write("config/prod", { ...config, username_template: "{{.RoleName}}_{{random 8}}" });
    const r = await h.read("orphans/prod");
    expect(r.status).toBe(400);
    expect(r.errors[0]).toContain("no fixed prefix");
    db.users.set("app_x1", { password: "x", creationStatements: [] });
    expect((await h.read("orphans/prod", { prefix: "app_" })).data?.orphans).toEqual(["app_x1"]);
  });
});
