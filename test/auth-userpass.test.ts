/**
 * The userpass auth method over HTTP against a dev server: user management, the login
 * envelope clients read (client-compat 5.1), the token it issues and its policies,
 * renewal through the method, lockout, timing of refusals, and the CLI's
 * `login -method=userpass`.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../src/cli/testing.js";
import type { Logger } from "../src/framework/types.js";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { client } from "./support/http.js";

const BOB_PASSWORD = "Tr0ub4dor&3-bob";

/** As silent as silentLogger, but keeps every line so the test can look for secrets in them. */
const logLines: string[] = [];
const recordingLogger: Logger = {
  debug: (msg, fields) => void logLines.push(JSON.stringify([msg, fields ?? {}])),
  info: (msg, fields) => void logLines.push(JSON.stringify([msg, fields ?? {}])),
  warn: (msg, fields) => void logLines.push(JSON.stringify([msg, fields ?? {}])),
  error: (msg, fields) => void logLines.push(JSON.stringify([msg, fields ?? {}])),
};

let server: DevServer;
let base = "";
let root: ReturnType<typeof client>;
const anon = () => client(base);

beforeAll(async () => {
  server = await startDevServer({ logger: recordingLogger, listenAddress: "127.0.0.1:0" });
  base = server.addresses[0] as string;
  root = client(base, server.rootToken);
  expect((await root.post("sys/auth/userpass", { type: "userpass" })).status).toBe(204);
  const dev = `path "secret/data/dev/*" { capabilities = ["create", "read", "update"] }`;
  expect((await root.put("sys/policies/acl/dev", { policy: dev })).status).toBe(204);
  expect((await root.put("sys/policies/acl/ops", { policy: `path "secret/data/ops/*" { capabilities = ["read"] }` })).status).toBe(204);
});
afterAll(async () => {
  await server.close();
});

async function login(user: string, password: string, mount = "userpass"): Promise<{ status: number; json: any }> {
  const r = await anon().post(`auth/${mount}/login/${user}`, { password });
  return { status: r.status, json: r.json };
}

async function loginToken(user: string, password: string): Promise<string> {
  const r = await login(user, password);
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return r.json.auth.client_token as string;
}

describe("users", () => {
  it("creates a user with 204 and reads it back without the password", async () => {
    const w = await root.post("auth/userpass/users/bob", { password: BOB_PASSWORD, token_policies: "dev", token_ttl: "1h", token_max_ttl: "4h" });
    expect([w.status, w.text]).toEqual([204, ""]);
    const r = await root.get("auth/userpass/users/bob");
    expect(r.status).toBe(200);
    expect(r.json.data).toEqual({
      token_bound_cidrs: [],
      token_explicit_max_ttl: 0,
      token_max_ttl: 14400,
      token_no_default_policy: false,
      token_num_uses: 0,
      token_period: 0,
      token_policies: ["dev"],
      token_type: "default",
      token_ttl: 3600,
    });
    expect(r.text).not.toContain(BOB_PASSWORD);
    expect(r.text).not.toMatch(/password|hash|salt/i);
  });

  it("lists users and answers 404 for one that does not exist", async () => {
    expect((await root.list("auth/userpass/users")).json.data.keys).toContain("bob");
    expect((await root.get("auth/userpass/users/nobody")).status).toBe(404);
  });

  it("managing users needs a token; logging in does not", async () => {
    expect((await anon().get("auth/userpass/users/bob")).status).toBe(403);
    expect((await anon().post("auth/userpass/users/mallory", { password: "x" })).status).toBe(403);
    expect((await anon().list("auth/userpass/users")).status).toBe(403);
    expect((await login("bob", BOB_PASSWORD)).status).toBe(200);
  });

  it("the ACL decides before a malformed username is noticed", async () => {
    const dev = await root.post("auth/token/create", { policies: ["dev"], ttl: "10m" });
    const devClient = client(base, dev.json.auth.client_token as string);
    expect((await devClient.post("auth/userpass/users/bad@name", { password: "x" })).status).toBe(403);
    expect((await root.post("auth/userpass/users/bad@name", { password: "x" })).status).toBe(404);
  });

  it("refuses a create without password and bad token fields", async () => {
    const r = await root.post("auth/userpass/users/nopw", { token_policies: "dev" });
    expect([r.status, r.json]).toEqual([400, { errors: ["missing password"] }]);
    const bad = await root.post("auth/userpass/users/badttl", { password: "x", token_ttl: "2h", token_max_ttl: "1h" });
    expect([bad.status, bad.json]).toEqual([400, { errors: ["'token_ttl' cannot be greater than 'token_max_ttl'"] }]);
  });
});

