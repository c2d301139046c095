/**
 * Real Vault clients against Mayfly. node-vault (the npm package, a dev dependency) drives
 * an in-process server exactly as an application would; the raw-HTTP cases reproduce what
 * other clients (hvac, hashi-vault-js, @litehex/node-vault, the Go CLI) send and rely on,
 * as listed in ../shared/reference/client-compat.md. Cases already in test/http-api.test.ts
 * (?list= forms, Bearer token, empty X-Vault-Namespace, per-mount keys of sys/mounts,
 * content types, 404 bodies) are not repeated here. The raw-HTTP cases are in
 * test/client-compat-raw.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../src/server/app.js";
import { silentLogger } from "../src/server/logger.js";
import { InmemStorage } from "../src/storage/inmem.js";
import { startRedis, type RedisInstance } from "./support/index.js";
import { api } from "./support/http.js";
import { useDevServer } from "./support/dev-server.js";
import { eventually } from "./support/e2e.js";
import { nodeVault } from "./support/node-vault.js";

const ROOT = "compat-root";
const server = useDevServer(ROOT);

/** The status of a node-vault rejection (its ApiResponseError carries the response). */
async function rejection(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { message: string; response?: { statusCode: number } };
    return { status: err.response?.statusCode ?? -1, message: err.message };
  }
  throw new Error("expected the call to fail");
}

describe("node-vault: init, unseal, status and health on a fresh server", () => {
  let fresh: RunningServer;
  let url: string;

  beforeAll(async () => {
    fresh = await startServer({
      storage: new InmemStorage(),
      storageType: "inmem",
      listeners: [{ address: "127.0.0.1:0", tlsDisable: true }],
      logger: silentLogger,
    });
    url = fresh.addresses[0] as string;
  });
  afterAll(async () => {
    await fresh?.close();
  });

  it("goes from uninitialised through init, unseal, seal and unseal again", async () => {
    const { c } = nodeVault({ endpoint: url });

    // node-vault resolves sys/health whatever its status; the body says where we are.
    expect(await c.health()).toMatchObject({ initialized: false, sealed: true, standby: false });
    expect((await api(url, "GET", "sys/health")).status).toBe(501);
    expect((await api(url, "GET", "sys/health?uninitcode=299")).status).toBe(299);
    expect(await c.initialized()).toEqual({ initialized: false });
    expect(await c.status()).toMatchObject({ initialized: false, sealed: true });

    const init = await c.init({ secret_shares: 3, secret_threshold: 2 });
    expect(init.keys).toHaveLength(3);
    expect(init.keys_base64).toHaveLength(3);
    expect(init.root_token).toMatch(/^hvs\./);
    c.token = init.root_token;
    expect(await c.initialized()).toEqual({ initialized: true });

    // Sealed: health answers 503 unless the client overrides the code (Go's Sys().Health sends 299s).
    expect(await c.health()).toMatchObject({ initialized: true, sealed: true });
    expect((await api(url, "GET", "sys/health")).status).toBe(503);
    expect((await api(url, "GET", "sys/health?sealedcode=299")).status).toBe(299);
    expect((await api(url, "HEAD", "sys/health")).status).toBe(503);
    expect(await c.status()).toMatchObject({ sealed: true, t: 2, n: 3, progress: 0 });
    // Everything else is 503 while sealed, with node-vault's message from errors[0].
    const sealedRead = await rejection(c.read("sys/mounts"));
    expect(sealedRead.status).toBe(503);

    const first = await c.unseal({ key: init.keys[0] });
    expect(first).toMatchObject({ sealed: true, progress: 1, t: 2, n: 3 });
    expect(first.nonce).not.toBe("");
    const second = await c.unseal({ key: init.keys_base64[2] });
    expect(second).toMatchObject({ sealed: false, progress: 0 });
    expect(await c.status()).toMatchObject({ sealed: false, initialized: true });
    expect(await c.health()).toMatchObject({ initialized: true, sealed: false, standby: false });
    expect((await api(url, "GET", "sys/health")).status).toBe(200);

    await c.seal();
    expect(await c.status()).toMatchObject({ sealed: true });
    await c.unseal({ key: init.keys[1] });
    // A reset drops the progress, as node-vault's {reset: true} asks.
    expect(await c.unseal({ reset: true })).toMatchObject({ sealed: true, progress: 0 });
    await c.unseal({ key: init.keys[1] });
    expect(await c.unseal({ key: init.keys[0] })).toMatchObject({ sealed: false });
    expect((await c.tokenLookupSelf()).data.policies).toEqual(["root"]);
  });
});

