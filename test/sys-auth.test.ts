/**
 * sys/auth over HTTP against a dev server, with userpass as the method being enabled:
 * enable, list (top level and `data`), tune and read-back, TTLs of logins following the
 * tuning, disable, the sudo requirement, and the separation from sys/mounts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";
import { client } from "./support/http.js";

let server: DevServer;
let root: ReturnType<typeof client>;
let base = "";

beforeAll(async () => {
  server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0" });
  base = server.addresses[0] as string;
  root = client(base, server.rootToken);
});
afterAll(async () => {
  await server.close();
});

async function tokenWith(policyHcl: string, name: string): Promise<string> {
  expect((await root.put(`sys/policies/acl/${name}`, { policy: policyHcl })).status).toBe(204);
  const r = await root.post("auth/token/create", { policies: [name], ttl: "1h" });
  expect(r.status).toBe(200);
  return r.json.auth.client_token as string;
}

async function loginStatus(mount: string, user: string, password: string): Promise<{ status: number; json: any }> {
  const r = await client(base).post(`auth/${mount}/login/${user}`, { password });
  return { status: r.status, json: r.json };
}

/** The keys Vault's sys/auth gives every mount (vault/logical_system.go mountInfo). */
const MOUNT_KEYS = [
  "accessor",
  "config",
  "description",
  "external_entropy_access",
  "local",
  "options",
  "plugin_version",
  "running_plugin_version",
  "running_sha256",
  "seal_wrap",
  "type",
  "uuid",
];

describe("enable and list", () => {
  it("enables userpass with 204 and lists it at the top level and under data", async () => {
    const r = await root.post("sys/auth/userpass", { type: "userpass", description: "people" });
    expect([r.status, r.text]).toEqual([204, ""]);

    const list = await root.get("sys/auth");
    expect(list.status).toBe(200);
    const top = list.json["userpass/"];
    expect(top).toBeDefined();
    expect(list.json.data["userpass/"]).toEqual(top);
    expect(Object.keys(top)).toEqual(expect.arrayContaining(MOUNT_KEYS));
    expect(top).toMatchObject({ type: "userpass", description: "people", local: false, seal_wrap: false, options: null });
    expect(top.accessor).toMatch(/^auth_userpass_[0-9a-f]+$/);
    expect(top.config).toMatchObject({ default_lease_ttl: 0, max_lease_ttl: 0, force_no_cache: false });
    // The token method is always there, beside it.
    expect(list.json.data["token/"]).toMatchObject({ type: "token" });
  });

  // Vault's mountInfo adds config.token_type for every auth mount ("default-service" unless
  // tuned), and its tune read does too; src/system/mounts.ts does so only for `token/`.
  // Remove `.fails` once it does.
  it("reports token_type for every auth mount, as Vault does", async () => {
    expect((await root.get("sys/auth")).json.data["userpass/"].config.token_type).toBe("default-service");
    expect((await root.get("sys/auth/userpass/tune")).json.data.token_type).toBe("default-service");
  });

  it("reads one mount at sys/auth/<path>", async () => {
    const r = await root.get("sys/auth/userpass");
    expect(r.status).toBe(200);
    expect(r.json.data).toMatchObject({ type: "userpass", description: "people" });
  });

  it("refuses a second mount at the same path, an unknown type and a missing type", async () => {
    expect((await root.post("sys/auth/userpass", { type: "userpass" })).status).toBe(400);
    expect((await root.post("sys/auth/nope", { type: "no-such-method" })).status).toBe(400);
    expect((await root.post("sys/auth/nope", {})).status).toBe(400);
    expect((await root.get("sys/auth")).json.data).not.toHaveProperty("nope/");
  });

  it("sys/mounts never shows auth methods", async () => {
    const mounts = await root.get("sys/mounts");
    expect(mounts.status).toBe(200);
    const keys = Object.keys(mounts.json.data as object);
    expect(keys).toContain("secret/");
    for (const k of keys) {
      expect(k).not.toMatch(/^(auth\/|userpass\/|token\/)/);
      expect(["userpass", "token"]).not.toContain(mounts.json.data[k].type);
    }
    expect(mounts.json).not.toHaveProperty("userpass/");
    expect((await root.get("sys/mounts/userpass")).status).toBe(400);
  });
});

describe("tune", () => {
  it("sets TTLs and description and reads them back", async () => {
    const r = await root.post("sys/auth/userpass/tune", { default_lease_ttl: "30m", max_lease_ttl: "2h", description: "tuned people" });
    expect(r.status).toBe(204);
    const back = await root.get("sys/auth/userpass/tune");
    expect(back.status).toBe(200);
    expect(back.json.data).toMatchObject({ default_lease_ttl: 1800, max_lease_ttl: 7200, description: "tuned people", force_no_cache: false });
    expect(back.json.default_lease_ttl).toBe(1800);
    expect((await root.get("sys/auth")).json.data["userpass/"]).toMatchObject({
      description: "tuned people",
      config: { default_lease_ttl: 1800, max_lease_ttl: 7200 },
    });
  });

  it("login tokens follow the tuned TTLs", async () => {
    expect((await root.post("auth/userpass/users/ttl-default", { password: "pw-1" })).status).toBe(204);
    const plain = await loginStatus("userpass", "ttl-default", "pw-1");
    expect(plain.status).toBe(200);
    expect(plain.json.auth.lease_duration).toBe(1800);

    // A user TTL above the mount's max is capped at the max, with Vault's warning.
    expect((await root.post("auth/userpass/users/ttl-long", { password: "pw-2", token_ttl: "5h" })).status).toBe(204);
    const long = await loginStatus("userpass", "ttl-long", "pw-2");
    expect(long.status).toBe(200);
    expect(long.json.auth.lease_duration).toBe(7200);
    expect(long.json.warnings).toEqual([`TTL of "5h0m0s" exceeded the effective max_ttl of "2h0m0s"; TTL value is capped accordingly`]);

    const lookup = await client(base, long.json.auth.client_token as string).get("auth/token/lookup-self");
    expect(lookup.json.data.creation_ttl).toBe(7200);
  });

  it("a tune of a path with no auth method is refused", async () => {
    expect((await root.post("sys/auth/nothing-here/tune", { default_lease_ttl: "1m" })).status).toBe(400);
  });
});