describe("login", () => {
  it("answers with Vault's auth block (client-compat 5.1)", async () => {
    const r = await login("bob", BOB_PASSWORD);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ lease_id: "", renewable: false, lease_duration: 0 });
    const auth = r.json.auth;
    expect(Object.keys(auth).sort()).toEqual([
      "accessor",
      "client_token",
      "entity_id",
      "lease_duration",
      "metadata",
      "mfa_requirement",
      "num_uses",
      "orphan",
      "policies",
      "renewable",
      "token_policies",
      "token_type",
    ]);
    expect(auth).toMatchObject({
      policies: ["default", "dev"],
      token_policies: ["default", "dev"],
      metadata: { username: "bob" },
      lease_duration: 3600,
      renewable: true,
      token_type: "service",
      orphan: true,
      num_uses: 0,
    });
    expect(auth.client_token).toMatch(/\S{20,}/);
    expect(auth.accessor).toMatch(/\S{20,}/);
  });

  it("lowercases the username", async () => {
    const r = await login("BoB", BOB_PASSWORD);
    expect(r.status).toBe(200);
    expect(r.json.auth.metadata).toEqual({ username: "bob" });
  });

  it("issues a token that works and carries exactly the user's policies", async () => {
    const bob = client(base, await loginToken("bob", BOB_PASSWORD));
    const self = await bob.get("auth/token/lookup-self");
    expect(self.status).toBe(200);
    expect(self.json.data).toMatchObject({
      display_name: "userpass-bob",
      meta: { username: "bob" },
      path: "auth/userpass/login/bob",
      policies: ["default", "dev"],
      creation_ttl: 3600,
      renewable: true,
    });
    expect((await bob.post("secret/data/dev/app", { data: { k: "v" } })).status).toBe(200);
    expect((await bob.get("secret/data/dev/app")).json.data.data).toEqual({ k: "v" });
    expect((await bob.post("secret/data/ops/app", { data: { k: "v" } })).status).toBe(403);
    expect((await bob.get("sys/auth")).status).toBe(403);
    const caps = await bob.post("sys/capabilities-self", { paths: ["secret/data/dev/x", "secret/data/ops/x"] });
    expect(caps.json.data["secret/data/dev/x"]).toEqual(["create", "read", "update"]);
    expect(caps.json.data["secret/data/ops/x"]).toEqual(["deny"]);
  });

  it("a wrong password and an unknown user get the same 400", async () => {
    const wrong = await login("bob", "not-it");
    const unknown = await login("nobody-at-all", "not-it");
    expect(wrong.status).toBe(400);
    expect(wrong.json).toEqual({ errors: ["invalid username or password"] });
    expect([unknown.status, unknown.json]).toEqual([wrong.status, wrong.json]);
    expect((await login("bob", BOB_PASSWORD)).status).toBe(200);
  });

  it("takes comparable time for an unknown user and a wrong password", async () => {
    expect((await root.post("auth/userpass/users/carol", { password: "carol-pw" })).status).toBe(204);
    const timeOf = async (user: string) => {
      const t0 = process.hrtime.bigint();
      expect((await login(user, "wrong")).status).toBe(400);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    // Interleaved, three each: below the lockout threshold, and the machine's load hits both alike.
    for (let i = 0; i < 3; i++) {
      known.push(await timeOf("carol"));
      unknown.push(await timeOf(`ghost-${i}`));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1] as number;
    const ratio = median(unknown) / median(known);
    // Without the dummy hash an unknown user answers some hundred times faster.
    expect(ratio).toBeGreaterThan(0.25);
    expect(ratio).toBeLessThan(4);
    expect((await login("carol", "carol-pw")).status).toBe(200);
  });

  it("a missing password is a 400", async () => {
    const r = await anon().post("auth/userpass/login/bob", {});
    expect([r.status, r.json]).toEqual([400, { errors: ["missing password"] }]);
  });

  it("refuses users whose policies would make a root token", async () => {
    expect((await root.post("auth/userpass/users/wannabe", { password: "pw", token_policies: "root" })).status).toBe(204);
    const r = await login("wannabe", "pw");
    expect([r.status, r.json]).toEqual([400, { errors: ["auth methods cannot create root tokens"] }]);
  });

  it("binds the token to the user's CIDRs", async () => {
    expect((await root.post("auth/userpass/users/remote", { password: "pw", token_bound_cidrs: "10.0.0.0/8" })).status).toBe(204);
    expect((await login("remote", "pw")).status).toBe(403);
    expect((await root.post("auth/userpass/users/local", { password: "pw", token_bound_cidrs: "127.0.0.0/8" })).status).toBe(204);
    const local = await loginToken("local", "pw");
    expect((await client(base, local).get("auth/token/lookup-self")).json.data.bound_cidrs).toEqual(["127.0.0.0/8"]);
  });

  it("a password reset takes effect at once", async () => {
    expect((await root.post("auth/userpass/users/dora", { password: "first" })).status).toBe(204);
    expect((await root.post("auth/userpass/users/dora/password", { password: "second" })).status).toBe(204);
    expect((await login("dora", "first")).status).toBe(400);
    expect((await login("dora", "second")).status).toBe(200);
  });
});

