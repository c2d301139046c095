/**
 * `identity/entity`, `entity/id/:id`, `entity/name/:name`, their lists, `entity/merge`,
 * `entity/batch-delete`, and `identity/entity-alias`, `entity-alias/id/:id` and its list.
 */
import { badRequest, notFound } from "../../framework/errors.js";
import type { Fields, FieldSchemas } from "../../framework/fields.js";
import { definePath, type PathDef, type Response } from "../../framework/types.js";
import { deleteAlias, deleteEntity, mergeEntities, writeAlias, writeEntity, type EntityInput } from "./entities.js";
import { aliasData, aliasKeyInfo, entityData, entityKeyInfo } from "./format.js";
import {
  BATCH_DELETE_HELP,
  ENTITY_ALIAS_BY_ID_HELP,
  ENTITY_ALIAS_HELP,
  ENTITY_ALIAS_LIST_HELP,
  ENTITY_BY_ID_HELP,
  ENTITY_BY_NAME_HELP,
  ENTITY_HELP,
  ENTITY_LIST_HELP,
  MERGE_HELP,
} from "./paths-help.js";
import { groupsOfEntity } from "./resolve.js";
import type { IdentityStore } from "./store.js";
import type { EntityRecord, MountLookup } from "./types.js";

export interface IdentityDeps {
  readonly store: IdentityStore;
  readonly mounts: MountLookup;
}

const entityFields = {
  id: { type: "string", description: "ID of the entity to update; without it, name picks the entity." },
  name: { type: "string", description: "Name of the entity; a new entity without one is named entity_<8 hex digits>." },
  metadata: { type: "string-map", description: "Metadata, as an object or key=value pairs; replaces the old metadata." },
  policies: { type: "comma-strings", description: "Policies added to the entity's tokens; replaces the old list." },
  disabled: { type: "bool", description: "Refuse the entity's tokens and logins (nothing is revoked)." },
} as const satisfies FieldSchemas;

/** The same fields where the URL names the entity. */
const entityByIdFields = {
  ...entityFields,
  id: { type: "string", description: "ID of the entity, from the URL." },
  name: { type: "string", description: "New name of the entity (renames it)." },
} as const satisfies FieldSchemas;
const entityByNameFields = {
  ...entityFields,
  id: { type: "string", description: "Ignored: the URL's name picks the entity." },
  name: { type: "string", description: "Name of the entity, from the URL." },
} as const satisfies FieldSchemas;

function entityInput(f: Fields<typeof entityFields>): EntityInput {
  const input: EntityInput = { name: f.values.name };
  if (f.values.id !== "") input.id = f.values.id;
  const policies = f.getOk("policies");
  if (policies) input.policies = policies;
  const metadata = f.getOk("metadata");
  if (metadata) input.metadata = metadata;
  const disabled = f.getOk("disabled");
  if (disabled !== undefined) input.disabled = disabled;
  return input;
}

async function writeEntityResponse(deps: IdentityDeps, input: EntityInput): Promise<Response | undefined> {
  const { entity, created } = await writeEntity(deps.store, input);
  // An update answers 204, as Vault does; a creation its id and name.
  if (!created) return undefined;
  return { data: { id: entity.id, name: entity.name, aliases: entity.aliases.length > 0 ? entity.aliases.map((a) => a.id) : null } };
}

export async function readEntityResponse(deps: IdentityDeps, entity: EntityRecord | undefined): Promise<Response> {
  if (!entity) throw notFound();
  return { data: entityData(entity, await groupsOfEntity(deps.store, entity.id), deps.mounts) };
}

async function listEntities(deps: IdentityDeps, byId: boolean): Promise<Response> {
  const keys: string[] = [];
  const keyInfo: Record<string, unknown> = {};
  for (const id of await deps.store.entityIds()) {
    const e = await deps.store.entity(id);
    if (!e) continue;
    keys.push(byId ? e.id : e.name);
    keyInfo[e.id] = entityKeyInfo(e, deps.mounts);
  }
  if (keys.length === 0) throw notFound();
  return { data: { keys: byId ? keys : keys.sort(), key_info: keyInfo } };
}

const aliasFields = {
  id: { type: "string", description: "ID of the alias to update; without it, mount_accessor and name pick the alias." },
  name: { type: "string", description: "Name of the alias: the user's name in the auth method (a userpass username, say)." },
  canonical_id: { type: "string", description: "ID of the entity the alias belongs to; a different one moves the alias there." },
  entity_id: { type: "string", description: "Older name of canonical_id, used when canonical_id is not sent." },
  mount_accessor: { type: "string", description: "Accessor of the auth mount the alias belongs to (sys/auth lists them)." },
  custom_metadata: { type: "string-map", description: "Your own key-value pairs on the alias (up to 64); replaces the old ones." },
} as const satisfies FieldSchemas;

const aliasByIdFields = { ...aliasFields, id: { type: "string", description: "ID of the alias, from the URL." } } as const satisfies FieldSchemas;

