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
  role_name: {
    type: "string",
    required: true,
    description: 'Name of the role (letters, digits, "_", "-" and "."); create/<role_name> creates tokens against it.',
  },
  allowed_policies: {
    type: "comma-strings",
    description: "Policies tokens of this role may have. A create that names none gets all of them, plus default unless token_no_default_policy is set or the role disallows default.",
  },
  disallowed_policies: {
    type: "comma-strings",
    description: "Policies tokens of this role may never have: a create that would give one is refused. When the role allows no policies explicitly, a create that names none gets the caller's policies.",
  },
  allowed_policies_glob: {
    type: "comma-strings",
    description: "Like allowed_policies, with globs in which * matches anything; a glob only permits a policy that the create names, it never grants one.",
  },
  disallowed_policies_glob: { type: "comma-strings", description: "Like disallowed_policies, with globs in which * matches anything." },
  orphan: {
    type: "bool",
    description: "Make the tokens of this role orphans, which outlive the token that created them (default false); no sudo is needed.",
  },
  renewable: { type: "bool", default: true, description: "Whether tokens of this role may be renewed (default true)." },
  path_suffix: {
    type: "string",
    description: 'Added to the path of the role\'s tokens (auth/token/create/<role>/<suffix>), which lookups show, to tell sets of tokens apart; letters, digits, "_", "-" and "." only.',
  },
  period: { type: "duration", description: "Deprecated: use token_period." },
  explicit_max_ttl: { type: "duration", description: "Deprecated: use token_explicit_max_ttl." },
  bound_cidrs: { type: "comma-strings", description: "Deprecated: use token_bound_cidrs." },
  allowed_entity_aliases: {
    type: "comma-strings",
    description: "Entity alias names a create against this role may pass as entity_alias (globs allowed). A token created with one belongs to the entity holding that alias on the token mount (made on first use).",
  },
  token_bound_cidrs: { type: "comma-strings", description: "Addresses or CIDR blocks the role's tokens may be used from." },
  token_explicit_max_ttl: {
    type: "duration",
    description: "A hard limit on the life of the role's tokens that renewals cannot pass; when a create asks for one too, the smaller applies. 0: none.",
  },
  token_period: {
    type: "duration",
    description: "Make the role's tokens periodic (no sudo needed): each renewal grants the role's period as it is at that time, with no max TTL unless an explicit one is set.",
  },
  token_type: {
    type: "string",
    description: "default-service (the default: service unless the create asks for batch), default-batch (batch unless it asks for service), service or batch. batch needs orphan=true and renewable=false, and no period or explicit max TTL.",
  },
  token_no_default_policy: { type: "bool", description: "Do not add the default policy to the role's tokens." },
  token_num_uses: {
    type: "int",
    description: "Requests each of the role's tokens may make; 0 is unlimited. A create that asks for more, or for unlimited, gets this.",
  },
} as const satisfies FieldSchemas;

const ROLE_HELP = `Create, read, update and delete token roles.

A token role shapes the tokens made through create/<role_name>: which policies they may
have, their type, TTLs, period, number of uses and the addresses they may be used from.
A write to an existing role changes only what it sends.

period, explicit_max_ttl and bound_cidrs are older names of token_period,
token_explicit_max_ttl and token_bound_cidrs: a read returns the spelling that was written,
and when both are sent the token_ one wins, with a warning. Deleting a role leaves its
tokens alive, but they can no longer be renewed.`;

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
    help: "List the token roles.\n\nA store with no role answers 404.",
  }),
  definePath({
    pattern: "roles/:role_name",
    fields: roleFields,
    operations: { read: readRoleHandler, create: writeRoleHandler, update: writeRoleHandler, delete: deleteRoleHandler },
    existenceCheck: async (req, f) => (await readRole(req.storage, f.values.role_name)) !== undefined,
    help: ROLE_HELP,
  }),
];
