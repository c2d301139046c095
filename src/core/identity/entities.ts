/**
 * Entities and their aliases: the rules of Vault's identity store for creating, updating,
 * deleting and merging them, and the find-or-create a login runs. Every change goes through
 * `store.change`, so they run one at a time.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { badRequest } from "../../framework/errors.js";
import type { IdentityStore } from "./store.js";
import { checkCustomMetadata, checkMetadata, containsRoot, equalMaps, removeDuplicates } from "./sanitize.js";
import type { AliasRecord, EntityRecord, GroupRecord, LoginAlias, MountLookup, StringMap } from "./types.js";

/** Vault names unnamed entities and groups `<type>_<8 hex digits>`. */
export async function generateName(kind: "entity" | "group", taken: (name: string) => Promise<unknown>): Promise<string> {
  for (;;) {
    const name = `${kind}_${randomBytes(4).toString("hex")}`;
    if (!(await taken(name))) return name;
  }
}

async function newEntity(store: IdentityStore, name = ""): Promise<EntityRecord> {
  const nowMs = store.nowMs();
  return {
    id: randomUUID(),
    name: name !== "" ? name : await generateName("entity", (n) => store.entityByName(n)),
    metadata: null,
    policies: [],
    disabled: false,
    aliases: [],
    mergedEntityIds: null,
    creationTimeMs: nowMs,
    lastUpdateTimeMs: nowMs,
  };
}

export interface EntityInput {
  /** From the body (`identity/entity`) or the URL (`entity/id/:id`): the entity must exist. */
  id?: string;
  name?: string;
  policies?: readonly string[];
  metadata?: StringMap;
  disabled?: boolean;
}

/**
 * Vault's handleEntityUpdateCommon: by id (must exist), else by name (created when
 * absent), else a new entity. Returns the entity and whether it was created.
 */
export function writeEntity(store: IdentityStore, input: EntityInput): Promise<{ entity: EntityRecord; created: boolean }> {
  return store.change(async () => {
    let prev: EntityRecord | undefined;
    if (input.id) {
      prev = await store.entity(input.id);
      if (!prev) throw badRequest("entity not found from id");
    }
    const name = input.name ?? "";
    if (name !== "") {
      const byName = await store.entityByName(name);
      if (byName && !prev) prev = byName;
      else if (byName && prev && byName.id !== prev.id) throw badRequest("entity name is already in use");
    }
    const next: EntityRecord = prev ? structuredClone(prev) : await newEntity(store, name);
    if (name !== "") next.name = name;
    if (input.policies) next.policies = removeDuplicates(input.policies);
    if (containsRoot(next.policies)) throw badRequest("policies cannot contain root");
    if (input.disabled !== undefined) next.disabled = input.disabled;
    if (input.metadata) {
      checkMetadata("entity", input.metadata);
      next.metadata = { ...input.metadata };
    }
    if (prev) next.lastUpdateTimeMs = store.nowMs();
    await store.commit(store.entityOps(prev, next));
    return { entity: next, created: !prev };
  });
}

/** Deletes the entity and its aliases and takes it out of its groups. */
export function deleteEntity(store: IdentityStore, entity: EntityRecord): Promise<void> {
  return store.change(async () => {
    const current = await store.entity(entity.id);
    if (!current) return;
    const groups: GroupChanges = new Map();
    await moveMembership(store, groups, current.id);
    await store.commit(...groupOps(store, groups), store.entityOps(current, undefined));
  });
}

/** Groups being rewritten in one change, by id: as stored, and as they will be. */
type GroupChanges = Map<string, { prev: GroupRecord; next: GroupRecord }>;

/** Takes an entity out of every group listing it, putting `replacement` in its place if given. */
async function moveMembership(store: IdentityStore, groups: GroupChanges, entityId: string, replacement?: string): Promise<void> {
  for (const gid of await store.directGroupIds(entityId)) {
    let change = groups.get(gid);
    if (!change) {
      const prev = await store.group(gid);
      if (!prev) continue;
      change = { prev, next: { ...structuredClone(prev), modifyIndex: prev.modifyIndex + 1, lastUpdateTimeMs: store.nowMs() } };
      groups.set(gid, change);
    }
    const members = (change.next.memberEntityIds ?? []).filter((e) => e !== entityId);
    if (replacement !== undefined) members.push(replacement);
    change.next.memberEntityIds = removeDuplicates(members);
  }
}

function groupOps(store: IdentityStore, groups: GroupChanges) {
  return [...groups.values()].map(({ prev, next }) => store.groupOps(prev, next));
}

export interface AliasInput {
  id?: string;
  name: string;
  mountAccessor: string;
  canonicalId: string;
  /** Undefined when the caller did not send `custom_metadata`. */
  customMetadata?: StringMap;
}

export interface AliasWriteResult {
  id: string;
  canonicalId: string;
}

/**
 * Vault's handleAliasCreateUpdate: an id updates that alias; otherwise mount accessor and
 * name find an alias to update or make a new one, on `canonical_id` or on a new entity.
 * Undefined when nothing changed (204).
 */
