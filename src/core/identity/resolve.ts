/**
 * What a token's entity means at request time: its policies (its own and its groups',
 * nested groups included) and the values templated policies are filled from. Computed once
 * per identity and cached until the next identity change.
 */
import { createHash } from "node:crypto";
import type { PolicyIdentity } from "../policy/template.js";
import type { IdentityStore } from "./store.js";
import type { EntityRecord, GroupRecord, ResolvedIdentity } from "./types.js";

/** The groups an entity is in: listed as a member (direct), and their parents, grandparents... (inherited). */
export async function groupsOfEntity(store: IdentityStore, entityId: string): Promise<{ direct: GroupRecord[]; inherited: GroupRecord[] }> {
  const direct = (await Promise.all((await store.directGroupIds(entityId)).map((id) => store.group(id)))).filter(
    (g): g is GroupRecord => g !== undefined,
  );
  const seen = new Set(direct.map((g) => g.id));
  const inherited: GroupRecord[] = [];
  let frontier = direct;
  while (frontier.length > 0) {
    const parentIds = frontier.flatMap((g) => g.parentGroupIds ?? []).filter((id) => !seen.has(id));
    for (const id of parentIds) seen.add(id);
    const parents = (await Promise.all([...new Set(parentIds)].map((id) => store.group(id)))).filter(
      (g): g is GroupRecord => g !== undefined,
    );
    inherited.push(...parents);
    frontier = parents;
  }
  return { direct, inherited };
}

/** The entity a token names: itself, or the one it was merged into. */
export async function entityForToken(store: IdentityStore, entityId: string): Promise<EntityRecord | undefined> {
  return (await store.entity(entityId)) ?? (await store.entityByMergedId(entityId));
}

/** Undefined when the entity no longer exists (Vault then refuses the token). */
export async function resolveIdentity(store: IdentityStore, entityId: string): Promise<ResolvedIdentity | undefined> {
  const cached = store.cachedResolution(entityId);
  if (cached) return cached;
  const generation = store.currentGeneration;
  const entity = await entityForToken(store, entityId);
  if (!entity) return undefined;
  const { direct, inherited } = await groupsOfEntity(store, entity.id);
  const groups = [...direct, ...inherited];
  const policies = [...new Set([...entity.policies, ...groups.flatMap((g) => g.policies ?? [])])].sort();
  const template = policyIdentityOf(entity, groups);
  const resolved: ResolvedIdentity = {
    entityId,
    disabled: entity.disabled,
    policies,
    entity,
    groups,
    template,
    // The content, not the entity id: ACLs compiled for an identity stay valid across
    // changes that do not touch it.
    cacheKey: createHash("sha256").update(JSON.stringify(template)).digest("base64url"),
  };
  store.cacheResolution(resolved, generation);
  return resolved;
}

/** What templated policy paths may read (`{{identity.entity.name}}`, ...). */
export function policyIdentityOf(entity: EntityRecord, groups: readonly GroupRecord[]): PolicyIdentity {
  return {
    entity: {
      id: entity.id,
      name: entity.name,
      metadata: entity.metadata ?? {},
      aliases: entity.aliases.map((a) => ({
        mountAccessor: a.mountAccessor,
        id: a.id,
        name: a.name,
        metadata: a.metadata ?? {},
        customMetadata: a.customMetadata ?? {},
      })),
    },
    groups: groups.map((g) => ({ id: g.id, name: g.name, metadata: g.metadata ?? {} })),
  };
}