describe("renewal through auth/token/renew-self", () => {
  it("renews while the user is unchanged, echoing the token", async () => {
    expect((await root.post("auth/userpass/users/renee", { password: "pw", token_policies: "dev", token_ttl: "10m" })).status).toBe(204);
    const token = await loginToken("renee", "pw");
    const r = await client(base, token).post("auth/token/renew-self", { increment: "20m" });
    expect(r.status).toBe(200);
    expect(r.json.auth).toMatchObject({ client_token: token, lease_duration: 1200, policies: ["default", "dev"] });
  });

  it("is refused once the user's policies changed", async () => {
    expect((await root.post("auth/userpass/users/pete", { password: "pw", token_policies: "dev" })).status).toBe(204);
    const token = await loginToken("pete", "pw");
    expect((await root.post("auth/userpass/users/pete/policies", { token_policies: "dev,ops" })).status).toBe(204);
    const r = await client(base, token).post("auth/token/renew-self", {});
    expect(r.status).toBe(500);
    expect(r.json.errors[0]).toContain("policies have changed, not renewing");
    // Only the renewal is refused: the token lives on until it expires.
    expect((await client(base, token).get("auth/token/lookup-self")).status).toBe(200);
  });

  it("is refused once the user is deleted", async () => {
    expect((await root.post("auth/userpass/users/gus", { password: "pw" })).status).toBe(204);
    const token = await loginToken("gus", "pw");
    expect((await root.delete("auth/userpass/users/gus")).status).toBe(204);
    const r = await client(base, token).post("auth/token/renew-self", {});
    expect([r.status, r.json]).toEqual([400, { errors: ["user no longer exists, not renewing"] }]);
  });
});

