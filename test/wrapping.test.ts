/**
 * Response wrapping over HTTP: X-Vault-Wrap-TTL on any request, sys/wrapping/*, the
 * response-wrapping policy, audit HMACs of wrapping tokens, and the CLI's -wrap-ttl and
 * `unwrap` against a real server.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../src/cli/testing.js";
import { consumeWrapped, type Wrapped } from "../src/core/wrapping/index.js";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";
import { api, client } from "./support/http.js";
import { eventually } from "./support/e2e.js";

const ROOT = "wrapping-root";
let server: DevServer;
let base: string;
let root: ReturnType<typeof client>;
let auditDir: string;

const wrap = (ttl: string) => ({ headers: { "X-Vault-Wrap-TTL": ttl } });
const INVALID = "wrapping token is not valid or does not exist";

beforeAll(async () => {
  server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0", rootTokenId: ROOT });
  base = server.addresses[0] as string;
  root = client(base, ROOT);
  auditDir = mkdtempSync(join(tmpdir(), "mayfly-wrapping-audit-"));
  expect((await root.put("secret/data/app", { data: { password: "s3cret", user: "app" } })).status).toBe(200);
});
afterAll(async () => {
  await server?.close();
  rmSync(auditDir, { recursive: true, force: true });
});

/** A wrapped read of secret/data/app; returns the whole wrapping envelope. */
async function wrappedRead(ttl = "5m") {
  const r = await root.get("secret/data/app", wrap(ttl));
  expect(r.status).toBe(200);
  return r.json;
}