export function writeAlias(store: IdentityStore, mounts: MountLookup, input: AliasInput): Promise<AliasWriteResult | undefined> {
  if (input.customMetadata) checkCustomMetadata(input.customMetadata);
  return store.change(async () => {
    let { name, mountAccessor } = input;
    if (input.id) {
      const found = await store.aliasById(input.id);
      if (!found) throw badRequest("invalid alias ID provided");
      if (mountAccessor === "" && name === "" && input.canonicalId === "" && !input.customMetadata) return undefined;
      if (mountAccessor === "") mountAccessor = found.alias.mountAccessor;
      if (name === "") name = found.alias.name;
      return updateAlias(store, mounts, found, { ...input, name, mountAccessor });
    }
    if (mountAccessor === "" || name === "") throw badRequest("'id' or 'mount_accessor' and 'name' must be provided");
    if (!mounts(mountAccessor)) throw badRequest(`invalid mount accessor ${JSON.stringify(mountAccessor)}`);
    const existing = await store.aliasByFactors(mountAccessor, name);
    if (existing) return updateAlias(store, mounts, existing, input);
    return createAlias(store, input);
  });
}

async function createAlias(store: IdentityStore, input: AliasInput): Promise<AliasWriteResult> {
  let prev: EntityRecord | undefined;
  if (input.canonicalId !== "") {
    prev = await store.entity(input.canonicalId);
    if (!prev) throw badRequest("invalid canonical ID");
  }
  const entity = prev ? structuredClone(prev) : await newEntity(store);
  if (entity.aliases.some((a) => a.mountAccessor === input.mountAccessor)) {
    throw badRequest("Alias already exists for requested entity and mount accessor");
  }
  const alias = newAlias(store, entity.id, input.mountAccessor, input.name, null, input.customMetadata ?? {});
  entity.aliases.push(alias);
  if (prev) entity.lastUpdateTimeMs = store.nowMs();
  await store.commit(store.entityOps(prev, entity));
  return { id: alias.id, canonicalId: entity.id };
}

function newAlias(store: IdentityStore, canonicalId: string, mountAccessor: string, name: string, metadata: StringMap | null, customMetadata: StringMap | null): AliasRecord {
  const nowMs = store.nowMs();
  return {
    id: randomUUID(),
    canonicalId,
    mountAccessor,
    name,
    metadata,
    customMetadata,
    mergedFromCanonicalIds: null,
    creationTimeMs: nowMs,
    lastUpdateTimeMs: nowMs,
  };
}

/** Vault's handleAliasUpdate: rename, move to another mount, change custom metadata, or move to another entity. */
async function updateAlias(
  store: IdentityStore,
  mounts: MountLookup,
  found: { alias: AliasRecord; entity: EntityRecord },
  input: AliasInput,
): Promise<AliasWriteResult | undefined> {
  const { alias, entity: current } = found;
  const customMetadata = input.customMetadata ?? alias.customMetadata;
  const moving = input.canonicalId !== "" && input.canonicalId !== alias.canonicalId;
  if (input.name === alias.name && input.mountAccessor === alias.mountAccessor && !moving && equalMaps(customMetadata, alias.customMetadata)) {
    return undefined;
  }
  if (input.mountAccessor !== alias.mountAccessor && !moving && current.aliases.some((a) => a.mountAccessor === input.mountAccessor)) {
    throw badRequest("Alias cannot be updated as the entity already has an alias for the given 'mount_accessor' ");
  }
  const updated: AliasRecord = { ...alias, customMetadata, lastUpdateTimeMs: store.nowMs() };
  if (input.name !== alias.name || input.mountAccessor !== alias.mountAccessor) {
    if (!mounts(input.mountAccessor)) throw badRequest(`invalid mount accessor ${JSON.stringify(input.mountAccessor)}`);
    const clash = await store.aliasByFactors(input.mountAccessor, input.name);
    if (clash && clash.alias.id !== alias.id) throw badRequest("alias with combination of mount accessor and name already exists");
    updated.name = input.name;
    updated.mountAccessor = input.mountAccessor;
  }
  const from = structuredClone(current);
  if (!moving) {
    from.aliases = from.aliases.map((a) => (a.id === alias.id ? updated : a));
    await store.commit(store.entityOps(current, from));
    return { id: alias.id, canonicalId: current.id };
  }
  const target = await store.entity(input.canonicalId);
  if (!target) throw badRequest("given 'canonical_id' is not associated with an entity");
  if (target.aliases.some((a) => a.mountAccessor === updated.mountAccessor)) {
    throw badRequest("Alias cannot be updated as the given entity already has an alias for this mount ");
  }
  const to = structuredClone(target);
  updated.canonicalId = to.id;
  to.aliases.push(updated);
  from.aliases = from.aliases.filter((a) => a.id !== alias.id);
  await store.commit(store.entityOps(current, from), store.entityOps(target, to));
  return { id: alias.id, canonicalId: to.id };
}

