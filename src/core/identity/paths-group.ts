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
import {
  GROUP_ALIAS_BY_ID_HELP,
  GROUP_ALIAS_HELP,
  GROUP_ALIAS_LIST_HELP,
  GROUP_BY_ID_HELP,
  GROUP_BY_NAME_HELP,
  GROUP_HELP,
  GROUP_LIST_HELP,
} from "./paths-help.js";
import type { GroupRecord } from "./types.js";

const groupFields = {
  id: { type: "string", description: "ID of the group to update; without it, name picks the group." },
  type: { type: "string", description: '"internal" (the default: members are listed) or "external" (members come through its alias); fixed once set.' },
  name: { type: "string", description: "Name of the group; a new group without one is named group_<8 hex digits>." },
  metadata: { type: "string-map", description: "Metadata, as an object or key=value pairs; replaces the old metadata." },
  policies: { type: "comma-strings", description: "Policies added to the tokens of the group's entities; replaces the old list." },
  member_group_ids: { type: "comma-strings", description: "IDs of the groups that are members of this one (internal groups); replaces the old list." },
  member_entity_ids: { type: "comma-strings", description: "IDs of the entities that are members (internal groups); replaces the old list." },
} as const satisfies FieldSchemas;

/** The same fields where the URL names the group. */
const groupByIdFields = {
  ...groupFields,
  id: { type: "string", description: "ID of the group, from the URL." },
  name: { type: "string", description: "New name of the group (renames it)." },
} as const satisfies FieldSchemas;
const groupByNameFields = {
  ...groupFields,
  id: { type: "string", description: "Ignored: the URL's name picks the group." },
  name: { type: "string", description: "Name of the group, from the URL." },
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
  id: { type: "string", description: "ID of the group alias to update; without it, a new alias is made." },
  name: { type: "string", description: "The group's name as the auth method reports it." },
  mount_accessor: { type: "string", description: "Accessor of the auth mount that reports the group (sys/auth lists them)." },
  canonical_id: {
    type: "string",
    description: "ID of the external group the alias belongs to; without it, a new alias gets a new group and an existing one stays.",
  },
} as const satisfies FieldSchemas;

const groupAliasByIdFields = {
  ...groupAliasFields,
  id: { type: "string", description: "ID of the group alias, from the URL." },
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
      help: GROUP_HELP,
    }),
    definePath({ pattern: "group/id/", operations: { list: () => listGroups(deps, true) }, help: GROUP_LIST_HELP("id") }),
    definePath({
      pattern: "group/id/:id",
      fields: groupByIdFields,
      operations: {
        read: async (_req, f) => readGroupResponse(deps, await store.group(f.values.id)),
        update: (_req, f) => writeGroupResponse(deps, { by: "id", id: f.values.id }, groupInput(f)),
        delete: async (_req, f) => {
          const g = await store.group(f.values.id);
          if (g) await deleteGroup(store, g);
          return undefined;
        },
      },
      help: GROUP_BY_ID_HELP,
    }),
    definePath({ pattern: "group/name/", operations: { list: () => listGroups(deps, false) }, help: GROUP_LIST_HELP("name") }),
    definePath({
      pattern: "group/name/*name",
      fields: groupByNameFields,
      operations: {
        read: async (_req, f) => readGroupResponse(deps, await store.groupByName(f.values.name)),
        update: (_req, f) => writeGroupResponse(deps, { by: "name", name: f.values.name }, groupInput(f)),
        delete: async (_req, f) => {
          const g = await store.groupByName(f.values.name);
          if (g) await deleteGroup(store, g);
          return undefined;
        },
      },
      help: GROUP_BY_NAME_HELP,
    }),
    definePath({
      pattern: "group-alias",
      fields: groupAliasFields,
      operations: { update: (_req, f) => writeGroupAliasResponse(deps, f) },
      help: GROUP_ALIAS_HELP,
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
      help: GROUP_ALIAS_LIST_HELP,
    }),
    definePath({
      pattern: "group-alias/id/:id",
      fields: groupAliasByIdFields,
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
      help: GROUP_ALIAS_BY_ID_HELP,
    }),
  ];
}