describe("a second userpass mount", () => {
  it("works independently of the first", async () => {
    expect((await root.post("sys/auth/staff", { type: "userpass" })).status).toBe(204);
    expect((await root.post("auth/staff/users/bob", { password: "staff-pw" })).status).toBe(204);
    expect((await root.post("auth/userpass/users/bob", { password: "people-pw" })).status).toBe(204);

    expect((await loginStatus("staff", "bob", "people-pw")).status).toBe(400);
    expect((await loginStatus("userpass", "bob", "staff-pw")).status).toBe(400);
    const staff = await loginStatus("staff", "bob", "staff-pw");
    expect(staff.status).toBe(200);
    const people = await loginStatus("userpass", "bob", "people-pw");
    expect(people.status).toBe(200);

    const whoStaff = await client(base, staff.json.auth.client_token as string).get("auth/token/lookup-self");
    expect(whoStaff.json.data).toMatchObject({ display_name: "staff-bob", path: "auth/staff/login/bob" });
    // Each mount has its own tuning: staff keeps the system default.
    expect(staff.json.auth.lease_duration).toBeGreaterThan(people.json.auth.lease_duration as number);

    expect((await root.delete("auth/staff/users/bob")).status).toBe(204);
    expect((await root.list("auth/staff/users")).status).toBe(404);
    expect((await root.list("auth/userpass/users")).json.data.keys).toContain("bob");
    expect((await loginStatus("userpass", "bob", "people-pw")).status).toBe(200);

    const accessors = (await root.get("sys/auth")).json.data;
    expect(accessors["staff/"].accessor).not.toBe(accessors["userpass/"].accessor);
  });
});

describe("sudo", () => {
  it("enabling, tuning and disabling need sudo on sys/auth/*", async () => {
    const plain = await tokenWith(`path "sys/auth/*" { capabilities = ["create", "update", "read", "delete"] }`, "auth-no-sudo");
    const sudo = await tokenWith(`path "sys/auth/*" { capabilities = ["create", "update", "read", "delete", "sudo"] }`, "auth-sudo");

    const denied = await client(base, plain).post("sys/auth/by-plain", { type: "userpass" });
    expect([denied.status, denied.json]).toEqual([403, { errors: ["permission denied"] }]);
    expect((await client(base, plain).post("sys/auth/userpass/tune", { description: "x" })).status).toBe(403);
    expect((await root.get("sys/auth")).json.data).not.toHaveProperty("by-plain/");

    expect((await client(base, sudo).post("sys/auth/by-sudo", { type: "userpass" })).status).toBe(204);
    expect((await client(base, sudo).post("sys/auth/by-sudo/tune", { description: "sudo made" })).status).toBe(204);
    expect((await client(base, plain).delete("sys/auth/by-sudo")).status).toBe(403);
    expect((await client(base, sudo).delete("sys/auth/by-sudo")).status).toBe(204);
  });
});

describe("disable", () => {
  it("answers 204; logins then find nothing", async () => {
    expect((await root.post("sys/auth/gone", { type: "userpass" })).status).toBe(204);
    expect((await root.post("auth/gone/users/eve", { password: "pw-eve" })).status).toBe(204);
    expect((await loginStatus("gone", "eve", "pw-eve")).status).toBe(200);

    expect((await root.delete("sys/auth/gone")).status).toBe(204);
    expect((await root.get("sys/auth")).json.data).not.toHaveProperty("gone/");
    // Without a token the path is no longer a login path: refused like any other.
    const anonymous = await loginStatus("gone", "eve", "pw-eve");
    expect(anonymous.status).toBe(403);
    // With a token, there is simply no handler.
    expect((await root.post("auth/gone/login/eve", { password: "pw-eve" })).status).toBe(404);
    // Disabling what is not there is still 204, as in Vault.
    expect((await root.delete("sys/auth/gone")).status).toBe(204);
  });

  // Vault logs out everyone a method authenticated when it is disabled (the tokens are
  // leases under auth/<path>/). Mayfly's disable revokes leases by prefix, which does not
  // yet reach login tokens. Remove `.fails` once it does.
  it("revokes the tokens the method issued", async () => {
    expect((await root.post("sys/auth/gone2", { type: "userpass" })).status).toBe(204);
    expect((await root.post("auth/gone2/users/eve", { password: "pw-eve" })).status).toBe(204);
    const login = await loginStatus("gone2", "eve", "pw-eve");
    expect(login.status).toBe(200);
    const eve = client(base, login.json.auth.client_token as string);
    expect((await eve.get("auth/token/lookup-self")).status).toBe(200);
    expect((await root.delete("sys/auth/gone2")).status).toBe(204);
    expect((await eve.get("auth/token/lookup-self")).status).toBe(403);
  });

  it("the token method cannot be disabled", async () => {
    expect((await root.delete("sys/auth/token")).status).toBe(400);
  });
});
