import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startCoreServer, type CoreServer } from "./support/core-server.js";

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
let s: CoreServer;

beforeEach(async () => {
  s = await startCoreServer({ startMs: T0 });
  await s.core.policies.write("dev", `path "secret/*" { capabilities = ["read"] }`);
});
afterEach(async () => {
  await s.close();
});

type Auth = { client_token: string; accessor: string };

async function child(body: Record<string, unknown> = {}): Promise<Auth> {
  const r = await s.api("POST", "auth/token/create", { token: s.rootToken, body: { policies: ["dev"], ttl: "1h", ...body } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body?.auth as Auth;
}

const ROOT_KEYS = [
  "accessor", "creation_time", "creation_ttl", "display_name", "entity_id", "expire_time",
  "explicit_max_ttl", "id", "meta", "num_uses", "orphan", "path", "policies", "ttl", "type",
];
const CHILD_KEYS = [...ROOT_KEYS, "issue_time", "renewable"].sort();

describe("lookup", () => {
  it("lookup-self of the root token: Vault's keys, no lease keys, null expiry", async () => {
    const r = await s.api("GET", "auth/token/lookup-self", { token: s.rootToken });
    expect(r.status).toBe(200);
    expect(r.contentType).toBe("application/json");
    expect(r.body?.auth).toBeNull();
    expect(r.body?.warnings).toBeNull();
    const data = r.body?.data as Record<string, unknown>;
    expect(Object.keys(data).sort()).toEqual(ROOT_KEYS);
    expect(data).toMatchObject({
      id: s.rootToken,
      policies: ["root"],
      path: "auth/token/root",
      display_name: "root",
      ttl: 0,
      creation_ttl: 0,
      expire_time: null,
      meta: null,
      orphan: true,
      num_uses: 0,
      type: "service",
      creation_time: T0 / 1000,
    });
  });

  it("lookup-self of a child: issue_time and renewable appear, last_renewal only after a renewal", async () => {
    const auth = await child({ meta: { team: "a" } });
    s.clock.advanceSeconds(100);
    const r = await s.api("GET", "auth/token/lookup-self", { token: auth.client_token });
    const data = r.body?.data as Record<string, unknown>;
    expect(Object.keys(data).sort()).toEqual(CHILD_KEYS);
    expect(data).toMatchObject({
      id: auth.client_token,
      accessor: auth.accessor,
      policies: ["default", "dev"],
      meta: { team: "a" },
      ttl: 3500,
      creation_ttl: 3600,
      renewable: true,
      orphan: false,
      issue_time: "2024-01-01T12:00:00.000Z",
      expire_time: "2024-01-01T13:00:00.000Z",
    });
    const renew = await s.api("POST", "auth/token/renew-self", { token: auth.client_token, body: {} });
    expect(renew.status).toBe(200);
    const after = (await s.api("GET", "auth/token/lookup-self", { token: auth.client_token })).body?.data as Record<string, unknown>;
    expect(Object.keys(after).sort()).toEqual([...CHILD_KEYS, "last_renewal", "last_renewal_time"].sort());
    expect(after).toMatchObject({ last_renewal_time: T0 / 1000 + 100, ttl: 3600, expire_time: "2024-01-01T13:01:40.000Z" });
  });

  it("lookup with a token in the body; without one it looks up the caller", async () => {
    const auth = await child();
    const r = await s.api("POST", "auth/token/lookup", { token: s.rootToken, body: { token: auth.client_token } });
    expect(r.status).toBe(200);
    expect(r.body?.data).toMatchObject({ id: auth.client_token, accessor: auth.accessor });
    const self = await s.api("POST", "auth/token/lookup", { token: s.rootToken, body: {} });
    expect(self.body?.data).toMatchObject({ id: s.rootToken });
  });

  it("a lookup of an unknown token is 403 bad token", async () => {
    const r = await s.api("POST", "auth/token/lookup", { token: s.rootToken, body: { token: "hvs.nosuchtoken" } });
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ errors: ["bad token"] });
  });

  it("lookup-accessor returns the same data with id blanked", async () => {
    const auth = await child();
    const r = await s.api("POST", "auth/token/lookup-accessor", { token: s.rootToken, body: { accessor: auth.accessor } });
    expect(r.status).toBe(200);
    const data = r.body?.data as Record<string, unknown>;
    expect(data.id).toBe("");
    expect(Object.keys(data).sort()).toEqual(CHILD_KEYS);
    expect(data.accessor).toBe(auth.accessor);
    const unknown = await s.api("POST", "auth/token/lookup-accessor", { token: s.rootToken, body: { accessor: "nope" } });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({ errors: ["invalid accessor"] });
    const missing = await s.api("POST", "auth/token/lookup-accessor", { token: s.rootToken, body: {} });
    expect(missing.body).toEqual({ errors: ["missing accessor"] });
  });

  it("an expired token stops working the moment its TTL passes", async () => {
    const auth = await child({ ttl: "30s" });
    s.clock.advanceSeconds(29);
    expect((await s.api("GET", "auth/token/lookup-self", { token: auth.client_token })).status).toBe(200);
    s.clock.advanceSeconds(1);
    const gone = await s.api("GET", "auth/token/lookup-self", { token: auth.client_token });
    expect(gone.status).toBe(403);
    const byRoot = await s.api("POST", "auth/token/lookup", { token: s.rootToken, body: { token: auth.client_token } });
    expect(byRoot.body).toEqual({ errors: ["bad token"] });
  });

  it("the default policy does not let a child look up other tokens", async () => {
    const a = await child();
    const b = await child();
    const r = await s.api("POST", "auth/token/lookup", { token: a.client_token, body: { token: b.client_token } });
    expect(r.status).toBe(403);
  });
});

