import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startCoreServer, type CoreServer } from "./support/core-server.js";

let s: CoreServer;

beforeEach(async () => {
  s = await startCoreServer({ startMs: Date.UTC(2024, 0, 1) });
  await s.core.policies.write("dev", `path "secret/*" { capabilities = ["read"] }`);
  await s.core.policies.write("admin", `path "secret/*" { capabilities = ["create", "read", "update", "delete", "list"] }`);
  await s.core.policies.write("ops", `path "ops/*" { capabilities = ["read"] }`);
  // Create and create-orphan, but no sudo anywhere.
  await s.core.policies.write("creator", `path "auth/token/create*" { capabilities = ["create", "update"] }`);
});
afterEach(async () => {
  await s.close();
});

type Auth = Record<string, unknown> & { client_token: string; accessor: string };

async function create(token: string, body: Record<string, unknown> = {}, path = "auth/token/create") {
  return s.api("POST", path, { token, body });
}
async function createOk(token: string, body: Record<string, unknown> = {}, path = "auth/token/create"): Promise<Auth> {
  const r = await create(token, body, path);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body?.auth as Auth;
}
async function lookupSelf(token: string) {
  return s.api("GET", "auth/token/lookup-self", { token });
}
function errors(r: { body: Record<string, unknown> | undefined }): unknown {
  return r.body?.errors;
}

