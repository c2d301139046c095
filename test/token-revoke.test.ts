import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startCoreServer, type CoreServer } from "./support/core-server.js";

let s: CoreServer;

beforeEach(async () => {
  s = await startCoreServer({ startMs: Date.UTC(2024, 0, 1) });
  await s.core.policies.write("dev", `path "secret/*" { capabilities = ["read"] }`);
  await s.core.policies.write("creator", `path "auth/token/create" { capabilities = ["update"] }`);
  await s.core.policies.write("tokens-nosudo", `path "auth/token/*" { capabilities = ["read", "update", "list"] }`);
  await s.core.policies.write("tokens-sudo", `path "auth/token/*" { capabilities = ["read", "update", "list", "sudo"] }`);
});
afterEach(async () => {
  await s.close();
});

type Auth = { client_token: string; accessor: string; lease_duration: number; renewable: boolean };

async function createOk(token: string, body: Record<string, unknown>): Promise<Auth> {
  const r = await s.api("POST", "auth/token/create", { token, body });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body?.auth as Auth;
}
const alive = async (token: string) => (await s.api("GET", "auth/token/lookup-self", { token })).status === 200;

describe("renew", () => {
  it("renew-self returns the same token with the new lease duration", async () => {
    const auth = await createOk(s.rootToken, { policies: ["dev"], ttl: "1h" });
    s.clock.advanceSeconds(600);
    const r = await s.api("POST", "auth/token/renew-self", { token: auth.client_token, body: { increment: "2h" } });
    expect(r.status).toBe(200);
    expect(r.body?.data).toBeNull();
    expect(r.body?.auth).toMatchObject({
      client_token: auth.client_token,
      accessor: auth.accessor,
      lease_duration: 7200,
      renewable: true,
      policies: ["default", "dev"],
    });
    s.clock.advanceSeconds(7199);
    expect(await alive(auth.client_token)).toBe(true);
  });

  it("renew by token and by accessor; by accessor the token is not echoed", async () => {
    const auth = await createOk(s.rootToken, { policies: ["dev"], ttl: "1h" });
    const byToken = await s.api("POST", "auth/token/renew", { token: s.rootToken, body: { token: auth.client_token, increment: 60 } });
    expect(byToken.body?.auth).toMatchObject({ client_token: auth.client_token, lease_duration: 60 });
    const byAccessor = await s.api("POST", "auth/token/renew-accessor", { token: s.rootToken, body: { accessor: auth.accessor } });
    expect(byAccessor.status).toBe(200);
    // No increment: the TTL of the latest renewal (60 s), not of creation, as Vault's LeaseExtend.
    expect(byAccessor.body?.auth).toMatchObject({ client_token: "", accessor: auth.accessor, lease_duration: 60 });
    const unknown = await s.api("POST", "auth/token/renew", { token: s.rootToken, body: { token: "hvs.nope" } });
    expect(unknown.body).toEqual({ errors: ["token not found"] });
  });

  it("refuses to renew a non-renewable token and the never-expiring root token", async () => {
    const fixed = await createOk(s.rootToken, { policies: ["dev"], ttl: "1h", renewable: false });
    expect(fixed.renewable).toBe(false);
    const r = await s.api("POST", "auth/token/renew-self", { token: fixed.client_token, body: {} });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ errors: ["lease is not renewable"] });
    const root = await s.api("POST", "auth/token/renew-self", { token: s.rootToken, body: {} });
    expect(root.body).toEqual({ errors: ["lease is not renewable"] });
  });
});