export function deleteAlias(store: IdentityStore, aliasId: string): Promise<void> {
  return store.change(async () => {
    const found = await store.aliasById(aliasId);
    if (!found) return;
    const next = structuredClone(found.entity);
    next.aliases = next.aliases.filter((a) => a.id !== aliasId);
    await store.commit(store.entityOps(found.entity, next));
  });
}

/**
 * The entity a login speaks for: the one holding the alias (mount accessor, name), or a new
 * entity made for it, as Vault's CreateOrFetchEntity. The alias's metadata follows what
 * the auth method reports.
 */
export async function entityForLogin(store: IdentityStore, login: LoginAlias): Promise<EntityRecord> {
  const metadata = login.metadata && Object.keys(login.metadata).length > 0 ? { ...login.metadata } : null;
  const known = await store.aliasByFactors(login.mountAccessor, login.name);
  if (known && equalMaps(known.alias.metadata, metadata)) return known.entity;
  return store.change(async () => {
    const found = await store.aliasByFactors(login.mountAccessor, login.name);
    if (found) {
      if (equalMaps(found.alias.metadata, metadata)) return found.entity;
      const next = structuredClone(found.entity);
      next.aliases = next.aliases.map((a) => (a.id === found.alias.id ? { ...a, metadata, lastUpdateTimeMs: store.nowMs() } : a));
      await store.commit(store.entityOps(found.entity, next));
      return next;
    }
    const entity = await newEntity(store);
    entity.aliases.push(newAlias(store, entity.id, login.mountAccessor, login.name, metadata, null));
    await store.commit(store.entityOps(undefined, entity));
    return entity;
  });
}

export interface MergeInput {
  toEntityId: string;
  fromEntityIds: readonly string[];
  conflictingAliasIdsToKeep: readonly string[];
}

/**
 * Vault's entity merge: the aliases of each `from` entity move to `to` (on a mount both
 * have an alias for, the one named in `conflicting_alias_ids_to_keep` stays), `from`'s
 * group memberships pass to `to`, and `from` is deleted; its tokens then act as `to`.
 * Policies are not merged, as in Vault's API.
 */
export function mergeEntities(store: IdentityStore, input: MergeInput): Promise<void> {
  return store.change(async () => {
    if (input.toEntityId === "") throw badRequest("missing entity id to merge to");
    if (input.fromEntityIds.length === 0) throw badRequest("missing entity ids to merge from");
    const toPrev = await store.entity(input.toEntityId);
    if (!toPrev) throw badRequest("entity id to merge to is invalid");
    if (input.fromEntityIds.length > 1 && input.conflictingAliasIdsToKeep.length > 1) {
      throw badRequest("aliases conflicts cannot be resolved with multiple from entity ids - merge one entity at a time");
    }
    const fromIds = removeDuplicates(input.fromEntityIds);
    const froms: EntityRecord[] = [];
    for (const id of fromIds) {
      if (id === toPrev.id) throw badRequest("to_entity_id should not be present in from_entity_ids");
      const e = await store.entity(id);
      if (!e) throw badRequest("entity id to merge from is invalid");
      froms.push(e);
    }
    const keep = new Set(input.conflictingAliasIdsToKeep);
    if (keep.size === 0) {
      const clashes: string[] = [];
      for (const f of froms) {
        for (const fa of f.aliases) {
          const ta = toPrev.aliases.find((a) => a.mountAccessor === fa.mountAccessor);
          if (ta) clashes.push(`mountAccessor: ${fa.mountAccessor}, toEntity ID: ${toPrev.id}, fromEntity ID: ${f.id}, conflicting toEntity alias ID: ${ta.id}, conflicting fromEntity alias ID: ${fa.id}`);
        }
      }
      if (clashes.length > 0) {
        throw badRequest(`toEntity and at least one fromEntity have aliases with the same mount accessor, repeat the merge request specifying exactly one fromEntity, clashes: ${clashes.join("; ")}`);
      }
    }
    const to = structuredClone(toPrev);
    const groups: GroupChanges = new Map();
    const removed = [];
    for (const f of froms) {
      for (const fa of f.aliases) {
        const ta = to.aliases.find((a) => a.mountAccessor === fa.mountAccessor);
        if (ta) {
          if (keep.has(ta.id)) continue;
          if (!keep.has(fa.id)) {
            throw badRequest(`conflicting mount accessors in following alias IDs and neither were present in conflicting_alias_ids_to_keep: ${fa.id}, ${ta.id}`);
          }
          to.aliases = to.aliases.filter((a) => a.id !== ta.id);
        }
        to.aliases.push({ ...fa, canonicalId: to.id, mergedFromCanonicalIds: [...(fa.mergedFromCanonicalIds ?? []), f.id] });
      }
      to.mergedEntityIds = [...(to.mergedEntityIds ?? []), ...(f.mergedEntityIds ?? []), f.id];
      await moveMembership(store, groups, f.id, to.id);
      removed.push(store.entityOps(f, undefined));
    }
    to.lastUpdateTimeMs = store.nowMs();
    await store.commit(...groupOps(store, groups), ...removed, store.entityOps(toPrev, to));
  });
}
