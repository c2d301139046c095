/**
 * Groups and group aliases, by Vault's rules: internal groups list their member entities
 * and member groups; external groups get members from an auth method through their alias.
 * A group's member groups are stored as the members' `parent_group_ids`, as in Vault.
 */
import { randomUUID } from "node:crypto";
import { badRequest } from "../../framework/errors.js";
import { generateName } from "./entities.js";
import { checkMetadata, containsRoot, groupPolicies, removeDuplicates } from "./sanitize.js";
import type { IdentityStore } from "./store.js";
import type { AliasRecord, GroupRecord, GroupType, MountLookup, StringMap } from "./types.js";

export interface GroupInput {
  name?: string;
  type?: string;
  policies?: readonly string[];
  metadata?: StringMap;
  memberEntityIds?: readonly string[];
  /** Undefined leaves member groups as they are; [] removes them all. */
  memberGroupIds?: readonly string[];
}

/** How a write names its group: Vault's `group` (id, else name, else new), `group/id/:id`, `group/name/:name`. */
export type GroupTarget = { by: "id"; id: string } | { by: "name"; name: string } | { by: "new" };

/**
 * Vault's handleGroupUpdateCommon. Returns the group and whether it was created (the API
 * answers the new group's id and name, and 204 for an update).
 */
/** A group as first written: no members, policies, metadata or alias yet. */
function newGroup(name: string, type: GroupType, nowMs: number): GroupRecord {
  return {
    id: randomUUID(),
    name,
    type,
    policies: null,
    metadata: null,
    memberEntityIds: null,
    parentGroupIds: null,
    alias: null,
    modifyIndex: 0,
    creationTimeMs: nowMs,
    lastUpdateTimeMs: nowMs,
  };
}

export function writeGroup(store: IdentityStore, target: GroupTarget, input: GroupInput): Promise<{ group: GroupRecord; created: boolean }> {
  return store.change(async () => {
    let prev: GroupRecord | undefined;
    if (target.by === "id") {
      prev = await store.group(target.id);
      if (!prev) throw badRequest("invalid group ID");
    } else if (target.by === "name") {
      prev = await store.groupByName(target.name);
    }
    const nowMs = store.nowMs();
    const next: GroupRecord = prev
      ? { ...structuredClone(prev), lastUpdateTimeMs: nowMs }
      : newGroup("", "internal", nowMs);
    if (input.policies) next.policies = groupPolicies(input.policies);
    if (containsRoot(next.policies ?? [])) throw badRequest("policies cannot contain root");
    if (input.type !== undefined && input.type !== "") {
      if (prev && input.type !== prev.type) throw badRequest("group type cannot be changed");
      if (input.type !== "internal" && input.type !== "external") throw badRequest(`invalid group type ${JSON.stringify(input.type)}`);
      next.type = input.type as GroupType;
    }
    const name = input.name ?? "";
    if (name !== "") {
      const byName = await store.groupByName(name);
      if (byName && byName.id !== next.id) throw badRequest("group name is already in use");
      next.name = name;
    }
    if (next.name === "") next.name = await generateName("group", (n) => store.groupByName(n));
    if (input.metadata) {
      checkMetadata("group", input.metadata);
      next.metadata = { ...input.metadata };
    }
    if (input.memberEntityIds) {
      if (next.type === "external") throw badRequest("member entities can't be set manually for external groups");
      next.memberEntityIds = removeDuplicates(input.memberEntityIds);
      for (const id of next.memberEntityIds) {
        // Vault reports this as a 500; it is the caller's mistake.
        if (!(await store.entity(id))) throw badRequest(`invalid entity ID ${JSON.stringify(id)}`);
      }
    }
    const memberChanges = input.memberGroupIds === undefined ? [] : await memberGroupChanges(store, next, !prev, input.memberGroupIds);
    next.modifyIndex++;
    await store.commit(...memberChanges, store.groupOps(prev, next));
    return { group: next, created: !prev };
  });
}

/** Sets the member groups of `group`: each member gains or loses `group` among its parents. */
async function memberGroupChanges(store: IdentityStore, group: GroupRecord, isNew: boolean, wanted: readonly string[]) {
  if (group.type === "external") throw badRequest("member groups can't be set for external groups");
  const ids = removeDuplicates(wanted);
  const ops = [];
  const nowMs = store.nowMs();
  for (const currentId of isNew ? [] : await store.memberGroupIds(group.id)) {
    if (ids.includes(currentId)) continue;
    const member = await store.group(currentId);
    if (!member) continue;
    const parents = (member.parentGroupIds ?? []).filter((p) => p !== group.id);
    ops.push(store.groupOps(member, { ...member, parentGroupIds: parents, modifyIndex: member.modifyIndex + 1, lastUpdateTimeMs: nowMs }));
  }
  for (const id of ids) {
    const member = await store.group(id);
    if (!member) throw badRequest(`invalid member group ID ${JSON.stringify(id)}`);
    if (member.parentGroupIds?.includes(group.id)) continue;
    if (id === group.id) throw badRequest(`member group ID ${JSON.stringify(id)} is same as the ID of the group`);
    // `group` inside `member` already (at any depth): adding `member` to `group` closes a loop.
    if (!isNew && (await isMemberOf(store, group.id, id))) throw badRequest(`cyclic relationship detected for member group ID ${JSON.stringify(id)}`);
    ops.push(store.groupOps(member, { ...member, parentGroupIds: [...(member.parentGroupIds ?? []), group.id], modifyIndex: member.modifyIndex + 1, lastUpdateTimeMs: nowMs }));
  }
  return ops;
}

