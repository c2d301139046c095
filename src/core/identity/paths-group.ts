/**
 * `identity/group`, `group/id/:id`, `group/name/:name`, their lists; `identity/group-alias`,
 * `group-alias/id/:id` and its list.
 */
import { notFound } from "../../framework/errors.js";
import type { Fields, FieldSchemas } from "../../framework/fields.js";
import { definePath, type PathDef, type Response } from "../../framework/types.js";
import { aliasData, groupData, groupKeyInfo } from "./format.js";
import { deleteGroup, deleteGroupAlias, writeGroup, writeGroupAlias, type GroupInput, type GroupTarget } from "./groups.js";
import type { IdentityDeps } from "./paths-entity.js";
import type { GroupRecord } from "./types.js";

const groupFields = {
  id: { type: "string", description: "ID of the group; when set, that group is updated." },
  type: { type: "string", description: "internal (the default) or external." },
  name: { type: "string", description: "Name of the group." },
  metadata: { type: "string-map", description: "Metadata, as an object or key=value pairs." },
  policies: { type: "comma-strings", description: "Policies tied to the group." },
  member_group_ids: { type: "comma-strings", description: "Groups that are members of this one." },
  member_entity_ids: { type: "comma-strings", description: "Entities that are members of this one." },
} as const satisfies FieldSchemas;

function groupInput(f: Fields<typeof groupFields>): GroupInput {
  const input: GroupInput = { name: f.values.name };
  const type = f.getOk("type");
  if (type !== undefined) input.type = type;
  const policies = f.getOk("policies");
  if (policies) input.policies = policies;
  const metadata = f.getOk("metadata");
  if (metadata) input.metadata = metadata;
  const entities = f.getOk("member_entity_ids");
  if (entities) input.memberEntityIds = entities;
  const groups = f.getOk("member_group_ids");
  if (groups) input.memberGroupIds = groups;
  return input;
}

async function writeGroupResponse(deps: IdentityDeps, target: GroupTarget, input: GroupInput): Promise<Response | undefined> {
  const { group, created } = await writeGroup(deps.store, target, input);
  return created ? { data: { id: group.id, name: group.name } } : undefined;
}

export async function readGroupResponse(deps: IdentityDeps, group: GroupRecord | undefined): Promise<Response> {
  if (!group) throw notFound();
  return { data: groupData(group, await deps.store.memberGroupIds(group.id), deps.mounts) };
}

async function listGroups(deps: IdentityDeps, byId: boolean): Promise<Response> {
  const keys: string[] = [];
  const keyInfo: Record<string, unknown> = {};
  for (const id of await deps.store.groupIds()) {
    const g = await deps.store.group(id);
    if (!g) continue;
    keys.push(byId ? g.id : g.name);
    keyInfo[g.id] = groupKeyInfo(g, deps.mounts);
  }
  if (keys.length === 0) throw notFound();
  return { data: { keys: byId ? keys : keys.sort(), key_info: keyInfo } };
}

const groupAliasFields = {
  id: { type: "string", description: "ID of the group alias; when set, that alias is updated." },
  name: { type: "string", description: "The group's name in the auth method." },
  mount_accessor: { type: "string", description: "Accessor of the auth mount." },
  canonical_id: { type: "string", description: "The external group the alias belongs to." },
} as const satisfies FieldSchemas;

async function writeGroupAliasResponse(deps: IdentityDeps, f: Fields<typeof groupAliasFields>): Promise<Response> {
  const v = f.values;
  const r = await writeGroupAlias(deps.store, deps.mounts, {
    ...(v.id !== "" ? { id: v.id } : {}),
    name: v.name,
    mountAccessor: v.mount_accessor,
    canonicalId: v.canonical_id,
  });
  return { data: { id: r.id, canonical_id: r.canonicalId } };
}

export function groupPaths(deps: IdentityDeps): PathDef[] {
  const { store } = deps;
  return [
    definePath({
      pattern: "group",
      fields: groupFields,
      operations: {
        update: (_req, f) => {
          const target: GroupTarget = f.values.id !== "" ? { by: "id", id: f.values.id } : f.values.name !== "" ? { by: "name", name: f.values.name } : { by: "new" };
          return writeGroupResponse(deps, target, groupInput(f));
        },
      },
      help: "Create a group, or update the one named by id or name.",
    }),
    definePath({ pattern: "group/id/", operations: { list: () => listGroups(deps, true) }, help: "List group ids." }),
    definePath({
      pattern: "group/id/:id",
      fields: groupFields,
      operations: {
        read: async (_req, f) => readGroupResponse(deps, await store.group(f.values.id)),
        update: (_req, f) => writeGroupResponse(deps, { by: "id", id: f.values.id }, groupInput(f)),
        delete: async (_req, f) => {
          const g = await store.group(f.values.id);
          if (g) await deleteGroup(store, g);
          return undefined;
        },
      },
      help: "Read, update or delete a group by id.",
    }),
    definePath({ pattern: "group/name/", operations: { list: () => listGroups(deps, false) }, help: "List group names." }),
    definePath({
      pattern: "group/name/*name",
      fields: groupFields,
      operations: {
        read: async (_req, f) => readGroupResponse(deps, await store.groupByName(f.values.name)),
        update: (_req, f) => writeGroupResponse(deps, { by: "name", name: f.values.name }, groupInput(f)),
        delete: async (_req, f) => {
          const g = await store.groupByName(f.values.name);
          if (g) await deleteGroup(store, g);
          return undefined;
        },
      },
      help: "Read, create or update, or delete a group by name.",
    }),
    definePath({
      pattern: "group-alias",
      fields: groupAliasFields,
      operations: { update: (_req, f) => writeGroupAliasResponse(deps, f) },
      help: "Create a group alias, tying an external group to a group of an auth method.",
    }),
    definePath({
      pattern: "group-alias/id/",
      operations: {
        list: async () => {
          const keys: string[] = [];
          const keyInfo: Record<string, unknown> = {};
          for (const id of await store.groupIds()) {
            const a = (await store.group(id))?.alias;
            if (!a) continue;
            keys.push(a.id);
            const m = deps.mounts(a.mountAccessor);
            keyInfo[a.id] = { canonical_id: a.canonicalId, mount_accessor: a.mountAccessor, name: a.name, ...(m ? { mount_type: m.type, mount_path: m.path } : {}) };
          }
          if (keys.length === 0) throw notFound();
          return { data: { keys: keys.sort(), key_info: keyInfo } };
        },
      },
      help: "List group alias ids.",
    }),
    definePath({
      pattern: "group-alias/id/:id",
      fields: groupAliasFields,
      operations: {
        read: async (_req, f) => {
          const found = await store.groupAliasById(f.values.id);
          if (!found) throw notFound();
          return { data: aliasData(found.alias, deps.mounts) };
        },
        update: (_req, f) => writeGroupAliasResponse(deps, f),
        delete: async (_req, f) => {
          await deleteGroupAlias(store, f.values.id);
          return undefined;
        },
      },
      help: "Read, update or delete a group alias by id.",
    }),
  ];
}