describe("a use-limited token's last use", () => {
  it("lookup-self on the last use answers 200 with the token's data, then the token is gone", async () => {
    const auth = await child({ num_uses: 1, meta: { app: "web" } });
    const last = await s.api("GET", "auth/token/lookup-self", { token: auth.client_token });
    expect(last.status).toBe(200);
    // Vault counts the use before the handler runs and marks the last one -1 (revocation
    // pending); its lookup-self reports the entry as it is then.
    expect(last.body?.data).toMatchObject({
      id: auth.client_token,
      accessor: auth.accessor,
      policies: ["default", "dev"],
      meta: { app: "web" },
      num_uses: -1,
      ttl: 3600,
      path: "auth/token/create",
    });
    const after = await s.api("GET", "auth/token/lookup-self", { token: auth.client_token });
    expect(after.status).toBe(403);
    expect(after.body).toEqual({ errors: ["permission denied"] });
    const byRoot = await s.api("POST", "auth/token/lookup", { token: s.rootToken, body: { token: auth.client_token } });
    expect(byRoot.body).toEqual({ errors: ["bad token"] });
    const byAccessor = await s.api("POST", "auth/token/lookup-accessor", { token: s.rootToken, body: { accessor: auth.accessor } });
    expect(byAccessor.body).toEqual({ errors: ["invalid accessor"] });
  });

  it("auth/token/lookup of the caller's own token on its last use answers as lookup-self does", async () => {
    await s.core.policies.write("looker", `path "auth/token/lookup" { capabilities = ["update"] }`);
    const auth = await child({ policies: ["looker"], num_uses: 1 });
    const last = await s.api("POST", "auth/token/lookup", { token: auth.client_token, body: { token: auth.client_token } });
    expect(last.status).toBe(200);
    expect(last.body?.data).toMatchObject({ id: auth.client_token, num_uses: -1 });
    expect((await s.api("POST", "auth/token/lookup", { token: auth.client_token, body: { token: auth.client_token } })).status).toBe(403);
  });

  it("a num_uses=2 token serves two requests of any kind its policies allow, and no third", async () => {
    const auth = await child({ num_uses: 2 });
    const write = await s.api("POST", "cubbyhole/note", { token: auth.client_token, body: { text: "hello" } });
    expect(write.status).toBe(204);
    // The last use is a secret read: served in full, then the token is revoked.
    const read = await s.api("GET", "cubbyhole/note", { token: auth.client_token });
    expect(read.status).toBe(200);
    expect(read.body?.data).toEqual({ text: "hello" });
    const third = await s.api("GET", "cubbyhole/note", { token: auth.client_token });
    expect(third.status).toBe(403);
  });

  it("creating a child or renewing on the last use is refused as Vault refuses it, and the use is spent", async () => {
    await s.core.policies.write("creator", `path "auth/token/create" { capabilities = ["update"] }`);
    // Vault's token creation and renew-self look the caller up anew and find it already
    // marked for revocation; only lookup-self (a tainted lookup) still sees it.
    const creator = await child({ policies: ["creator"], num_uses: 1 });
    const create = await s.api("POST", "auth/token/create", { token: creator.client_token, body: { policies: ["default"] } });
    expect(create.status).toBe(400);
    expect(create.body).toEqual({ errors: ["parent token lookup failed: no parent found"] });
    expect((await s.api("GET", "auth/token/lookup-self", { token: creator.client_token })).status).toBe(403);

    const renewer = await child({ num_uses: 1 });
    const renew = await s.api("POST", "auth/token/renew-self", { token: renewer.client_token, body: {} });
    expect(renew.status).toBe(400);
    expect(renew.body).toEqual({ errors: ["token not found"] });
    expect((await s.api("GET", "auth/token/lookup-self", { token: renewer.client_token })).status).toBe(403);
  });
});