/** Whether `groupId` is among the member groups of `ancestorId`, at any depth. */
async function isMemberOf(store: IdentityStore, groupId: string, ancestorId: string): Promise<boolean> {
  const seen = new Set<string>([ancestorId]);
  let frontier = [ancestorId];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const child of await store.memberGroupIds(id)) {
        if (child === groupId) return true;
        if (!seen.has(child)) {
          seen.add(child);
          next.push(child);
        }
      }
    }
    frontier = next;
  }
  return false;
}

/** Deletes the group (and its alias); its member groups lose it as a parent. */
export function deleteGroup(store: IdentityStore, group: GroupRecord): Promise<void> {
  return store.change(async () => {
    const current = await store.group(group.id);
    if (!current) return;
    const ops = [];
    for (const childId of await store.memberGroupIds(current.id)) {
      const child = await store.group(childId);
      if (!child) continue;
      ops.push(store.groupOps(child, { ...child, parentGroupIds: (child.parentGroupIds ?? []).filter((p) => p !== current.id) }));
    }
    await store.commit(...ops, store.groupOps(current, undefined));
  });
}

export interface GroupAliasInput {
  id?: string;
  name: string;
  mountAccessor: string;
  canonicalId: string;
}

/**
 * A group alias ties an external group to a group name an auth method reports. Without
 * `canonical_id` a new external group is made for it, as in Vault.
 */
export function writeGroupAlias(store: IdentityStore, mounts: MountLookup, input: GroupAliasInput): Promise<{ id: string; canonicalId: string }> {
  return store.change(async () => {
    const existing = input.id ? await store.groupAliasById(input.id) : undefined;
    if (input.id && !existing) throw badRequest("invalid group alias ID");
    const name = input.name !== "" ? input.name : (existing?.alias.name ?? "");
    const mountAccessor = input.mountAccessor !== "" ? input.mountAccessor : (existing?.alias.mountAccessor ?? "");
    if (name === "") throw badRequest("missing alias name");
    if (mountAccessor === "") throw badRequest("missing mount_accessor");
    if (!mounts(mountAccessor)) throw badRequest(`invalid mount accessor ${JSON.stringify(mountAccessor)}`);
    const clash = await store.groupAliasByFactors(mountAccessor, name);
    if (clash && clash.alias.id !== existing?.alias.id) throw badRequest("combination of mount and group alias name is already in use");

    const nowMs = store.nowMs();
    const canonicalId = input.canonicalId !== "" ? input.canonicalId : (existing?.group.id ?? "");
    let target: GroupRecord | undefined;
    if (canonicalId !== "") {
      target = canonicalId === existing?.group.id ? existing.group : await store.group(canonicalId);
      if (!target) throw badRequest("invalid group ID given in 'canonical_id'");
      if (target.type !== "external") throw badRequest("alias can't be set on an internal group");
      if (target.alias && target.alias.id !== existing?.alias.id) throw badRequest("group already has an alias");
    }
    const alias: AliasRecord = existing
      ? { ...existing.alias, name, mountAccessor, lastUpdateTimeMs: nowMs }
      : { id: randomUUID(), canonicalId: "", mountAccessor, name, metadata: null, customMetadata: null, mergedFromCanonicalIds: null, creationTimeMs: nowMs, lastUpdateTimeMs: nowMs };
    const lists = [];
    if (existing && existing.group.id !== target?.id) {
      lists.push(store.groupOps(existing.group, { ...existing.group, alias: null, modifyIndex: existing.group.modifyIndex + 1 }));
    }
    const group: GroupRecord = target
      ? { ...structuredClone(target), lastUpdateTimeMs: nowMs }
      : newGroup(await generateName("group", (n) => store.groupByName(n)), "external", nowMs);
    group.alias = { ...alias, canonicalId: group.id };
    group.modifyIndex++;
    lists.push(store.groupOps(target, group));
    await store.commit(...lists);
    return { id: alias.id, canonicalId: group.id };
  });
}

export function deleteGroupAlias(store: IdentityStore, aliasId: string): Promise<void> {
  return store.change(async () => {
    const found = await store.groupAliasById(aliasId);
    if (!found) return;
    await store.commit(store.groupOps(found.group, { ...found.group, alias: null, modifyIndex: found.group.modifyIndex + 1 }));
  });
}