describe("node-vault against a dev server", () => {
  it("write, read, list (LIST method), delete on KV v2", async () => {
    const { c, sent } = nodeVault({ endpoint: server.url, token: ROOT });
    const w = await c.write("secret/data/nv/app", { data: { user: "u1", pass: "p1" } });
    expect(w.data.version).toBe(1);
    expect((await c.read("secret/data/nv/app")).data.data).toEqual({ user: "u1", pass: "p1" });
    await c.write("secret/data/nv/other", { data: { x: "1" } });
    expect((await c.list("secret/metadata/nv")).data.keys).toEqual(["app", "other"]);
    expect(sent).toContain("LIST /secret/metadata/nv");
    await c.delete("secret/data/nv/other");
    // A deleted version reads as 404 with data; node-vault has no errors[0] to show.
    expect(await rejection(c.read("secret/data/nv/other"))).toEqual({ status: 404, message: "Status 404" });
    expect(await rejection(c.read("secret/data/nv/never"))).toEqual({ status: 404, message: "Status 404" });
  });

  it("with noCustomHTTPVerbs, list() sends GET ?list=1", async () => {
    const { c, sent } = nodeVault({ endpoint: server.url, token: ROOT, noCustomHTTPVerbs: true });
    expect((await c.list("secret/metadata/nv")).data.keys).toEqual(["app", "other"]);
    expect(sent).toEqual(["GET /secret/metadata/nv?list=1"]);
  });

  it("mount(), then write/read/list/delete on KV v1 (204s resolve)", async () => {
    const { c } = nodeVault({ endpoint: server.url, token: ROOT });
    // node-vault puts mount_point in the body too: an unknown field, ignored.
    await c.mount({ mount_point: "nv-kv1", type: "kv", description: "node-vault v1" });
    await c.write("nv-kv1/conf", { url: "postgres://x", n: 3 });
    expect((await c.read("nv-kv1/conf")).data).toEqual({ url: "postgres://x", n: 3 });
    expect((await c.list("nv-kv1")).data.keys).toEqual(["conf"]);
    await c.delete("nv-kv1/conf");
    expect((await rejection(c.read("nv-kv1/conf"))).status).toBe(404);
    expect(await rejection(c.list("nv-kv1"))).toEqual({ status: 404, message: "Status 404" });
  });

  it("mounts() has each mount at the top level and under data", async () => {
    const { c } = nodeVault({ endpoint: server.url, token: ROOT });
    const m = await c.mounts();
    expect(m["secret/"]).toMatchObject({ type: "kv", options: { version: "2" } });
    expect(m["nv-kv1/"]).toMatchObject({ type: "kv", description: "node-vault v1" });
    expect(m.data["secret/"]).toEqual(m["secret/"]);
    await c.unmount({ mount_point: "nv-kv1" });
    expect((await c.mounts())["nv-kv1/"]).toBeUndefined();
  });

  it("policies, addPolicy (legacy rules, JSON syntax), getPolicy, removePolicy", async () => {
    const { c } = nodeVault({ endpoint: server.url, token: ROOT });
    // node-vault's README example: JSON syntax with the legacy "policy" keyword.
    const rules = '{ "path": { "secret/data/nv/*": { "policy": "write" } } }';
    const added = await c.addPolicy({ name: "NV-Writer", rules });
    expect(added.warnings).toEqual(["'rules' is deprecated, please use 'policy' instead"]);
    const listed = await c.policies();
    expect(listed.policies).toEqual(expect.arrayContaining(["default", "nv-writer", "root"]));
    expect(listed.data.keys).toEqual(listed.policies);
    const got = await c.getPolicy({ name: "nv-writer" });
    expect(got.rules).toBe(rules);
    expect(got.name).toBe("nv-writer");

    // The policy works: a token with it may write under secret/data/nv/ and nowhere else.
    const token = (await server.root.post("auth/token/create", { policies: ["nv-writer"] })).json.auth.client_token as string;
    const { c: limited } = nodeVault({ endpoint: server.url, token });
    await limited.write("secret/data/nv/by-policy", { data: { ok: "yes" } });
    expect(await rejection(limited.write("secret/data/elsewhere", { data: { ok: "no" } }))).toEqual({
      status: 403,
      message: "permission denied",
    });

    await c.removePolicy({ name: "nv-writer" });
    expect((await c.policies()).policies).not.toContain("nv-writer");
    expect((await rejection(c.getPolicy({ name: "nv-writer" }))).status).toBe(404);
  });

  it("tokenCreate adopts the new token; lookup-self, renew-self (empty form body), revoke-self", async () => {
    await server.root.put("sys/policies/acl/nv-reader", { policy: 'path "secret/data/nv/*" { capabilities = ["read"] }' });
    const { c, sent } = nodeVault({ endpoint: server.url, token: ROOT });
    const created = await c.tokenCreate({ policies: ["nv-reader"], ttl: "1h", meta: { app: "compat" } });
    const token = created.auth.client_token as string;
    expect(created.auth).toMatchObject({ policies: ["default", "nv-reader"], lease_duration: 3600, renewable: true });
    expect(c.token).toBe(token);

    const self = await c.tokenLookupSelf();
    expect(self.data).toMatchObject({ id: token, creation_ttl: 3600, policies: ["default", "nv-reader"], meta: { app: "compat" } });
    expect(self.data.ttl).toBeGreaterThan(3500);
    expect(self.data.ttl).toBeLessThanOrEqual(3600);
    // node-vault-client adds ttl to last_renewal_time ?? creation_time: the key must be absent until a renewal.
    expect(self.data).not.toHaveProperty("last_renewal_time");
    expect((await c.read("secret/data/nv/app")).data.data.user).toBe("u1");

    // No arguments: node-vault (axios) sends an empty body typed application/x-www-form-urlencoded.
    const renewed = await c.tokenRenewSelf();
    expect(renewed.auth.client_token).toBe(token);
    expect(renewed.auth.lease_duration).toBe(3600);
    expect(c.token).toBe(token);
    expect(typeof (await c.tokenLookupSelf()).data.last_renewal_time).toBe("number");

    await c.tokenRevokeSelf();
    expect(await rejection(c.tokenLookupSelf())).toEqual({ status: 403, message: "permission denied" });
    expect(sent).toEqual([
      "POST /auth/token/create",
      "GET /auth/token/lookup-self",
      "GET /secret/data/nv/app",
      "POST /auth/token/renew-self",
      "GET /auth/token/lookup-self",
      "POST /auth/token/revoke-self",
      "GET /auth/token/lookup-self",
    ]);
  });

  it("tokenLookupSelf of the root token: ttl 0 and no expiry, so renewal helpers leave it alone", async () => {
    const { c } = nodeVault({ endpoint: server.url, token: ROOT });
    const self = await c.tokenLookupSelf();
    expect(self.data).toMatchObject({ id: ROOT, ttl: 0, expire_time: null, policies: ["root"] });
    expect(self.data).not.toHaveProperty("renewable");
  });

  it("a wrapped read (X-Vault-Wrap-TTL via request headers), then unwrap() by a third party and by the wrapping token itself", async () => {
    const { c } = nodeVault({ endpoint: server.url, token: ROOT });
    await c.write("secret/data/nv/wrapped", { data: { pass: "wrapped-pass" } });
    const wrapped = await c.read("secret/data/nv/wrapped", { headers: { "X-Vault-Wrap-TTL": "2m" } });
    expect(wrapped.data).toBeNull();
    expect(wrapped.wrap_info).toMatchObject({ ttl: 120, creation_path: "secret/data/nv/wrapped" });
    const unwrapped = await c.unwrap({ token: wrapped.wrap_info.token });
    expect(unwrapped.data.data).toEqual({ pass: "wrapped-pass" });
    expect((await rejection(c.unwrap({ token: wrapped.wrap_info.token }))).status).toBe(400);

    const again = await c.read("secret/data/nv/wrapped", { headers: { "X-Vault-Wrap-TTL": "2m" } });
    const { c: holder } = nodeVault({ endpoint: server.url, token: again.wrap_info.token });
    expect((await holder.unwrap()).data.data).toEqual({ pass: "wrapped-pass" });
  });

  it("renew and revoke a token by its value (tokenRenew, tokenRevoke)", async () => {
    const token = (await server.root.post("auth/token/create", { ttl: "10m" })).json.auth.client_token as string;
    const { c } = nodeVault({ endpoint: server.url, token: ROOT });
    const r = await c.tokenRenew({ token, increment: "20m" });
    expect(r.auth.lease_duration).toBe(1200);
    await c.tokenRevoke({ token });
    expect((await api(server.url, "GET", "auth/token/lookup-self", { token })).status).toBe(403);
  });
});

