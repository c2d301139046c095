import { badRequest, notFound } from "../../framework/errors.js";
import type { FieldSchemas, Fields } from "../../framework/fields.js";
import { definePath, type PathDef, type Request, type Response } from "../../framework/types.js";
import {
  applyRoleWrite,
  deleteRole,
  isValidRoleName,
  listRoles,
  readRole,
  roleResponseData,
  writeRole,
  type RoleInput,
} from "./role-model.js";

const roleFields = {
  role_name: { type: "string", required: true },
  allowed_policies: { type: "comma-strings" },
  disallowed_policies: { type: "comma-strings" },
  allowed_policies_glob: { type: "comma-strings" },
  disallowed_policies_glob: { type: "comma-strings" },
  orphan: { type: "bool" },
  renewable: { type: "bool", default: true },
  path_suffix: { type: "string" },
  period: { type: "duration", description: "Deprecated: use token_period." },
  explicit_max_ttl: { type: "duration", description: "Deprecated: use token_explicit_max_ttl." },
  bound_cidrs: { type: "comma-strings", description: "Deprecated: use token_bound_cidrs." },
  allowed_entity_aliases: { type: "comma-strings" },
  token_bound_cidrs: { type: "comma-strings" },
  token_explicit_max_ttl: { type: "duration" },
  token_period: { type: "duration" },
  token_type: { type: "string" },
  token_no_default_policy: { type: "bool" },
  token_num_uses: { type: "int" },
} as const satisfies FieldSchemas;

type RoleFields = Fields<typeof roleFields>;

function roleName(f: RoleFields): string {
  const name = f.values.role_name;
  // Vault's path regex would not match such a name: the path does not exist.
  if (!isValidRoleName(name)) throw notFound("unsupported path");
  return name;
}

function inputOf(f: RoleFields): RoleInput {
  const input: RoleInput = {};
  const keys = [
    "allowed_policies",
    "disallowed_policies",
    "allowed_policies_glob",
    "disallowed_policies_glob",
    "orphan",
    "renewable",
    "path_suffix",
    "period",
    "explicit_max_ttl",
    "bound_cidrs",
    "allowed_entity_aliases",
    "token_bound_cidrs",
    "token_explicit_max_ttl",
    "token_period",
    "token_type",
    "token_no_default_policy",
    "token_num_uses",
  ] as const;
  for (const k of keys) {
    const v = f.getOk(k);
    if (v !== undefined) (input as Record<string, unknown>)[k] = v;
  }
  return input;
}

async function readRoleHandler(req: Request, f: RoleFields): Promise<Response | undefined> {
  const role = await readRole(req.storage, roleName(f));
  if (!role) throw notFound();
  return { data: roleResponseData(role) };
}

async function writeRoleHandler(req: Request, f: RoleFields): Promise<Response | undefined> {
  const name = roleName(f);
  if (name === "") throw badRequest("role name cannot be empty");
  const existing = await readRole(req.storage, name);
  const { role, warnings } = applyRoleWrite(existing, name, inputOf(f), req.mount.maxLeaseTtlSeconds());
  await writeRole(req.storage, role);
  return warnings.length > 0 ? { data: null, warnings } : undefined;
}

async function deleteRoleHandler(req: Request, f: RoleFields): Promise<Response | undefined> {
  await deleteRole(req.storage, roleName(f));
  return undefined;
}

async function listRolesHandler(req: Request): Promise<Response | undefined> {
  const keys = await listRoles(req.storage);
  // Vault answers an empty listing with a bare 404.
  if (keys.length === 0) throw notFound();
  return { data: { keys } };
}

export const rolePaths: readonly PathDef[] = [
  definePath({
    pattern: "roles/",
    operations: { list: listRolesHandler },
    help: "List the token roles.",
  }),
  definePath({
    pattern: "roles/:role_name",
    fields: roleFields,
    operations: { read: readRoleHandler, create: writeRoleHandler, update: writeRoleHandler, delete: deleteRoleHandler },
    existenceCheck: async (req, f) => (await readRole(req.storage, f.values.role_name)) !== undefined,
    help: "Create, read, update and delete token roles.",
  }),
];