describe("auth/token/create", () => {
  it("creates a child of the caller with Vault's auth block and data null", async () => {
    const r = await create(s.rootToken, { policies: "dev", ttl: "1h", meta: { app: "web" }, display_name: "My App" });
    expect(r.status).toBe(200);
    expect(r.contentType).toBe("application/json");
    expect(r.body?.data).toBeNull();
    expect(r.body?.warnings).toBeNull();
    const auth = r.body?.auth as Auth;
    expect(auth.client_token).toMatch(/^hvs\./);
    expect(auth).toMatchObject({
      policies: ["default", "dev"],
      token_policies: ["default", "dev"],
      metadata: { app: "web" },
      lease_duration: 3600,
      renewable: true,
      orphan: false,
      token_type: "service",
      entity_id: "",
    });
    const me = await lookupSelf(auth.client_token);
    expect(me.status).toBe(200);
    expect(me.body?.data).toMatchObject({ display_name: "token-My-App", path: "auth/token/create", orphan: false, ttl: 3600 });
  });

  it("warns about policies that do not exist", async () => {
    const r = await create(s.rootToken, { policies: ["nosuch"] });
    expect(r.status).toBe(200);
    expect(r.body?.warnings).toEqual(['Policy "nosuch" does not exist']);
  });

  it("lets a non-sudo caller grant only a subset of its own policies", async () => {
    const parent = await createOk(s.rootToken, { policies: ["dev", "creator"] });
    const refused = await create(parent.client_token, { policies: ["admin"] });
    expect(refused.status).toBe(400);
    expect(errors(refused)).toEqual(["child policies must be subset of parent"]);
    const subset = await createOk(parent.client_token, { policies: ["dev"] });
    expect(subset.policies).toEqual(["default", "dev"]);
    const inherited = await createOk(parent.client_token);
    expect(inherited.policies).toEqual(["creator", "default", "dev"]);
  });

  it("needs sudo for no_parent, but create-orphan is governed by its ACL alone", async () => {
    const creator = await createOk(s.rootToken, { policies: ["creator"] });
    const refused = await create(creator.client_token, { no_parent: true });
    expect(refused.status).toBe(400);
    expect(errors(refused)).toEqual(["root or sudo privileges required to create orphan token"]);
    const orphan = await createOk(creator.client_token, {}, "auth/token/create-orphan");
    expect(orphan.orphan).toBe(true);
    expect((await lookupSelf(orphan.client_token)).body?.data).toMatchObject({ orphan: true, path: "auth/token/create-orphan" });
    const rootOrphan = await createOk(s.rootToken, { no_parent: true, policies: ["dev"] });
    expect(rootOrphan.orphan).toBe(true);
    const plain = await createOk(s.rootToken, { policies: ["dev"] });
    const denied = await create(plain.client_token, {}, "auth/token/create-orphan");
    expect(denied.status).toBe(403);
  });

  it("lets only root or sudo choose the token id, without Vault's reserved prefixes", async () => {
    const creator = await createOk(s.rootToken, { policies: ["creator"] });
    const refused = await create(creator.client_token, { id: "mine" });
    expect(errors(refused)).toEqual(["root or sudo privileges required to specify token id"]);
    const custom = await createOk(s.rootToken, { id: "my-custom-token", policies: ["dev"] });
    expect(custom.client_token).toBe("my-custom-token");
    expect((await lookupSelf("my-custom-token")).status).toBe(200);
    expect(errors(await create(s.rootToken, { id: "hvs.abc" }))).toEqual(["custom token ID cannot have the 'hvs.' prefix"]);
    expect(errors(await create(s.rootToken, { id: "a.b" }))).toEqual(["custom token ID cannot have a '.' in the value"]);
    expect((await create(s.rootToken, { id: "my-custom-token" })).status).toBe(400);
  });

  it("counts num_uses down and revokes the token after its last use", async () => {
    const auth = await createOk(s.rootToken, { policies: ["dev"], num_uses: 3 });
    expect(auth.num_uses).toBe(3);
    expect((await lookupSelf(auth.client_token)).body?.data).toMatchObject({ num_uses: 2 });
    expect((await lookupSelf(auth.client_token)).body?.data).toMatchObject({ num_uses: 1 });
    // The last use is still served (default policy allows the cubbyhole).
    const last = await s.api("POST", "cubbyhole/note", { token: auth.client_token, body: { a: "b" } });
    expect(last.status).toBe(204);
    expect((await lookupSelf(auth.client_token)).status).toBe(403);
    const byRoot = await s.api("POST", "auth/token/lookup", { token: s.rootToken, body: { token: auth.client_token } });
    expect(byRoot.status).toBe(403);
    expect(errors(byRoot)).toEqual(["bad token"]);
  });

  it("refuses children of a use-limited token", async () => {
    const limited = await createOk(s.rootToken, { policies: ["creator"], num_uses: 5 });
    const r = await create(limited.client_token, {});
    expect(errors(r)).toEqual(["restricted use token cannot generate child tokens"]);
  });

  it("makes periodic tokens (sudo only) that renew to the full period each time", async () => {
    const creator = await createOk(s.rootToken, { policies: ["creator"] });
    expect(errors(await create(creator.client_token, { period: "60s" }))).toEqual([
      "root or sudo privileges required to create periodic token",
    ]);
    const periodic = await createOk(s.rootToken, { policies: ["dev"], period: "60s" });
    expect(periodic.lease_duration).toBe(60);
    expect((await lookupSelf(periodic.client_token)).body?.data).toMatchObject({ period: 60, explicit_max_ttl: 0 });
    s.clock.advanceSeconds(50);
    const renewed = await s.api("POST", "auth/token/renew-self", { token: periodic.client_token, body: { increment: 3600 } });
    expect(renewed.status).toBe(200);
    expect((renewed.body?.auth as Auth).lease_duration).toBe(60);
    s.clock.advanceSeconds(50);
    expect((await lookupSelf(periodic.client_token)).status).toBe(200);
    s.clock.advanceSeconds(11);
    expect((await lookupSelf(periodic.client_token)).status).toBe(403);
  });

  it("caps TTL and renewals at explicit_max_ttl, with a warning", async () => {
    const capped = await create(s.rootToken, { policies: ["dev"], ttl: "3h", explicit_max_ttl: "1h" });
    expect((capped.body?.auth as Auth).lease_duration).toBe(3600);
    expect(capped.body?.warnings).toEqual([expect.stringContaining("exceeded the effective max_ttl")]);

    const auth = await createOk(s.rootToken, { policies: ["dev"], ttl: "1h", explicit_max_ttl: "2h" });
    const renew = () => s.api("POST", "auth/token/renew-self", { token: auth.client_token, body: { increment: "1h" } });
    s.clock.advanceSeconds(3000);
    const first = await renew();
    expect((first.body?.auth as Auth).lease_duration).toBe(3600);
    expect(first.body?.warnings).toBeNull();
    s.clock.advanceSeconds(3000);
    const renewed = await renew();
    expect(renewed.status).toBe(200);
    expect((renewed.body?.auth as Auth).lease_duration).toBe(1200);
    expect(renewed.body?.warnings).toEqual(['TTL of "1h0m0s" exceeded the effective max_ttl of "20m0s"; TTL value is capped accordingly']);
    s.clock.advanceSeconds(1199);
    expect((await lookupSelf(auth.client_token)).status).toBe(200);
    s.clock.advanceSeconds(1);
    expect((await lookupSelf(auth.client_token)).status).toBe(403);
  });

  it("applies a role: its allowed policies, orphan flag, path suffix and period", async () => {
    const w = await s.api("POST", "auth/token/roles/web", {
      token: s.rootToken,
      body: { allowed_policies: "admin,ops", orphan: true, path_suffix: "rev2", token_period: "2m" },
    });
    expect(w.status).toBe(204);
    const creator = await createOk(s.rootToken, { policies: ["creator"] });
    const viaRole = await createOk(creator.client_token, {}, "auth/token/create/web");
    expect(viaRole).toMatchObject({ policies: ["admin", "default", "ops"], orphan: true, lease_duration: 120 });
    expect((await lookupSelf(viaRole.client_token)).body?.data).toMatchObject({
      path: "auth/token/create/web/rev2",
      role: "web",
      period: 120,
      orphan: true,
    });
    const narrowed = await createOk(creator.client_token, { policies: ["ops"] }, "auth/token/create/web");
    expect(narrowed.policies).toEqual(["default", "ops"]);
    const refused = await create(creator.client_token, { policies: ["dev"] }, "auth/token/create/web");
    expect(refused.status).toBe(400);
    expect(String((errors(refused) as string[])[0])).toContain("must be subset of the role's allowed policies");
    expect(errors(await create(creator.client_token, {}, "auth/token/create/nope"))).toEqual(["unknown role nope"]);
  });

  it("makes batch tokens that can neither renew nor have children or limits", async () => {
    const batch = await createOk(s.rootToken, { policies: ["creator"], type: "batch", ttl: "10m" });
    expect(batch.client_token).toMatch(/^hvb\./);
    expect(batch).toMatchObject({ token_type: "batch", renewable: false, lease_duration: 600 });
    expect(errors(await create(batch.client_token, {}))).toEqual(["batch tokens cannot create more tokens"]);
    const renew = await s.api("POST", "auth/token/renew-self", { token: batch.client_token, body: {} });
    expect(errors(renew)).toEqual(["batch tokens cannot be renewed"]);
    expect(errors(await create(s.rootToken, { type: "batch", num_uses: 2 }))).toEqual(['batch tokens cannot have "num_uses" set']);
    expect(errors(await create(s.rootToken, { type: "batch", period: "1h" }))).toEqual(['batch tokens cannot have "period" set']);
    expect(errors(await create(s.rootToken, { type: "nope" }))).toEqual(["invalid 'token_type' value"]);
  });

  it("does not let sudo alone mint a root token", async () => {
    await s.core.policies.write("sudoer", `path "auth/token/*" { capabilities = ["create", "update", "sudo"] }`);
    const sudoer = await createOk(s.rootToken, { policies: ["sudoer"] });
    const r = await create(sudoer.client_token, { policies: ["root"] });
    expect(errors(r)).toEqual(["root tokens may not be created without parent token being root"]);
    const granted = await createOk(sudoer.client_token, { policies: ["admin"] });
    expect(granted.policies).toEqual(["admin", "default"]);
  });

  it("refuses bad input with 400", async () => {
    expect((await create(s.rootToken, { ttl: "soon" })).status).toBe(400);
    expect(errors(await create(s.rootToken, { ttl: "-5s" }))).toEqual(["ttl must be positive"]);
    expect(errors(await create(s.rootToken, { num_uses: -1 }))).toEqual(["number of uses cannot be negative"]);
    expect(errors(await create(s.rootToken, { entity_alias: "x" }))).toEqual([
      "'entity_alias' is only allowed in combination with token role",
    ]);
  });

  it("refuses a caller without a valid token", async () => {
    expect((await create("nope", {})).status).toBe(403);
    expect((await s.api("POST", "auth/token/create", { body: {} })).status).toBe(403);
  });
});

