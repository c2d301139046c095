/** `identity/lookup/entity` and `identity/lookup/group`. */
import { badRequest } from "../../framework/errors.js";
import type { Fields, FieldSchemas } from "../../framework/fields.js";
import { definePath, type PathDef } from "../../framework/types.js";
import { readEntityResponse, type IdentityDeps } from "./paths-entity.js";
import { readGroupResponse } from "./paths-group.js";
import { LOOKUP_FIELDS, LOOKUP_HELP } from "./paths-help.js";
import type { EntityRecord, GroupRecord } from "./types.js";

/** One set of fields for both lookups; `what` only changes their descriptions. */
function lookupFieldsFor(what: "entity" | "group") {
  const d = LOOKUP_FIELDS(what);
  return {
    id: { type: "string", description: d.id },
    name: { type: "string", description: d.name },
    alias_id: { type: "string", description: d.alias_id },
    alias_name: { type: "string", description: d.alias_name },
    alias_mount_accessor: { type: "string", description: d.alias_mount_accessor },
  } as const satisfies FieldSchemas;
}

type LookupFields = ReturnType<typeof lookupFieldsFor>;

type LookupQuery =
  | { by: "id" | "name" | "alias_id"; value: string }
  | { by: "alias"; name: string; mountAccessor: string };

/** Vault's rule: exactly one criterion, or alias name with alias mount accessor. */
function lookupQuery(f: Fields<LookupFields>): LookupQuery {
  const sent = (["id", "name", "alias_id", "alias_name", "alias_mount_accessor"] as const).filter((k) => f.has(k));
  const v = f.values;
  if (sent.length === 0) throw badRequest("query parameter not supplied");
  if (sent.length === 2 && v.alias_name !== "" && v.alias_mount_accessor !== "") {
    return { by: "alias", name: v.alias_name, mountAccessor: v.alias_mount_accessor };
  }
  if (sent.length !== 1) throw badRequest("query parameter conflict; please supply distinct set of query parameters");
  const only = sent[0] as (typeof sent)[number];
  if (only === "alias_name" || only === "alias_mount_accessor") throw badRequest("both 'alias_name' and 'alias_mount_accessor' needs to be set");
  return { by: only, value: v[only] };
}

export function lookupPaths(deps: IdentityDeps): PathDef[] {
  const { store } = deps;
  return [
    definePath({
      pattern: "lookup/entity",
      fields: lookupFieldsFor("entity"),
      operations: {
        update: async (_req, f) => {
          const q = lookupQuery(f);
          let entity: EntityRecord | undefined;
          if (q.by === "id") entity = await store.entity(q.value);
          else if (q.by === "name") entity = await store.entityByName(q.value);
          else if (q.by === "alias_id") entity = (await store.aliasById(q.value))?.entity;
          else if (q.by === "alias") entity = (await store.aliasByFactors(q.mountAccessor, q.name))?.entity;
          // Nothing found is an empty answer (204), not a 404, as in Vault.
          return entity ? readEntityResponse(deps, entity) : undefined;
        },
      },
      help: LOOKUP_HELP("entity"),
    }),
    definePath({
      pattern: "lookup/group",
      fields: lookupFieldsFor("group"),
      operations: {
        update: async (_req, f) => {
          const q = lookupQuery(f);
          let group: GroupRecord | undefined;
          if (q.by === "id") group = await store.group(q.value);
          else if (q.by === "name") group = await store.groupByName(q.value);
          else if (q.by === "alias_id") group = (await store.groupAliasById(q.value))?.group;
          else if (q.by === "alias") group = (await store.groupAliasByFactors(q.mountAccessor, q.name))?.group;
          return group ? readGroupResponse(deps, group) : undefined;
        },
      },
      help: LOOKUP_HELP("group"),
    }),
  ];
}
