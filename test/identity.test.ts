/**
 * The identity store over HTTP against a dev server: entity, alias and group CRUD, lists and
 * lookups; logins that create an entity once and reuse it; entity and (nested) group
 * policies applied on the next request without a new login; templated policies filled from
 * the entity; disabled and deleted entities; the audit log's identity policies; sealed 503.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../src/server/logger.js";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { client } from "./support/http.js";

const PASSWORD = "correct-horse-battery";

let server: DevServer;
let base = "";
let root: ReturnType<typeof client>;
let userpassAccessor = "";
let dir = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mayfly-identity-"));
  server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0" });
  base = server.addresses[0] as string;
  root = client(base, server.rootToken);
  expect((await root.post("sys/auth/userpass", { type: "userpass" })).status).toBe(204);
  userpassAccessor = (await root.get("sys/auth")).json.data["userpass/"].accessor as string;
  const policies: Record<string, string> = {
    "own-path": `path "secret/data/{{identity.entity.name}}/*" { capabilities = ["create", "read", "update"] }`,
    "team-path": `path "secret/data/teams/{{identity.entity.metadata.team}}/*" { capabilities = ["create", "read", "update"] }`,
    "alias-path": `path "secret/data/users/{{identity.entity.aliases.${"ACCESSOR"}.name}}/*" { capabilities = ["create", "read"] }`,
    "group-path": `path "secret/data/groups/{{identity.groups.names.inner.id}}/*" { capabilities = ["create", "read"] }`,
    shared: `path "secret/data/shared/*" { capabilities = ["read"] }`,
    team: `path "secret/data/team/*" { capabilities = ["read"] }`,
    org: `path "secret/data/org/*" { capabilities = ["read"] }`,
  };
  policies["alias-path"] = (policies["alias-path"] as string).replace("ACCESSOR", userpassAccessor);
  for (const [name, text] of Object.entries(policies)) {
    expect((await root.put(`sys/policies/acl/${name}`, { policy: text })).status).toBe(204);
  }
  for (const p of ["shared/x", "team/x", "org/x"]) {
    expect((await root.put(`secret/data/${p}`, { data: { v: p } })).status).toBe(200);
  }
  const user = { password: PASSWORD, token_policies: "own-path,team-path,alias-path,group-path" };
  for (const name of ["alice", "bob"]) expect((await root.post(`auth/userpass/users/${name}`, user)).status).toBe(204);
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function login(user: string): Promise<{ status: number; json: any }> {
  const r = await client(base).post(`auth/userpass/login/${user}`, { password: PASSWORD });
  return { status: r.status, json: r.json };
}

async function loginToken(user: string): Promise<{ token: string; entityId: string; auth: any }> {
  const r = await login(user);
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return { token: r.json.auth.client_token as string, entityId: r.json.auth.entity_id as string, auth: r.json.auth };
}

describe("the identity/ mount", () => {
  it("is mounted as type identity and cannot be disabled or moved", async () => {
    const mounts = (await root.get("sys/mounts")).json.data;
    expect(mounts["identity/"]).toMatchObject({ type: "identity" });
    expect((await root.delete("sys/mounts/identity")).status).toBe(400);
    expect((await root.post("sys/remount", { from: "identity", to: "ident2" })).status).toBe(400);
    expect((await root.post("sys/mounts/identity2", { type: "identity" })).status).toBe(400);
  });
});

describe("entities", () => {
  let id = "";

  it("creates an entity with 200 and its id, and reads it by id and by name", async () => {
    const w = await root.post("identity/entity", { name: "ops-bot", policies: "shared, Extra ,shared", metadata: { team: "ops" } });
    expect(w.status, w.text).toBe(200);
    expect(w.json.data).toEqual({ id: expect.any(String), name: "ops-bot", aliases: null });
    id = w.json.data.id;
    const r = await root.get(`identity/entity/id/${id}`);
    expect(r.status).toBe(200);
    expect(r.json.data).toMatchObject({
      id,
      name: "ops-bot",
      policies: ["Extra", "shared"],
      metadata: { team: "ops" },
      disabled: false,
      aliases: [],
      direct_group_ids: [],
      inherited_group_ids: [],
      group_ids: [],
      merged_entity_ids: null,
      namespace_id: "root",
    });
    expect(r.json.data.creation_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    // Names match whatever their case, as in Vault.
    expect((await root.get("identity/entity/name/OPS-BOT")).json.data.id).toBe(id);
  });

  it("updates by id or by name with 204, and keeps fields not sent", async () => {
    expect((await root.post(`identity/entity/id/${id}`, { policies: ["shared"] })).status).toBe(204);
    expect((await root.post("identity/entity/name/ops-bot", { metadata: "team=dev,tier=1" })).status).toBe(204);
    expect((await root.post("identity/entity", { name: "ops-bot", disabled: false })).status).toBe(204);
    const r = (await root.get(`identity/entity/id/${id}`)).json.data;
    expect([r.policies, r.metadata]).toEqual([["shared"], { team: "dev", tier: "1" }]);
  });

  it("refuses a taken name, an unknown id, root among policies and bad metadata", async () => {
    const other = (await root.post("identity/entity", { name: "other" })).json.data.id as string;
    const taken = await root.post(`identity/entity/id/${other}`, { name: "ops-bot" });
    expect([taken.status, taken.json.errors]).toEqual([400, ["entity name is already in use"]]);
    const unknown = await root.post("identity/entity/id/no-such-id", { policies: ["x"] });
    expect([unknown.status, unknown.json.errors]).toEqual([400, ["entity not found from id"]]);
    expect((await root.post("identity/entity", { name: "r", policies: ["root"] })).json.errors).toEqual(["policies cannot contain root"]);
    expect((await root.post("identity/entity", { name: "m", metadata: { "bad key!": "v" } })).status).toBe(400);
    expect((await root.get("identity/entity/id/no-such-id")).status).toBe(404);
  });

  it("lists ids with key_info and names", async () => {
    const ids = await root.list("identity/entity/id");
    expect(ids.status).toBe(200);
    expect(ids.json.data.keys).toContain(id);
    expect(ids.json.data.key_info[id]).toEqual({ name: "ops-bot" });
    expect((await root.list("identity/entity/name")).json.data.keys).toEqual(expect.arrayContaining(["ops-bot", "other"]));
  });

  it("aliases: one per mount per entity, read with the mount's type and path, listed, deleted", async () => {
    const w = await root.post("identity/entity-alias", { name: "svc-ops", canonical_id: id, mount_accessor: userpassAccessor, custom_metadata: { k: "v" } });
    expect(w.status, w.text).toBe(200);
    expect(w.json.data).toEqual({ id: expect.any(String), canonical_id: id });
    const aliasId = w.json.data.id as string;
    const r = await root.get(`identity/entity-alias/id/${aliasId}`);
    expect(r.json.data).toMatchObject({
      id: aliasId,
      canonical_id: id,
      name: "svc-ops",
      mount_accessor: userpassAccessor,
      mount_type: "userpass",
      mount_path: "auth/userpass/",
      custom_metadata: { k: "v" },
      metadata: null,
    });
    const second = await root.post("identity/entity-alias", { name: "svc-ops-2", canonical_id: id, mount_accessor: userpassAccessor });
    expect([second.status, second.json.errors]).toEqual([400, ["Alias already exists for requested entity and mount accessor"]]);
    const badMount = await root.post("identity/entity-alias", { name: "x", mount_accessor: "auth_nope_1" });
    expect([badMount.status, badMount.json.errors]).toEqual([400, ['invalid mount accessor "auth_nope_1"']]);
    expect((await root.list("identity/entity-alias/id")).json.data.key_info[aliasId]).toMatchObject({ canonical_id: id, name: "svc-ops" });
    expect((await root.get(`identity/entity/id/${id}`)).json.data.aliases).toEqual([expect.objectContaining({ id: aliasId, mount_path: "auth/userpass/" })]);

    // Lookups: by name, id, alias id, alias name and mount; a miss is 204.
    const byAlias = await root.post("identity/lookup/entity", { alias_name: "SVC-OPS", alias_mount_accessor: userpassAccessor });
    expect(byAlias.json.data.id).toBe(id);
    expect((await root.post("identity/lookup/entity", { alias_id: aliasId })).json.data.id).toBe(id);
    expect((await root.post("identity/lookup/entity", { name: "ops-bot" })).json.data.id).toBe(id);
    expect((await root.post("identity/lookup/entity", { id })).json.data.name).toBe("ops-bot");
    expect((await root.post("identity/lookup/entity", { name: "nobody" })).status).toBe(204);
    expect((await root.post("identity/lookup/entity", {})).json.errors).toEqual(["query parameter not supplied"]);
    expect((await root.post("identity/lookup/entity", { alias_name: "svc-ops" })).json.errors).toEqual(["both 'alias_name' and 'alias_mount_accessor' needs to be set"]);
    expect((await root.post("identity/lookup/entity", { id, name: "ops-bot" })).status).toBe(400);

    expect((await root.delete(`identity/entity-alias/id/${aliasId}`)).status).toBe(204);
    expect((await root.get(`identity/entity-alias/id/${aliasId}`)).status).toBe(404);
    expect((await root.post("identity/lookup/entity", { alias_id: aliasId })).status).toBe(204);
  });

  it("deletes by name or id with 204, absent or not", async () => {
    expect((await root.delete("identity/entity/name/other")).status).toBe(204);
    expect((await root.get("identity/entity/name/other")).status).toBe(404);
    expect((await root.delete("identity/entity/id/no-such-id")).status).toBe(204);
  });

  it("merges one entity into another: aliases move, the merged one is gone", async () => {
    const from = (await root.post("identity/entity", { name: "merge-from" })).json.data.id as string;
    const alias = (await root.post("identity/entity-alias", { name: "merged-user", canonical_id: from, mount_accessor: userpassAccessor })).json.data.id as string;
    expect((await root.post("identity/entity/merge", { from_entity_ids: [from], to_entity_id: id })).status).toBe(204);
    expect((await root.get(`identity/entity/id/${from}`)).status).toBe(404);
    const to = (await root.get(`identity/entity/id/${id}`)).json.data;
    expect(to.merged_entity_ids).toEqual([from]);
    expect(to.aliases).toEqual([expect.objectContaining({ id: alias, canonical_id: id, merged_from_canonical_ids: [from] })]);
  });
});

describe("groups", () => {
  it("creates internal groups, nests them, reads members and parents, refuses a cycle", async () => {
    const a = await root.post("identity/group", { name: "ga", policies: ["team"] });
    expect(a.status, a.text).toBe(200);
    expect(a.json.data).toEqual({ id: expect.any(String), name: "ga" });
    const b = await root.post("identity/group", { name: "gb", member_group_ids: [a.json.data.id] });
    const ga = (await root.get(`identity/group/id/${a.json.data.id}`)).json.data;
    expect(ga).toMatchObject({ name: "ga", type: "internal", policies: ["team"], parent_group_ids: [b.json.data.id], member_group_ids: null, alias: {} });
    const gb = (await root.get("identity/group/name/gb")).json.data;
    expect(gb.member_group_ids).toEqual([a.json.data.id]);
    const cycle = await root.post(`identity/group/id/${a.json.data.id}`, { member_group_ids: [b.json.data.id] });
    expect([cycle.status, cycle.json.errors]).toEqual([400, [`cyclic relationship detected for member group ID "${b.json.data.id}"`]]);
    expect((await root.post("identity/group", { name: "gb" })).status).toBe(204);
    expect((await root.post("identity/group", { name: "ga", type: "external" })).json.errors).toEqual(["group type cannot be changed"]);
    expect((await root.post("identity/group", { name: "gx", member_entity_ids: ["no-such-entity"] })).status).toBe(400);
    expect((await root.list("identity/group/id")).json.data.key_info[a.json.data.id]).toEqual({ name: "ga", num_member_entities: 0, num_parent_groups: 1 });
    expect((await root.list("identity/group/name")).json.data.keys).toEqual(expect.arrayContaining(["ga", "gb"]));
    expect((await root.post("identity/lookup/group", { name: "GA" })).json.data.id).toBe(a.json.data.id);
    expect((await root.delete("identity/group/name/gb")).status).toBe(204);
    expect((await root.get(`identity/group/id/${a.json.data.id}`)).json.data.parent_group_ids).toEqual([]);
  });

  it("external groups take an alias, and no members by hand", async () => {
    const g = (await root.post("identity/group", { name: "ext", type: "external" })).json.data.id as string;
    expect((await root.post("identity/group", { name: "ext", member_entity_ids: [] })).json.errors).toEqual([
      "member entities can't be set manually for external groups",
    ]);
    const a = await root.post("identity/group-alias", { name: "ldap-admins", mount_accessor: userpassAccessor, canonical_id: g });
    expect(a.status, a.text).toBe(200);
    expect(a.json.data).toEqual({ id: expect.any(String), canonical_id: g });
    expect((await root.get(`identity/group-alias/id/${a.json.data.id}`)).json.data).toMatchObject({ name: "ldap-admins", canonical_id: g, mount_type: "userpass" });
    expect((await root.get(`identity/group/id/${g}`)).json.data.alias).toMatchObject({ id: a.json.data.id, name: "ldap-admins" });
    expect((await root.list("identity/group-alias/id")).json.data.keys).toEqual([a.json.data.id]);
    const internal = (await root.post("identity/group", { name: "int" })).json.data.id as string;
    expect((await root.post("identity/group-alias", { name: "z", mount_accessor: userpassAccessor, canonical_id: internal })).json.errors).toEqual([
      "alias can't be set on an internal group",
    ]);
    expect((await root.delete(`identity/group-alias/id/${a.json.data.id}`)).status).toBe(204);
    expect((await root.get(`identity/group/id/${g}`)).json.data.alias).toEqual({});
  });
});

describe("logins and identity policies", () => {
  let alice = { token: "", entityId: "", auth: {} as any };

  it("a userpass login creates one entity with the username as alias, and the next login reuses it", async () => {
    alice = await loginToken("alice");
    expect(alice.entityId).toMatch(/^[0-9a-f-]{36}$/);
    const entity = (await root.get(`identity/entity/id/${alice.entityId}`)).json.data;
    expect(entity.name).toMatch(/^entity_[0-9a-f]{8}$/);
    expect(entity.aliases).toEqual([expect.objectContaining({ name: "alice", mount_accessor: userpassAccessor, mount_type: "userpass" })]);
    const before = (await root.list("identity/entity/id")).json.data.keys.length as number;
    const again = await loginToken("alice");
    expect(again.entityId).toBe(alice.entityId);
    expect((await root.list("identity/entity/id")).json.data.keys).toHaveLength(before);
    expect((await root.post("identity/lookup/entity", { alias_name: "alice", alias_mount_accessor: userpassAccessor })).json.data.id).toBe(alice.entityId);
    expect((await loginToken("bob")).entityId).not.toBe(alice.entityId);
  });

  it("the token carries the entity; its children do; tokens made by root do not", async () => {
    const self = await client(base, alice.token).get("auth/token/lookup-self");
    expect(self.json.data.entity_id).toBe(alice.entityId);
    expect(self.json.data).not.toHaveProperty("identity_policies");
    const child = await root.post("auth/token/create", { policies: ["default"] });
    expect(child.json.auth.entity_id).toBe("");
    // Alice may create tokens only through a policy of her entity; the child inherits the entity.
    expect((await client(base, alice.token).post("auth/token/create", { policies: ["own-path"] })).status).toBe(403);
    const mintPolicy = `path "auth/token/create" { capabilities = ["update"] }`;
    expect((await root.put("sys/policies/acl/mint", { policy: mintPolicy })).status).toBe(204);
    expect((await root.post(`identity/entity/id/${alice.entityId}`, { policies: ["shared", "mint"] })).status).toBe(204);
    const made = await client(base, alice.token).post("auth/token/create", { policies: ["own-path"] });
    expect(made.status, made.text).toBe(200);
    expect(made.json.auth.entity_id).toBe(alice.entityId);
    expect(made.json.auth.identity_policies).toEqual(["mint", "shared"]);
    expect((await root.post(`identity/entity/id/${alice.entityId}`, { policies: [] })).status).toBe(204);
  });

  it("entity and nested group policies apply on the next request, and show in lookup-self and the login", async () => {
    const as = client(base, alice.token);
    expect((await as.get("secret/data/shared/x")).status).toBe(403);
    expect((await root.post(`identity/entity/id/${alice.entityId}`, { policies: ["shared"] })).status).toBe(204);
    expect((await as.get("secret/data/shared/x")).status).toBe(200);

    const inner = (await root.post("identity/group", { name: "inner", policies: ["team"], member_entity_ids: [alice.entityId] })).json.data.id as string;
    const outer = (await root.post("identity/group", { name: "outer", policies: ["org"], member_group_ids: [inner] })).json.data.id as string;
    expect((await as.get("secret/data/team/x")).status).toBe(200);
    expect((await as.get("secret/data/org/x")).status).toBe(200);
    const self = (await as.get("auth/token/lookup-self")).json.data;
    expect(self.identity_policies).toEqual(["org", "shared", "team"]);
    expect(self.external_namespace_policies).toEqual({});
    expect(self.policies).toEqual(["alias-path", "default", "group-path", "own-path", "team-path"]);
    const entity = (await root.get(`identity/entity/id/${alice.entityId}`)).json.data;
    expect([entity.direct_group_ids, entity.inherited_group_ids, entity.group_ids]).toEqual([[inner], [outer], [inner, outer]]);

    const fresh = await loginToken("alice");
    expect(fresh.auth.token_policies).toEqual(["alias-path", "default", "group-path", "own-path", "team-path"]);
    expect(fresh.auth.identity_policies).toEqual(["org", "shared", "team"]);
    expect(fresh.auth.policies).toEqual(["alias-path", "default", "group-path", "org", "own-path", "shared", "team", "team-path"]);

    // Leaving the inner group takes both groups' policies away at once.
    expect((await root.post(`identity/group/id/${inner}`, { member_entity_ids: [] })).status).toBe(204);
    expect((await as.get("secret/data/org/x")).status).toBe(403);
    expect((await as.get("secret/data/team/x")).status).toBe(403);
    expect((await as.get("secret/data/shared/x")).status).toBe(200);
    expect((await root.post(`identity/group/id/${inner}`, { member_entity_ids: [alice.entityId] })).status).toBe(204);
  });

  it("templated rules: the entity's name, metadata, alias name and group ids fill the paths", async () => {
    const as = client(base, alice.token);
    const bs = client(base, (await loginToken("bob")).token);
    expect((await root.post(`identity/entity/id/${alice.entityId}`, { name: "alice", metadata: { team: "blue" } })).status).toBe(204);
    expect((await as.put("secret/data/alice/x", { data: { v: 1 } })).status).toBe(200);
    expect((await as.get("secret/data/alice/x")).status).toBe(200);
    expect((await as.put("secret/data/bob/x", { data: { v: 1 } })).status).toBe(403);
    // Bob's entity has a generated name: the rule gives him nothing under alice/.
    expect((await bs.get("secret/data/alice/x")).status).toBe(403);

    expect((await as.put("secret/data/teams/blue/x", { data: { v: 1 } })).status).toBe(200);
    expect((await as.put("secret/data/teams/red/x", { data: { v: 1 } })).status).toBe(403);
    expect((await root.post(`identity/entity/id/${alice.entityId}`, { metadata: { team: "red" } })).status).toBe(204);
    expect((await as.put("secret/data/teams/red/x", { data: { v: 1 } })).status).toBe(200);
    expect((await as.get("secret/data/teams/blue/x")).status).toBe(403);
    // A key the entity lacks drops the rule: nothing is granted.
    expect((await bs.put("secret/data/teams/red/x", { data: { v: 1 } })).status).toBe(403);

    expect((await as.put("secret/data/users/alice/x", { data: { v: 1 } })).status).toBe(200);
    expect((await as.put("secret/data/users/bob/x", { data: { v: 1 } })).status).toBe(403);
    expect((await bs.put("secret/data/users/bob/x", { data: { v: 1 } })).status).toBe(200);

    const inner = (await root.get("identity/group/name/inner")).json.data.id as string;
    expect((await as.put(`secret/data/groups/${inner}/x`, { data: { v: 1 } })).status).toBe(200);
    expect((await bs.put(`secret/data/groups/${inner}/x`, { data: { v: 1 } })).status).toBe(403);
  });

  it("sys/capabilities*, asked by the token or about it, see the identity's policies and filled templates", async () => {
    const as = client(base, alice.token);
    const caps = (r: { json: any }) => (r.json.data?.capabilities ?? r.json.capabilities) as string[];
    expect(caps(await as.post("sys/capabilities-self", { paths: ["secret/data/alice/x"] }))).toEqual(["create", "read", "update"]);
    expect(caps(await as.post("sys/capabilities-self", { paths: ["secret/data/bob/x"] }))).toEqual(["deny"]);
    expect(caps(await root.post("sys/capabilities", { token: alice.token, paths: ["secret/data/alice/x"] }))).toEqual(["create", "read", "update"]);
    const accessor = alice.auth.accessor as string;
    expect(caps(await root.post("sys/capabilities-accessor", { accessor, paths: ["secret/data/alice/x"] }))).toEqual(["create", "read", "update"]);
    // The KV preflight the CLI makes: a templated grant under secret/ counts as access to the mount.
    expect((await as.get("sys/internal/ui/mounts/secret")).status).toBe(200);
  });

  it("the audit log records the identity policies of the calling token", async () => {
    const file = join(dir, "audit.log");
    expect((await root.put("sys/audit/identity-test", { type: "file", options: { file_path: file } })).status).toBe(204);
    expect((await client(base, alice.token).get("secret/data/shared/x")).status).toBe(200);
    expect((await root.delete("sys/audit/identity-test")).status).toBe(204);
    const lines = (await readFile(file, "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    const entry = lines.find((l) => l.type === "request" && l.request.path === "secret/data/shared/x");
    expect(entry.auth.entity_id).toBe(alice.entityId);
    expect(entry.auth.identity_policies).toEqual(["org", "shared", "team"]);
    expect(entry.auth.token_policies).toEqual(["alias-path", "default", "group-path", "own-path", "team-path"]);
  });

  it("a disabled entity's tokens get 403 and it cannot log in; enabled again, they work", async () => {
    const as = client(base, alice.token);
    expect((await root.post(`identity/entity/id/${alice.entityId}`, { disabled: true })).status).toBe(204);
    expect((await as.get("auth/token/lookup-self")).status).toBe(403);
    expect((await as.get("secret/data/shared/x")).status).toBe(403);
    expect((await login("alice")).status).toBe(403);
    expect((await root.post(`identity/entity/id/${alice.entityId}`, { disabled: false })).status).toBe(204);
    expect((await as.get("auth/token/lookup-self")).status).toBe(200);
  });

  it("a deleted entity's tokens get 403; the next login makes a new entity", async () => {
    const bob = await loginToken("bob");
    expect((await root.delete(`identity/entity/id/${bob.entityId}`)).status).toBe(204);
    expect((await client(base, bob.token).get("auth/token/lookup-self")).status).toBe(403);
    const again = await loginToken("bob");
    expect(again.entityId).not.toBe(bob.entityId);
    expect((await client(base, again.token).get("auth/token/lookup-self")).status).toBe(200);
  });
});

describe("sealed", () => {
  it("identity answers 503 while sealed, and keeps its entities across seal and unseal", async () => {
    const id = (await root.get("identity/entity/name/ops-bot")).json.data.id as string;
    expect((await root.put("sys/seal")).status).toBe(204);
    expect((await root.get(`identity/entity/id/${id}`)).status).toBe(503);
    expect((await root.post("identity/entity", { name: "while-sealed" })).status).toBe(503);
    expect((await client(base).put("sys/unseal", { key: server.unsealKey })).json.sealed).toBe(false);
    expect((await root.get(`identity/entity/id/${id}`)).json.data.name).toBe("ops-bot");
    const alice = (await root.post("identity/lookup/entity", { alias_name: "alice", alias_mount_accessor: userpassAccessor })).json.data.id as string;
    expect((await loginToken("alice")).entityId).toBe(alice);
  });
});