describe("auth/token/create/<role> with entity_alias", () => {
  it("ties the token to the entity holding that alias on the token mount, with the entity's policies", async () => {
    expect((await s.api("POST", "auth/token/roles/svc", { token: s.rootToken, body: { allowed_entity_aliases: ["svc-*"], allowed_policies: ["dev"] } })).status).toBe(204);
    const refused = await create(s.rootToken, { entity_alias: "web-1" }, "auth/token/create/svc");
    expect(errors(refused)).toEqual(["invalid 'entity_alias' value"]);

    const first = await createOk(s.rootToken, { entity_alias: "Svc-Payments", policies: ["dev"] }, "auth/token/create/svc");
    const entityId = first.entity_id as string;
    expect(entityId).toMatch(/^[0-9a-f-]{36}$/);
    // The same alias (checked case-insensitively, kept as given) means the same entity.
    const second = await createOk(s.rootToken, { entity_alias: "Svc-Payments" }, "auth/token/create/svc");
    expect(second.entity_id).toBe(entityId);

    const entity = await s.api("GET", `identity/entity/id/${entityId}`, { token: s.rootToken });
    const tokenMount = (await s.api("GET", "sys/auth", { token: s.rootToken })).body?.data as Record<string, { accessor: string }>;
    const aliases = (entity.body?.data as { aliases: Array<{ name: string; mount_accessor: string }> }).aliases;
    expect(aliases).toEqual([expect.objectContaining({ name: "Svc-Payments", mount_accessor: tokenMount["token/"]?.accessor })]);

    // Policies given to the entity reach its tokens.
    expect((await s.api("POST", `identity/entity/id/${entityId}`, { token: s.rootToken, body: { policies: ["ops"] } })).status).toBeLessThan(300);
    const caps = await s.api("POST", "sys/capabilities-self", { token: first.client_token, body: { path: "ops/report" } });
    expect((caps.body?.data as { capabilities: string[] }).capabilities).toEqual(["read"]);
    expect((await lookupSelf(first.client_token)).body?.data).toMatchObject({ entity_id: entityId });
  });
});
