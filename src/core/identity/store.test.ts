import { describe, expect, it } from "vitest";
import { isMayflyError } from "../../framework/errors.js";
import { InmemStorage } from "../../storage/inmem.js";
import { PrefixedStorage } from "../../storage/storage.js";
import { deleteAlias, deleteEntity, entityForLogin, mergeEntities, writeAlias, writeEntity } from "./entities.js";
import { deleteGroup, writeGroup } from "./groups.js";
import { resolveIdentity } from "./resolve.js";
import { IdentityStore } from "./store.js";
import type { MountLookup } from "./types.js";

const mounts: MountLookup = (accessor) => (accessor.startsWith("auth_userpass_") ? { type: "userpass", path: "auth/userpass/" } : undefined);
const UP = "auth_userpass_1";
const UP2 = "auth_userpass_2";

function newStore(): { store: IdentityStore; raw: InmemStorage } {
  const raw = new InmemStorage();
  const store = new IdentityStore(() => 1_700_000_000_000);
  store.attach(new PrefixedStorage(raw, "logical/identity/"));
  return { store, raw };
}

async function error(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isMayflyError(err)) return `${err.status} ${err.errors.join("; ")}`;
    throw err;
  }
  throw new Error("expected an error");
}

describe("entities", () => {
  it("creates, finds by name whatever its case, renames (freeing the old name) and deletes", async () => {
    const { store, raw } = newStore();
    const { entity, created } = await writeEntity(store, { name: "Alice", policies: ["b", " a", "b", ""] });
    expect(created).toBe(true);
    expect(entity.policies).toEqual(["a", "b"]);
    expect((await store.entityByName("aLiCe"))?.id).toBe(entity.id);
    const renamed = await writeEntity(store, { id: entity.id, name: "alice2" });
    expect(renamed.created).toBe(false);
    expect(await store.entityByName("alice")).toBeUndefined();
    expect((await store.entityByName("ALICE2"))?.policies).toEqual(["a", "b"]);
    await deleteEntity(store, renamed.entity);
    expect(await store.entity(entity.id)).toBeUndefined();
    expect(await store.entityByName("alice2")).toBeUndefined();
    expect(await raw.list("logical/identity/index/entity-name/")).toEqual([]);
  });

  it("refuses a name held by another entity, and an unknown id", async () => {
    const { store } = newStore();
    await writeEntity(store, { name: "a" });
    const b = (await writeEntity(store, { name: "b" })).entity;
    expect(await error(writeEntity(store, { id: b.id, name: "A" }))).toBe("400 entity name is already in use");
    expect(await error(writeEntity(store, { id: "nope" }))).toBe("400 entity not found from id");
  });

  it("names unnamed entities entity_<8 hex digits>", async () => {
    const { store } = newStore();
    expect((await writeEntity(store, {})).entity.name).toMatch(/^entity_[0-9a-f]{8}$/);
  });
});

describe("aliases", () => {
  it("are indexed by mount accessor and name; moving one to another entity moves the index", async () => {
    const { store } = newStore();
    const a = (await writeEntity(store, { name: "a" })).entity;
    const b = (await writeEntity(store, { name: "b" })).entity;
    const made = await writeAlias(store, mounts, { name: "Bob", mountAccessor: UP, canonicalId: a.id });
    expect(made?.canonicalId).toBe(a.id);
    expect((await store.aliasByFactors(UP, "bob"))?.entity.id).toBe(a.id);
    // Same factors again, a new canonical id: the alias moves.
    const moved = await writeAlias(store, mounts, { name: "bob", mountAccessor: UP, canonicalId: b.id });
    expect(moved).toEqual({ id: made?.id, canonicalId: b.id });
    expect((await store.aliasByFactors(UP, "BOB"))?.entity.id).toBe(b.id);
    expect((await store.aliasById(made?.id ?? ""))?.entity.id).toBe(b.id);
    expect((await store.entity(a.id))?.aliases).toEqual([]);
    // Unchanged: nothing to do (204).
    expect(await writeAlias(store, mounts, { id: made?.id ?? "", name: "", mountAccessor: "", canonicalId: "" })).toBeUndefined();
    await deleteAlias(store, made?.id ?? "");
    expect(await store.aliasByFactors(UP, "bob")).toBeUndefined();
    expect((await store.entity(b.id))?.aliases).toEqual([]);
  });

  it("one alias per mount per entity; unknown mounts refused; without canonical_id a new entity is made", async () => {
    const { store } = newStore();
    const a = (await writeEntity(store, { name: "a" })).entity;
    await writeAlias(store, mounts, { name: "x", mountAccessor: UP, canonicalId: a.id });
    expect(await error(writeAlias(store, mounts, { name: "y", mountAccessor: UP, canonicalId: a.id }))).toBe(
      "400 Alias already exists for requested entity and mount accessor",
    );
    expect(await error(writeAlias(store, mounts, { name: "y", mountAccessor: "auth_ldap_1", canonicalId: a.id }))).toBe(
      '400 invalid mount accessor "auth_ldap_1"',
    );
    const fresh = await writeAlias(store, mounts, { name: "y", mountAccessor: UP2, canonicalId: "" });
    expect(fresh?.canonicalId).not.toBe(a.id);
    expect((await store.entity(fresh?.canonicalId ?? ""))?.aliases.map((x) => x.name)).toEqual(["y"]);
  });
});