async function writeAliasResponse(deps: IdentityDeps, f: Fields<typeof aliasFields>): Promise<Response | undefined> {
  const v = f.values;
  const customMetadata = f.getOk("custom_metadata");
  const result = await writeAlias(deps.store, deps.mounts, {
    ...(v.id !== "" ? { id: v.id } : {}),
    name: v.name,
    mountAccessor: v.mount_accessor,
    canonicalId: v.canonical_id !== "" ? v.canonical_id : v.entity_id,
    ...(customMetadata ? { customMetadata } : {}),
  });
  return result ? { data: { id: result.id, canonical_id: result.canonicalId } } : undefined;
}

async function listAliases(deps: IdentityDeps): Promise<Response> {
  const keys: string[] = [];
  const keyInfo: Record<string, unknown> = {};
  for (const id of await deps.store.entityIds()) {
    for (const a of (await deps.store.entity(id))?.aliases ?? []) {
      keys.push(a.id);
      keyInfo[a.id] = aliasKeyInfo(a, deps.mounts);
    }
  }
  if (keys.length === 0) throw notFound();
  return { data: { keys: keys.sort(), key_info: keyInfo } };
}

export function entityPaths(deps: IdentityDeps): PathDef[] {
  const { store } = deps;
  return [
    definePath({
      pattern: "entity",
      fields: entityFields,
      operations: { update: (_req, f) => writeEntityResponse(deps, entityInput(f)) },
      help: ENTITY_HELP,
    }),
    definePath({
      pattern: "entity/id/",
      operations: { list: () => listEntities(deps, true) },
      help: ENTITY_LIST_HELP("id"),
    }),
    definePath({
      pattern: "entity/id/:id",
      fields: entityByIdFields,
      operations: {
        read: async (_req, f) => readEntityResponse(deps, await store.entity(f.values.id)),
        update: (_req, f) => writeEntityResponse(deps, entityInput(f)),
        delete: async (_req, f) => {
          const e = await store.entity(f.values.id);
          if (e) await deleteEntity(store, e);
          return undefined;
        },
      },
      help: ENTITY_BY_ID_HELP,
    }),
    definePath({
      pattern: "entity/name/",
      operations: { list: () => listEntities(deps, false) },
      help: ENTITY_LIST_HELP("name"),
    }),
    definePath({
      pattern: "entity/name/*name",
      fields: entityByNameFields,
      operations: {
        read: async (_req, f) => readEntityResponse(deps, await store.entityByName(f.values.name)),
        // The URL's name picks the entity, created if absent; an `id` in the body is ignored.
        update: (_req, f) => {
          const { id: _ignored, ...input } = entityInput(f);
          return writeEntityResponse(deps, input);
        },
        delete: async (_req, f) => {
          const e = await store.entityByName(f.values.name);
          if (e) await deleteEntity(store, e);
          return undefined;
        },
      },
      help: ENTITY_BY_NAME_HELP,
    }),
    definePath({
      pattern: "entity/merge",
      fields: {
        from_entity_ids: { type: "comma-strings", description: "IDs of the entities to merge into to_entity_id; they are deleted." },
        to_entity_id: { type: "string", description: "ID of the entity the others are merged into." },
        conflicting_alias_ids_to_keep: {
          type: "comma-strings",
          description: "Where both entities have an alias on one mount, the id of the alias to keep.",
        },
        force: { type: "bool", description: "Accepted and ignored: Mayfly keeps no MFA secrets to merge." },
      },
      operations: {
        update: async (_req, f) => {
          await mergeEntities(store, {
            toEntityId: f.values.to_entity_id,
            fromEntityIds: f.values.from_entity_ids,
            conflictingAliasIdsToKeep: f.values.conflicting_alias_ids_to_keep,
          });
          return undefined;
        },
      },
      help: MERGE_HELP,
    }),
    definePath({
      pattern: "entity/batch-delete",
      fields: { entity_ids: { type: "comma-strings", description: "IDs of the entities to delete." } },
      operations: {
        update: async (_req, f) => {
          if (f.values.entity_ids.length === 0) throw badRequest("missing entity ids to delete");
          for (const id of f.values.entity_ids) {
            const e = await store.entity(id);
            if (e) await deleteEntity(store, e);
          }
          return undefined;
        },
      },
      help: BATCH_DELETE_HELP,
    }),
    definePath({
      pattern: "entity-alias",
      fields: aliasFields,
      operations: { update: (_req, f) => writeAliasResponse(deps, f) },
      help: ENTITY_ALIAS_HELP,
    }),
    definePath({
      pattern: "entity-alias/id/",
      operations: { list: () => listAliases(deps) },
      help: ENTITY_ALIAS_LIST_HELP,
    }),
    definePath({
      pattern: "entity-alias/id/:id",
      fields: aliasByIdFields,
      operations: {
        read: async (_req, f) => {
          const found = await store.aliasById(f.values.id);
          if (!found) throw notFound();
          return { data: aliasData(found.alias, deps.mounts) };
        },
        update: (_req, f) => writeAliasResponse(deps, f),
        delete: async (_req, f) => {
          await deleteAlias(store, f.values.id);
          return undefined;
        },
      },
      help: ENTITY_ALIAS_BY_ID_HELP,
    }),
  ];
}