describe("revoke", () => {
  async function tree(): Promise<{ parent: Auth; child: Auth; grandchild: Auth }> {
    const parent = await createOk(s.rootToken, { policies: ["dev", "creator"], ttl: "1h" });
    const child = await createOk(parent.client_token, { ttl: "1h" });
    const grandchild = await createOk(child.client_token, { ttl: "1h" });
    return { parent, child, grandchild };
  }

  it("revoke takes the whole subtree with it at once", async () => {
    const { parent, child, grandchild } = await tree();
    const sibling = await createOk(s.rootToken, { policies: ["dev"] });
    const r = await s.api("POST", "auth/token/revoke", { token: s.rootToken, body: { token: parent.client_token } });
    expect(r.status).toBe(204);
    expect(await alive(parent.client_token)).toBe(false);
    expect(await alive(child.client_token)).toBe(false);
    expect(await alive(grandchild.client_token)).toBe(false);
    expect(await alive(sibling.client_token)).toBe(true);
    const lookup = await s.api("POST", "auth/token/lookup", { token: s.rootToken, body: { token: child.client_token } });
    expect(lookup.status).toBe(403);
  });

  it("revoke-orphan (sudo) keeps the children alive as orphans", async () => {
    const { parent, child, grandchild } = await tree();
    const nosudo = await createOk(s.rootToken, { policies: ["tokens-nosudo"] });
    const refused = await s.api("POST", "auth/token/revoke-orphan", { token: nosudo.client_token, body: { token: parent.client_token } });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ errors: ["root or sudo privileges required to revoke and orphan"] });
    expect(await alive(parent.client_token)).toBe(true);

    const r = await s.api("POST", "auth/token/revoke-orphan", { token: s.rootToken, body: { token: parent.client_token } });
    expect(r.status).toBe(204);
    expect(await alive(parent.client_token)).toBe(false);
    const c = await s.api("GET", "auth/token/lookup-self", { token: child.client_token });
    expect(c.body?.data).toMatchObject({ orphan: true });
    expect((await s.api("GET", "auth/token/lookup-self", { token: grandchild.client_token })).body?.data).toMatchObject({ orphan: false });
    // The orphaned child still owns its subtree.
    await s.api("POST", "auth/token/revoke", { token: s.rootToken, body: { token: child.client_token } });
    expect(await alive(grandchild.client_token)).toBe(false);

    const missing = await s.api("POST", "auth/token/revoke-orphan", { token: s.rootToken, body: { token: "hvs.nope" } });
    expect(missing.body).toEqual({ errors: ["token to revoke not found"] });
  });

  it("revoke-self and revoke-accessor", async () => {
    const { parent, child } = await tree();
    expect((await s.api("POST", "auth/token/revoke-self", { token: child.client_token, body: {} })).status).toBe(204);
    expect(await alive(child.client_token)).toBe(false);
    expect(await alive(parent.client_token)).toBe(true);
    const byAccessor = await s.api("POST", "auth/token/revoke-accessor", { token: s.rootToken, body: { accessor: parent.accessor } });
    expect(byAccessor.status).toBe(204);
    expect(await alive(parent.client_token)).toBe(false);
    const again = await s.api("POST", "auth/token/revoke-accessor", { token: s.rootToken, body: { accessor: parent.accessor } });
    expect(again.status).toBe(200);
    expect(again.body?.warnings).toEqual(["No token found with this accessor"]);
  });

  it("revoking an unknown token succeeds quietly; a missing token is a 400", async () => {
    const r = await s.api("POST", "auth/token/revoke", { token: s.rootToken, body: { token: "hvs.nope" } });
    expect(r.status).toBe(204);
    const missing = await s.api("POST", "auth/token/revoke", { token: s.rootToken, body: {} });
    expect(missing.body).toEqual({ errors: ["missing token ID"] });
  });
});

describe("accessors, roles, tidy", () => {
  it("listing accessors needs sudo", async () => {
    const a = await createOk(s.rootToken, { policies: ["dev"] });
    const nosudo = await createOk(s.rootToken, { policies: ["tokens-nosudo"] });
    const sudo = await createOk(s.rootToken, { policies: ["tokens-sudo"] });
    expect((await s.api("LIST", "auth/token/accessors", { token: nosudo.client_token })).status).toBe(403);
    const r = await s.api("LIST", "auth/token/accessors", { token: sudo.client_token });
    expect(r.status).toBe(200);
    const keys = (r.body?.data as { keys: string[] }).keys;
    expect(keys).toEqual(expect.arrayContaining([a.accessor, nosudo.accessor, sudo.accessor]));
    expect(keys).toHaveLength(4); // and the root token's
    const viaQuery = await s.api("GET", "auth/token/accessors?list=true", { token: s.rootToken });
    expect((viaQuery.body?.data as { keys: string[] }).keys).toHaveLength(4);
  });

  it("roles: write, read, list, delete", async () => {
    expect((await s.api("LIST", "auth/token/roles", { token: s.rootToken })).status).toBe(404);
    const w = await s.api("POST", "auth/token/roles/web", {
      token: s.rootToken,
      body: { allowed_policies: ["dev"], renewable: false, token_explicit_max_ttl: "1h" },
    });
    expect(w.status).toBe(204);
    const r = await s.api("GET", "auth/token/roles/web", { token: s.rootToken });
    expect(r.status).toBe(200);
    expect(r.body?.data).toEqual({
      allowed_entity_aliases: [],
      allowed_policies: ["dev"],
      allowed_policies_glob: [],
      disallowed_policies: [],
      disallowed_policies_glob: [],
      explicit_max_ttl: 0,
      name: "web",
      orphan: false,
      path_suffix: "",
      period: 0,
      renewable: false,
      token_explicit_max_ttl: 3600,
      token_no_default_policy: false,
      token_period: 0,
      token_type: "default-service",
    });
    const viaRole = await s.api("POST", "auth/token/create/web", { token: s.rootToken, body: { ttl: "3h" } });
    expect(viaRole.body?.auth).toMatchObject({ renewable: false, lease_duration: 3600, policies: ["default", "dev"] });
    const list = await s.api("LIST", "auth/token/roles", { token: s.rootToken });
    expect(list.body?.data).toEqual({ keys: ["web"] });
    expect((await s.api("DELETE", "auth/token/roles/web", { token: s.rootToken })).status).toBe(204);
    expect((await s.api("GET", "auth/token/roles/web", { token: s.rootToken })).status).toBe(404);
    const bad = await s.api("POST", "auth/token/roles/x", { token: s.rootToken, body: { token_type: "weird" } });
    expect(bad.body).toEqual({ errors: [`invalid 'token_type' value "weird"`] });
  });

  it("tidy starts in the background and answers 202", async () => {
    const r = await s.api("POST", "auth/token/tidy", { token: s.rootToken, body: {} });
    expect(r.status).toBe(202);
    expect(r.body?.warnings).toEqual([expect.stringContaining("Tidy operation successfully started")]);
  });
});