describe("logins", () => {
  it("parallel first logins of one user make a single entity", async () => {
    const { store } = newStore();
    const entities = await Promise.all(Array.from({ length: 8 }, () => entityForLogin(store, { mountAccessor: UP, name: "carol" })));
    expect(new Set(entities.map((e) => e.id)).size).toBe(1);
    expect(await store.entityIds()).toHaveLength(1);
  });

  it("the alias's metadata follows what the auth method reports", async () => {
    const { store } = newStore();
    const first = await entityForLogin(store, { mountAccessor: UP, name: "dave", metadata: { role: "dev" } });
    const second = await entityForLogin(store, { mountAccessor: UP, name: "DAVE", metadata: { role: "ops" } });
    expect(second.id).toBe(first.id);
    expect(second.aliases[0]?.metadata).toEqual({ role: "ops" });
    // The alias keeps the name it was first seen with.
    expect(second.aliases[0]?.name).toBe("dave");
  });
});

describe("groups and resolution", () => {
  it("an entity holds its groups' policies, nested groups' included; changes show at once", async () => {
    const { store } = newStore();
    const e = (await writeEntity(store, { name: "e", policies: ["own"] })).entity;
    const inner = (await writeGroup(store, { by: "new" }, { name: "inner", policies: ["Team"], memberEntityIds: [e.id] })).group;
    const outer = (await writeGroup(store, { by: "new" }, { name: "outer", policies: ["org"], memberGroupIds: [inner.id] })).group;
    await writeGroup(store, { by: "new" }, { name: "top", policies: ["top"], memberGroupIds: [outer.id] });
    const r = await resolveIdentity(store, e.id);
    expect(r?.policies).toEqual(["Team", "org", "own", "top"]);
    expect(r?.groups.map((g) => g.name)).toEqual(["inner", "outer", "top"]);
    expect(r?.template.groups?.map((g) => g.name)).toEqual(["inner", "outer", "top"]);
    expect(await resolveIdentity(store, e.id)).toBe(r);

    await writeGroup(store, { by: "id", id: outer.id }, { memberGroupIds: [] });
    expect((await resolveIdentity(store, e.id))?.policies).toEqual(["Team", "own"]);
  });

  it("refuses a cycle, a group as its own member and unknown members", async () => {
    const { store } = newStore();
    const a = (await writeGroup(store, { by: "new" }, { name: "a" })).group;
    const b = (await writeGroup(store, { by: "new" }, { name: "b", memberGroupIds: [a.id] })).group;
    const c = (await writeGroup(store, { by: "new" }, { name: "c", memberGroupIds: [b.id] })).group;
    expect(await error(writeGroup(store, { by: "id", id: a.id }, { memberGroupIds: [c.id] }))).toBe(
      `400 cyclic relationship detected for member group ID "${c.id}"`,
    );
    expect(await error(writeGroup(store, { by: "id", id: a.id }, { memberGroupIds: [a.id] }))).toBe(
      `400 member group ID "${a.id}" is same as the ID of the group`,
    );
    expect(await error(writeGroup(store, { by: "id", id: a.id }, { memberGroupIds: ["nope"] }))).toBe('400 invalid member group ID "nope"');
    expect(await error(writeGroup(store, { by: "id", id: a.id }, { memberEntityIds: ["nope"] }))).toBe('400 invalid entity ID "nope"');
  });

  it("deleting an entity takes it out of its groups; deleting a group frees its members", async () => {
    const { store } = newStore();
    const e = (await writeEntity(store, { name: "e" })).entity;
    const g = (await writeGroup(store, { by: "new" }, { name: "g", memberEntityIds: [e.id] })).group;
    const child = (await writeGroup(store, { by: "new" }, { name: "child" })).group;
    await writeGroup(store, { by: "id", id: g.id }, { memberGroupIds: [child.id] });
    await deleteEntity(store, e);
    expect((await store.group(g.id))?.memberEntityIds).toEqual([]);
    expect(await store.directGroupIds(e.id)).toEqual([]);
    await deleteGroup(store, g);
    expect((await store.group(child.id))?.parentGroupIds).toEqual([]);
    expect(await store.groupByName("g")).toBeUndefined();
  });

  it("a deleted entity resolves to nothing; a merged one to the entity it went into", async () => {
    const { store } = newStore();
    const from = (await writeEntity(store, { name: "from" })).entity;
    const to = (await writeEntity(store, { name: "to", policies: ["to"] })).entity;
    const g = (await writeGroup(store, { by: "new" }, { name: "g", memberEntityIds: [from.id] })).group;
    await writeAlias(store, mounts, { name: "u", mountAccessor: UP, canonicalId: from.id });
    await mergeEntities(store, { toEntityId: to.id, fromEntityIds: [from.id], conflictingAliasIdsToKeep: [] });
    const r = await resolveIdentity(store, from.id);
    expect(r?.entity.id).toBe(to.id);
    expect(r?.policies).toEqual(["to"]);
    expect((await store.group(g.id))?.memberEntityIds).toEqual([to.id]);
    expect((await store.aliasByFactors(UP, "u"))?.entity.id).toBe(to.id);
    const merged = await store.entity(to.id);
    if (!merged) throw new Error("merged entity missing");
    await deleteEntity(store, merged);
    expect(await resolveIdentity(store, to.id)).toBeUndefined();
    expect(await resolveIdentity(store, from.id)).toBeUndefined();
  });

  it("merging refuses aliases on the same mount unless told which to keep", async () => {
    const { store } = newStore();
    const a = (await writeEntity(store, { name: "a" })).entity;
    const b = (await writeEntity(store, { name: "b" })).entity;
    await writeAlias(store, mounts, { name: "ua", mountAccessor: UP, canonicalId: a.id });
    const kept = await writeAlias(store, mounts, { name: "ub", mountAccessor: UP, canonicalId: b.id });
    expect(await error(mergeEntities(store, { toEntityId: a.id, fromEntityIds: [b.id], conflictingAliasIdsToKeep: [] }))).toMatch(
      /^400 toEntity and at least one fromEntity have aliases with the same mount accessor/,
    );
    await mergeEntities(store, { toEntityId: a.id, fromEntityIds: [b.id], conflictingAliasIdsToKeep: [kept?.id ?? ""] });
    expect((await store.entity(a.id))?.aliases.map((x) => x.name)).toEqual(["ub"]);
    expect(await store.aliasByFactors(UP, "ua")).toBeUndefined();
  });

  it("the ACL cache key follows the identity's content, not unrelated changes", async () => {
    const { store } = newStore();
    const e = (await writeEntity(store, { name: "e", metadata: { team: "blue" } })).entity;
    const k1 = (await resolveIdentity(store, e.id))?.cacheKey;
    await writeEntity(store, { name: "someone-else" });
    expect((await resolveIdentity(store, e.id))?.cacheKey).toBe(k1);
    await writeEntity(store, { id: e.id, metadata: { team: "red" } });
    expect((await resolveIdentity(store, e.id))?.cacheKey).not.toBe(k1);
  });
});