describe("leases: node-vault renew/revoke and the async revoke of sys/leases/revoke", () => {
  let redis: RedisInstance;

  beforeAll(async () => {
    redis = await startRedis();
    expect((await server.root.post("sys/mounts/nvdb", { type: "database" })).status).toBe(204);
    const cfg = await server.root.post("nvdb/config/cache", {
      plugin_name: "redis-database-plugin",
      host: redis.host,
      port: redis.port,
      username: redis.adminUser,
      password: redis.adminPassword,
      allowed_roles: "*",
    });
    expect(cfg.status, cfg.text).toBe(204);
    const role = await server.root.post("nvdb/roles/ro", { db_name: "cache", creation_statements: '["~*", "+@read"]', default_ttl: "1h", max_ttl: "2h" });
    expect(role.status, role.text).toBe(204);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  async function creds(): Promise<{ leaseId: string; username: string; password: string }> {
    const r = await server.root.get("nvdb/creds/ro");
    expect(r.status, r.text).toBe(200);
    return { leaseId: r.json.lease_id, username: r.json.data.username, password: r.json.data.password };
  }

  it("node-vault renew() reads lease_duration at the top level; revoke() answers 204 and drops the user", async () => {
    const { leaseId, username, password } = await creds();
    expect(await redis.canLogin(username, password)).toBe(true);
    const { c } = nodeVault({ endpoint: server.url, token: ROOT });
    const renewed = await c.renew({ lease_id: leaseId, increment: 1800 });
    expect(renewed).toMatchObject({ lease_id: leaseId, renewable: true, lease_duration: 1800 });
    await c.revoke({ lease_id: leaseId });
    expect(await redis.canLogin(username, password)).toBe(false);
    expect((await server.root.put("sys/leases/lookup", { lease_id: leaseId })).status).toBe(400);
  });

  it("revokePrefix() revokes every lease under the prefix", async () => {
    const a = await creds();
    const b = await creds();
    const { c } = nodeVault({ endpoint: server.url, token: ROOT });
    await c.revokePrefix({ path_prefix: "nvdb/creds/ro" });
    expect(await redis.canLogin(a.username, a.password)).toBe(false);
    expect(await redis.canLogin(b.username, b.password)).toBe(false);
  });

  it("lease paths by their aliases: id in the URL, sys/renew and sys/revoke, revoke-force; renewal capped at max_ttl", async () => {
    const a = await creds();
    const inUrl = await server.root.put(`sys/leases/renew/${a.leaseId}`, { increment: "30m" });
    expect(inUrl.status, inUrl.text).toBe(200);
    expect(inUrl.json).toMatchObject({ lease_id: a.leaseId, lease_duration: 1800, renewable: true });
    // The role's max_ttl is 2h: a 10h increment is cut down to what is left of it.
    const legacy = await server.root.put("sys/renew", { lease_id: a.leaseId, increment: "10h" });
    expect(legacy.status, legacy.text).toBe(200);
    expect(legacy.json.lease_duration).toBeGreaterThan(7100);
    expect(legacy.json.lease_duration).toBeLessThanOrEqual(7200);
    expect((await server.root.put(`sys/renew/${a.leaseId}`, {})).status).toBe(200);
    expect((await server.root.put(`sys/revoke/${a.leaseId}`, {})).status).toBe(204);
    expect(await redis.canLogin(a.username, a.password)).toBe(false);

    const b = await creds();
    expect((await server.root.put(`sys/leases/revoke/${b.leaseId}`, {})).status).toBe(204);
    expect(await redis.canLogin(b.username, b.password)).toBe(false);

    const c = await creds();
    expect((await server.root.put("sys/leases/revoke-prefix/nvdb/creds", {})).status).toBe(204);
    expect(await redis.canLogin(c.username, c.password)).toBe(false);

    // revoke-force drops the leases even if the target could not be reached (it can here).
    const d = await creds();
    expect((await server.root.put("sys/revoke-force/nvdb/creds/ro", {})).status).toBe(204);
    expect((await server.root.put("sys/leases/lookup", { lease_id: d.leaseId })).status).toBe(400);
  });

  it("sys/leases/revoke with sync:false answers 202 with an empty body, then revokes", async () => {
    const { leaseId, username, password } = await creds();
    const r = await server.root.put("sys/leases/revoke", { lease_id: leaseId, sync: false });
    expect(r.status).toBe(202);
    expect(r.text).toBe("");
    await eventually(async () => !(await redis.canLogin(username, password)));
    await eventually(async () => (await server.root.put("sys/leases/lookup", { lease_id: leaseId })).status === 400);
  });
});