describe("lockout", () => {
  it("locks a user out after 5 failures with Vault's defaults", async () => {
    expect((await root.get("auth/userpass/config/lockout")).json.data).toEqual({
      lockout_threshold: 5,
      lockout_duration: 900,
      lockout_counter_reset: 900,
      lockout_disable: false,
    });
    expect((await root.post("auth/userpass/users/lucy", { password: "lucy-pw" })).status).toBe(204);
    for (let i = 0; i < 5; i++) expect((await login("lucy", "wrong")).status).toBe(400);
    const locked = await login("lucy", "lucy-pw");
    expect([locked.status, locked.json]).toEqual([403, { errors: ["permission denied"] }]);
    // Other users are not affected.
    expect((await login("bob", BOB_PASSWORD)).status).toBe(200);
  });

  it("follows the mount's own lockout settings", async () => {
    expect((await root.post("auth/userpass/config/lockout", { lockout_threshold: 2 })).status).toBe(204);
    expect((await root.post("auth/userpass/users/max", { password: "max-pw" })).status).toBe(204);
    for (let i = 0; i < 2; i++) expect((await login("max", "wrong")).status).toBe(400);
    expect((await login("max", "max-pw")).status).toBe(403);
    expect((await root.post("auth/userpass/config/lockout", { lockout_threshold: 0 })).status).toBe(204);
    expect((await root.get("auth/userpass/config/lockout")).json.data.lockout_threshold).toBe(5);
  });

  it("follows user_lockout_config from sys/auth/<path>/tune first, as Vault", async () => {
    const tune = await root.post("sys/auth/userpass/tune", { user_lockout_config: { lockout_threshold: "3", lockout_duration: "10m" } });
    expect(tune.status).toBe(204);
    expect((await root.get("sys/auth/userpass/tune")).json.data.user_lockout_config).toEqual({ lockout_threshold: 3, lockout_duration: 600 });
    expect((await root.post("auth/userpass/users/tina", { password: "tina-pw" })).status).toBe(204);
    for (let i = 0; i < 3; i++) expect((await login("tina", "wrong")).status).toBe(400);
    expect((await login("tina", "tina-pw")).status).toBe(403);
    expect((await root.post("sys/auth/userpass/tune", { user_lockout_config: { lockout_threshold: -1 } })).status).toBe(400);
    expect((await root.post("sys/auth/userpass/tune", { user_lockout_config: { lockout_disable: true } })).status).toBe(204);
    expect((await login("tina", "tina-pw")).status).toBe(200);
  });
});

describe("CLI", () => {
  it("login -method=userpass stores the token", async () => {
    const home = await mkdtemp(join(tmpdir(), "mayfly-userpass-"));
    try {
      const r = await run(["login", "-method=userpass", "username=bob", `password=${BOB_PASSWORD}`], base, {
        homeDir: home,
        env: { MAYFLY_TOKEN: undefined, VAULT_TOKEN: undefined },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("Success! You are now authenticated.");
      expect(r.stdout).toContain("token_policies");
      const stored = (await readFile(join(home, ".mayfly-token"), "utf8")).trim();
      expect(r.stdout).toContain(stored);
      const self = await client(base, stored).get("auth/token/lookup-self");
      expect(self.json.data).toMatchObject({ display_name: "userpass-bob", meta: { username: "bob" } });

      const bad = await run(["login", "-method=userpass", "username=bob", "password=wrong"], base, {
        homeDir: home,
        env: { MAYFLY_TOKEN: undefined, VAULT_TOKEN: undefined },
      });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("invalid username or password");
      expect((await readFile(join(home, ".mayfly-token"), "utf8")).trim()).toBe(stored);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe("secrets stay out of logs", () => {
  it("no log line holds a password", () => {
    for (const secret of [BOB_PASSWORD, "lucy-pw", "carol-pw", "max-pw"]) {
      expect(logLines.filter((l) => l.includes(secret))).toEqual([]);
    }
  });
});