describe("X-Vault-Wrap-TTL", () => {
  it("answers a KV read with only wrap_info, and the wrapping token is a single-use orphan", async () => {
    const before = Date.now();
    const w = await wrappedRead("5m");
    expect(w).toMatchObject({ data: null, auth: null, lease_id: "", renewable: false, lease_duration: 0, warnings: null });
    expect(w.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.keys(w.wrap_info).sort()).toEqual(["accessor", "creation_path", "creation_time", "token", "ttl"]);
    expect(w.wrap_info).toMatchObject({ ttl: 300, creation_path: "secret/data/app" });
    expect(w.wrap_info.token).toMatch(/^hvs\./);
    const created = Date.parse(w.wrap_info.creation_time);
    expect(w.wrap_info.creation_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(created).toBeGreaterThanOrEqual(before - 1000);
    expect(created).toBeLessThanOrEqual(Date.now() + 1000);

    const look = await root.post("auth/token/lookup-accessor", { accessor: w.wrap_info.accessor });
    expect(look.status).toBe(200);
    expect(look.json.data).toMatchObject({
      policies: ["response-wrapping"],
      num_uses: 1,
      orphan: true,
      renewable: false,
      path: "secret/data/app",
      explicit_max_ttl: 300,
    });
    expect(look.json.data.ttl).toBeGreaterThan(290);
  });

  it("unwraps to the original envelope once, then refuses with 400", async () => {
    const plain = await root.get("secret/data/app");
    const w = await wrappedRead();
    const token = w.wrap_info.token as string;
    const first = await api(base, "POST", "sys/wrapping/unwrap", { token });
    expect(first.status).toBe(200);
    expect(first.headers["content-type"]).toBe("application/json");
    // The stored envelope keeps the request id of the wrapped request.
    expect(first.json.request_id).toBe(w.request_id);
    expect(first.json.data).toEqual(plain.json.data);
    expect(first.json).toMatchObject({ wrap_info: null, auth: null, lease_id: "", mount_type: "kv" });

    const second = await api(base, "POST", "sys/wrapping/unwrap", { token });
    expect(second.status).toBe(400);
    expect(second.json.errors).toEqual([INVALID]);
    // Nor may anyone else unwrap it on the token's behalf.
    expect((await root.post("sys/wrapping/unwrap", { token })).json.errors).toEqual([INVALID]);
  });

  it("unwraps the Go client's way too: PUT with a JSON null body and the wrapping token as the request token", async () => {
    const w = await wrappedRead();
    const r = await api(base, "PUT", "sys/wrapping/unwrap", { token: w.wrap_info.token, rawBody: "null\n", headers: { "Content-Type": "application/json" } });
    expect(r.status).toBe(200);
    expect(r.json.data.data.user).toBe("app");
  });

  it("takes seconds, a number of seconds, and Go durations; 0 means no wrapping", async () => {
    for (const ttl of ["300", "300s", "5m"]) expect((await wrappedRead(ttl)).wrap_info.ttl).toBe(300);
    const unwrapped = await root.get("secret/data/app", wrap("0"));
    expect(unwrapped.status).toBe(200);
    expect(unwrapped.json.wrap_info).toBeNull();
    expect(unwrapped.json.data.data.password).toBe("s3cret");
  });

  it("refuses a wrap TTL it cannot parse, or a negative one, with 400", async () => {
    for (const ttl of ["soon", "5x", "-5m"]) {
      const r = await root.get("secret/data/app", wrap(ttl));
      expect(r.status, ttl).toBe(400);
      expect(r.json.errors[0]).toMatch(/^error parsing X-Vault-Wrap-TTL header: /);
    }
  });

  it("caps the wrap TTL at the mount's max lease TTL, else the system's", async () => {
    expect((await root.post("sys/mounts/capped", { type: "kv", config: { max_lease_ttl: "1h" } })).status).toBe(204);
    await root.put("capped/x", { v: "1" });
    const capped = await root.get("capped/x", wrap("100h"));
    expect(capped.json.wrap_info.ttl).toBe(3600);
    expect((await wrappedRead("2000h")).wrap_info.ttl).toBe(768 * 3600);
  });

  it("wraps auth/token/create and reports the wrapped token's accessor", async () => {
    const r = await root.post("auth/token/create", { policies: ["default"], ttl: "1h" }, wrap("2m"));
    expect(r.status).toBe(200);
    expect(r.json.auth).toBeNull();
    expect(r.json.wrap_info).toMatchObject({ ttl: 120, creation_path: "auth/token/create" });
    const wrappedAccessor = r.json.wrap_info.wrapped_accessor as string;
    expect(wrappedAccessor).toMatch(/\S/);

    // A third party (here the root token) unwraps by naming the token in the body.
    const u = await root.post("sys/wrapping/unwrap", { token: r.json.wrap_info.token });
    expect(u.status).toBe(200);
    expect(u.json.auth.accessor).toBe(wrappedAccessor);
    const self = await api(base, "GET", "auth/token/lookup-self", { token: u.json.auth.client_token });
    expect(self.status).toBe(200);
    expect(self.json.data.accessor).toBe(wrappedAccessor);
  });

  it("leaves requests without anything to wrap unwrapped (204)", async () => {
    const r = await root.put("sys/policies/acl/nothing-to-wrap", { policy: 'path "x" { capabilities = ["read"] }' }, wrap("1m"));
    expect(r.status).toBe(204);
  });
});

describe("sys/wrapping", () => {
  it("lookup needs no token of its own, and does not spend the wrapping token", async () => {
    const w = await wrappedRead("7m");
    const look = await api(base, "POST", "sys/wrapping/lookup", { body: { token: w.wrap_info.token } });
    expect(look.status).toBe(200);
    expect(look.json.data).toEqual({ creation_ttl: 420, creation_time: w.wrap_info.creation_time, creation_path: "secret/data/app" });
    // With the wrapping token as the request's own token, too.
    expect((await api(base, "POST", "sys/wrapping/lookup", { token: w.wrap_info.token })).json.data.creation_ttl).toBe(420);

    expect((await api(base, "POST", "sys/wrapping/unwrap", { token: w.wrap_info.token })).status).toBe(200);
    const after = await api(base, "POST", "sys/wrapping/lookup", { body: { token: w.wrap_info.token } });
    expect(after.status).toBe(400);
    expect(after.json.errors).toEqual([INVALID]);
  });

  it("lookup of a token that is not a wrapping token is refused", async () => {
    const r = await api(base, "POST", "sys/wrapping/lookup", { body: { token: ROOT } });
    expect(r.status).toBe(400);
    expect(r.json.errors).toEqual([INVALID]);
    expect((await api(base, "POST", "sys/wrapping/lookup", { body: {} })).status).toBe(403);
  });

  it("rewrap gives a new token for the same response and invalidates the old", async () => {
    const w = await wrappedRead("6m");
    const old = w.wrap_info.token as string;
    const r = await root.post("sys/wrapping/rewrap", { token: old });
    expect(r.status).toBe(200);
    expect(r.json.data).toBeNull();
    expect(r.json.wrap_info).toMatchObject({ ttl: 360, creation_path: "secret/data/app" });
    expect(r.json.wrap_info.token).not.toBe(old);
    expect((await root.post("sys/wrapping/unwrap", { token: old })).status).toBe(400);
    const u = await root.post("sys/wrapping/unwrap", { token: r.json.wrap_info.token });
    expect(u.status).toBe(200);
    expect(u.json.request_id).toBe(w.request_id);
    expect(u.json.data.data).toEqual({ password: "s3cret", user: "app" });
  });

  it("wrap puts the request body in a wrapping token, and requires a wrap TTL", async () => {
    const r = await root.post("sys/wrapping/wrap", { a: "b", n: 1 }, wrap("1m"));
    expect(r.status).toBe(200);
    expect(r.json.wrap_info).toMatchObject({ ttl: 60, creation_path: "sys/wrapping/wrap" });
    const u = await api(base, "POST", "sys/wrapping/unwrap", { token: r.json.wrap_info.token });
    expect(u.json.data).toEqual({ a: "b", n: 1 });

    const bare = await root.post("sys/wrapping/wrap", { a: "b" });
    expect(bare.status).toBe(400);
    expect(bare.json.errors).toEqual(["endpoint requires response wrapping to be used"]);
  });

  it("lets exactly one of two overlapping consumers have the response", async () => {
    const w = await wrappedRead();
    const hash = server.core.tokens.hashToken(w.wrap_info.token as string);
    // The first consumer is still busy when the second arrives: HTTP timing alone rarely overlaps them.
    const slow = (ms: number) => async (wrapped: Wrapped) => {
      await new Promise((r) => setTimeout(r, ms));
      return wrapped.response;
    };
    const results = await Promise.allSettled([
      consumeWrapped(server.core, hash, { revokeToken: true }, slow(50)),
      consumeWrapped(server.core, hash, { revokeToken: true }, slow(0)),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected"]);
    expect(JSON.parse((results[0] as PromiseFulfilledResult<string>).value).request_id).toBe(w.request_id);
    expect((await api(base, "POST", "sys/wrapping/unwrap", { token: w.wrap_info.token })).status).toBe(400);
  });

  it("an expired wrapping token is no longer valid", async () => {
    const w = await wrappedRead("1s");
    await new Promise((r) => setTimeout(r, 1_100));
    const r = await api(base, "POST", "sys/wrapping/unwrap", { token: w.wrap_info.token });
    expect(r.status).toBe(400);
    expect(r.json.errors).toEqual([INVALID]);
  });
});

describe("policies", () => {
  it("a wrapping token can do nothing but unwrap", async () => {
    const w = await wrappedRead();
    expect((await api(base, "GET", "secret/data/app", { token: w.wrap_info.token })).status).toBe(403);
  });

  it("response-wrapping is built in, fixed and not assignable", async () => {
    const read = await root.get("sys/policies/acl/response-wrapping");
    expect(read.status).toBe(200);
    expect(read.json.data.policy).toContain('path "cubbyhole/response"');
    expect((await root.put("sys/policies/acl/response-wrapping", { policy: 'path "*" { capabilities = ["sudo"] }' })).json.errors).toEqual([
      'cannot update "response-wrapping" policy',
    ]);
    expect((await root.delete("sys/policies/acl/response-wrapping")).status).toBe(400);
    expect((await root.list("sys/policies/acl")).json.data.keys).not.toContain("response-wrapping");
    const create = await root.post("auth/token/create", { policies: ["response-wrapping"] });
    expect(create.status).toBe(400);
    expect(create.json.errors).toEqual(['cannot assign policy "response-wrapping"']);
  });

  it("the default policy may wrap, look up and unwrap, but not rewrap", async () => {
    const t = await root.post("auth/token/create", { policies: ["default"] });
    const user = client(base, t.json.auth.client_token as string);
    const wrapped = await user.post("sys/wrapping/wrap", { k: "v" }, wrap("1m"));
    expect(wrapped.status).toBe(200);
    const token = wrapped.json.wrap_info.token as string;
    expect((await user.post("sys/wrapping/lookup", { token })).status).toBe(200);
    expect((await user.post("sys/wrapping/rewrap", { token })).status).toBe(403);
    const u = await user.post("sys/wrapping/unwrap", { token });
    expect(u.status).toBe(200);
    expect(u.json.data).toEqual({ k: "v" });
  });
});

describe("audit", () => {
  it("HMACs the wrapping token and accessor in the response line and records wrap_ttl", async () => {
    const file = join(auditDir, "audit.log");
    expect((await root.put("sys/audit/wrapfile", { type: "file", options: { file_path: file } })).status).toBe(204);
    try {
      const w = await wrappedRead("4m");
      const token = w.wrap_info.token as string;
      const accessor = w.wrap_info.accessor as string;
      const lineOf = () =>
        existsSync(file)
          ? readFileSync(file, "utf8")
              .trim()
              .split("\n")
              .map((l) => JSON.parse(l))
              .find((e) => e.type === "response" && e.request?.id === w.request_id)
          : undefined;
      await eventually(() => lineOf() !== undefined);
      const entry = lineOf();
      const hash = async (input: string) => (await root.post("sys/audit-hash/wrapfile", { input })).json.hash as string;
      expect(entry.request.wrap_ttl).toBe(240);
      expect(entry.response.wrap_info).toMatchObject({
        ttl: 240,
        token: await hash(token),
        accessor: await hash(accessor),
        creation_path: "secret/data/app",
      });
      expect(entry.response.data).toBeUndefined();

      // The unwrap's response line records what came out, HMAC'd, as Vault's does.
      expect((await root.post("sys/wrapping/unwrap", { token })).status).toBe(200);
      const unwrapLine = () =>
        readFileSync(file, "utf8")
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l))
          .find((e) => e.type === "response" && e.request?.path === "sys/wrapping/unwrap");
      await eventually(() => unwrapLine() !== undefined);
      const unwrapEntry = unwrapLine();
      expect(unwrapEntry.request.data.token).toBe(await hash(token));
      expect(unwrapEntry.response.data.data.password).toBe(await hash("s3cret"));
      const text = readFileSync(file, "utf8");
      expect(text).not.toContain(token);
      expect(text).not.toContain("s3cret");
    } finally {
      await root.delete("sys/audit/wrapfile");
    }
  });
});

describe("CLI", () => {
  it("-wrap-ttl prints Vault's wrapping table, and unwrap TOKEN prints the secret", async () => {
    const wrapped = await run(["read", "-wrap-ttl=5m", "secret/data/app"], base, { env: { MAYFLY_TOKEN: ROOT } });
    expect(wrapped.code).toBe(0);
    const rows = Object.fromEntries(
      wrapped.stdout
        .trim()
        .split("\n")
        .slice(2)
        .map((l) => l.split(/\s{2,}/)),
    );
    expect(Object.keys(rows)).toEqual([
      "wrapping_token:",
      "wrapping_accessor:",
      "wrapping_token_ttl:",
      "wrapping_token_creation_time:",
      "wrapping_token_creation_path:",
    ]);
    expect(rows["wrapping_token_ttl:"]).toBe("5m");
    expect(rows["wrapping_token_creation_path:"]).toBe("secret/data/app");
    expect(rows["wrapping_token_creation_time:"]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC$/);

    const out = await run(["unwrap", "-format=json", rows["wrapping_token:"] as string], base, { env: { MAYFLY_TOKEN: ROOT } });
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout).data.data).toEqual({ password: "s3cret", user: "app" });
  });

  it("login -wrap-ttl unwraps and stores the token; with -no-store it shows the wrapping token", async () => {
    expect((await root.post("sys/auth/userpass", { type: "userpass" })).status).toBe(204);
    expect((await root.post("auth/userpass/users/bob", { password: "pw" })).status).toBe(204);
    const home = mkdtempSync(join(tmpdir(), "mayfly-wrapping-home-"));
    try {
      const login = ["login", "-method=userpass", "-wrap-ttl=1m"];
      const stored = await run([...login, "username=bob", "password=pw"], base, { homeDir: home, env: { MAYFLY_TOKEN: "" } });
      expect(stored.code, stored.stderr).toBe(0);
      const token = readFileSync(join(home, ".mayfly-token"), "utf8").trim();
      const self = await api(base, "GET", "auth/token/lookup-self", { token });
      expect(self.status).toBe(200);
      expect(self.json.data.display_name).toBe("userpass-bob");

      const shown = await run([...login, "-no-store", "-format=json", "username=bob", "password=pw"], base, { homeDir: home });
      expect(shown.code, shown.stderr).toBe(0);
      const info = JSON.parse(shown.stdout).wrap_info;
      expect(info.creation_path).toBe("auth/userpass/login/bob");
      expect(info.wrapped_accessor).toMatch(/\S/);
      const unwrapped = await root.post("sys/wrapping/unwrap", { token: info.token });
      expect(unwrapped.json.auth.accessor).toBe(info.wrapped_accessor);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("MAYFLY_WRAP_TTL wraps, and unwrap with no argument unwraps the current token", async () => {
    const wrapped = await run(["kv", "get", "-format=json", "secret/app"], base, { env: { MAYFLY_TOKEN: ROOT, MAYFLY_WRAP_TTL: "90s" } });
    expect(wrapped.code, wrapped.stderr).toBe(0);
    const info = JSON.parse(wrapped.stdout).wrap_info;
    expect(info.ttl).toBe(90);
    const out = await run(["unwrap", "-format=json"], base, { env: { MAYFLY_TOKEN: info.token } });
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout).data.data.user).toBe("app");
    const again = await run(["unwrap"], base, { env: { MAYFLY_TOKEN: info.token } });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("Error unwrapping: ");
    expect(again.stderr).toContain(INVALID);
  });
});
