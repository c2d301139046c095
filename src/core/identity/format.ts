/** The identity store's records as Vault's API shows them. */
import { rfc3339Nano } from "../wrapping/format.js";
import type { AliasRecord, EntityRecord, GroupRecord, MountLookup } from "./types.js";

const ROOT_NAMESPACE_ID = "root";

function mountFields(mounts: MountLookup, accessor: string): Record<string, unknown> {
  const m = mounts(accessor);
  return m ? { mount_type: m.type, mount_path: m.path } : {};
}

/** An alias as `identity/entity-alias/id/:id` and `identity/group-alias/id/:id` show it. */
export function aliasData(a: AliasRecord, mounts: MountLookup): Record<string, unknown> {
  return {
    id: a.id,
    canonical_id: a.canonicalId,
    mount_accessor: a.mountAccessor,
    metadata: a.metadata,
    custom_metadata: a.customMetadata,
    name: a.name,
    merged_from_canonical_ids: a.mergedFromCanonicalIds,
    creation_time: rfc3339Nano(a.creationTimeMs),
    last_update_time: rfc3339Nano(a.lastUpdateTimeMs),
    local: false,
    namespace_id: ROOT_NAMESPACE_ID,
    ...mountFields(mounts, a.mountAccessor),
  };
}

export function entityData(
  e: EntityRecord,
  groups: { direct: readonly GroupRecord[]; inherited: readonly GroupRecord[] },
  mounts: MountLookup,
): Record<string, unknown> {
  const direct = groups.direct.map((g) => g.id);
  const inherited = groups.inherited.map((g) => g.id);
  return {
    id: e.id,
    name: e.name,
    metadata: e.metadata,
    merged_entity_ids: e.mergedEntityIds,
    policies: [...e.policies],
    disabled: e.disabled,
    namespace_id: ROOT_NAMESPACE_ID,
    creation_time: rfc3339Nano(e.creationTimeMs),
    last_update_time: rfc3339Nano(e.lastUpdateTimeMs),
    aliases: e.aliases.map((a) => {
      // An entity read leaves the namespace out of each alias, as Vault does.
      const { namespace_id: _ns, ...rest } = aliasData(a, mounts);
      return rest;
    }),
    direct_group_ids: direct,
    inherited_group_ids: inherited,
    group_ids: [...direct, ...inherited],
  };
}

/** `identity/entity/id` LIST's `key_info` entry. */
export function entityKeyInfo(e: EntityRecord, mounts: MountLookup): Record<string, unknown> {
  const info: Record<string, unknown> = { name: e.name };
  if (e.aliases.length > 0) {
    info.aliases = e.aliases.map((a) => ({ id: a.id, name: a.name, mount_accessor: a.mountAccessor, ...mountFields(mounts, a.mountAccessor) }));
  }
  return info;
}

/** `identity/entity-alias/id` LIST's `key_info` entry. */
export function aliasKeyInfo(a: AliasRecord, mounts: MountLookup): Record<string, unknown> {
  return {
    canonical_id: a.canonicalId,
    custom_metadata: a.customMetadata,
    local: false,
    mount_accessor: a.mountAccessor,
    name: a.name,
    ...mountFields(mounts, a.mountAccessor),
  };
}

export function groupData(g: GroupRecord, memberGroupIds: readonly string[], mounts: MountLookup): Record<string, unknown> {
  let alias: Record<string, unknown> = {};
  if (g.alias) {
    const { namespace_id: _ns, custom_metadata: _c, local: _l, ...rest } = aliasData(g.alias, mounts);
    alias = rest;
  }
  return {
    id: g.id,
    name: g.name,
    policies: g.policies,
    member_entity_ids: g.memberEntityIds,
    parent_group_ids: g.parentGroupIds,
    metadata: g.metadata,
    creation_time: rfc3339Nano(g.creationTimeMs),
    last_update_time: rfc3339Nano(g.lastUpdateTimeMs),
    modify_index: g.modifyIndex,
    type: g.type,
    namespace_id: ROOT_NAMESPACE_ID,
    alias,
    member_group_ids: memberGroupIds.length > 0 ? [...memberGroupIds] : null,
  };
}

/** `identity/group/id` LIST's `key_info` entry. */
export function groupKeyInfo(g: GroupRecord, mounts: MountLookup): Record<string, unknown> {
  const info: Record<string, unknown> = {
    name: g.name,
    num_member_entities: g.memberEntityIds?.length ?? 0,
    num_parent_groups: g.parentGroupIds?.length ?? 0,
  };
  if (g.alias) info.alias = { id: g.alias.id, name: g.alias.name, mount_accessor: g.alias.mountAccessor, ...mountFields(mounts, g.alias.mountAccessor) };
  return info;
}
