/** `roles/<name>`: dynamic roles, whose credentials are created per request and leased. */
import { badRequest, notFound } from "../../framework/errors.js";
import type { Fields } from "../../framework/fields.js";
import { definePath, type PathDef, type Request, type Response } from "../../framework/types.js";
import { putJson } from "../../storage/storage.js";
import type { DatabaseEngine } from "./engine.js";
import { DYNAMIC_STATEMENT_FIELDS, STATEMENTS_HELP } from "./help-text.js";
import { directTableGrants, tableGrantWarning } from "./hygiene.js";
import { getConfig, getRole, getStaticRole, keys, listKeys, type RoleEntry } from "./store.js";

export const roleFields = {
  name: { type: "string", required: true, description: "Name of the role; creds/<name> issues credentials from it. Dynamic and static roles share one set of names." },
  db_name: { type: "string", description: "The connection (config/<db_name>) the role's users are made on; required. Its allowed_roles must admit this role." },
  creation_statements: { type: "strings", description: DYNAMIC_STATEMENT_FIELDS.creation },
  revocation_statements: { type: "strings", description: DYNAMIC_STATEMENT_FIELDS.revocation },
  rollback_statements: { type: "strings", description: DYNAMIC_STATEMENT_FIELDS.rollback },
  renew_statements: { type: "strings", description: DYNAMIC_STATEMENT_FIELDS.renew },
  default_ttl: { type: "duration", description: "Lease TTL of issued credentials; 0 (the default) uses the mount's default lease TTL." },
  max_ttl: {
    type: "duration",
    description: "Longest life of issued credentials, counted from issue, which renewals cannot pass; 0 (the default) leaves only the mount's max TTL. A renewal applies the role's max_ttl as it is at that time.",
  },
  credential_type: {
    type: "string",
    default: "password",
    description: "Kind of credential issued: only password (the default). Vault's rsa_private_key and client_certificate are refused.",
  },
  credential_config: {
    type: "string-map",
    description: "Settings of the credential type, as an object or k=v pairs. For password the only key is password_policy: the password policy for this role's users, used instead of the connection's.",
  },
} as const;

const ROLE_HELP = `Manage dynamic roles: how creds/<name> makes database users, and for how long.

A write that creates the role needs db_name; a write to an existing role changes only
what it sends. Roles and static roles share their names: a write for a name that a static
role holds is refused.

${STATEMENTS_HELP}

A write whose PostgreSQL creation statements grant privileges on tables or other objects
directly to the user succeeds with a warning: every live user then adds to each object's
access list. Grant a group role instead (GRANT "readers" TO "{{name}}").

Deleting a role does not end the leases issued from it: when they end, their users are
removed with the revocation statements the role had when they were issued.`;

/** Vault's credential types; Mayfly's plugins issue passwords only. */
const KNOWN_CREDENTIAL_TYPES = ["password", "rsa_private_key", "client_certificate"];

export function rolePaths(engine: DatabaseEngine): PathDef[] {
  return [
    definePath({
      pattern: "roles/",
      operations: { list: async (req) => listKeys(req.storage, keys.rolePrefix) },
      help: "List the names of the dynamic roles.\n\nAn engine with no role answers 404.",
    }),
    definePath({
      pattern: "roles/:name",
      fields: roleFields,
      existenceCheck: async (req, f) => (await getRole(req.storage, f.values.name)) !== undefined,
      operations: {
        read: readRole,
        create: (req, f) => writeRole(engine, req, f),
        update: (req, f) => writeRole(engine, req, f),
        delete: deleteRole,
      },
      help: ROLE_HELP,
    }),
  ];
}

async function readRole(req: Request, f: Fields<typeof roleFields>): Promise<Response | undefined> {
  const role = await getRole(req.storage, f.values.name);
  if (!role) throw notFound();
  const data: Record<string, unknown> = {
    db_name: role.db_name,
    creation_statements: role.creation_statements,
    revocation_statements: role.revocation_statements,
    rollback_statements: role.rollback_statements,
    renew_statements: role.renew_statements,
    default_ttl: role.default_ttl_seconds,
    max_ttl: role.max_ttl_seconds,
    credential_type: role.credential_type,
  };
  if (Object.keys(role.credential_config).length > 0) data.credential_config = role.credential_config;
  return { data };
}

async function writeRole(engine: DatabaseEngine, req: Request, f: Fields<typeof roleFields>): Promise<Response | undefined> {
  const name = f.values.name;
  if (await getStaticRole(req.storage, name)) throw badRequest("Role and Static Role names must be unique");
  const creating = req.operation === "create";
  const role: RoleEntry = (creating ? undefined : await getRole(req.storage, name)) ?? {
    db_name: "",
    creation_statements: [],
    revocation_statements: [],
    rollback_statements: [],
    renew_statements: [],
    default_ttl_seconds: 0,
    max_ttl_seconds: 0,
    credential_type: "password",
    credential_config: {},
  };
  if (f.has("db_name")) role.db_name = f.values.db_name;
  if (role.db_name === "") throw badRequest("database name is required");
  if (f.has("credential_type")) {
    const t = f.values.credential_type;
    if (!KNOWN_CREDENTIAL_TYPES.includes(t)) throw badRequest(`invalid credential_type "${t}"`);
    if (t !== "password") {
      throw badRequest(`credential_type "${t}" is not supported by Mayfly's database plugins; only "password" is`);
    }
    role.credential_type = t;
  }
  if (f.has("credential_config")) role.credential_config = validateCredentialConfig(f.values.credential_config);
  if (f.has("creation_statements")) role.creation_statements = f.values.creation_statements;
  if (f.has("revocation_statements")) role.revocation_statements = f.values.revocation_statements;
  if (f.has("rollback_statements")) role.rollback_statements = f.values.rollback_statements;
  if (f.has("renew_statements")) role.renew_statements = f.values.renew_statements;
  role.revocation_statements = role.revocation_statements.filter((s) => s.trim() !== "");
  if (f.has("default_ttl")) role.default_ttl_seconds = f.values.default_ttl;
  if (f.has("max_ttl")) role.max_ttl_seconds = f.values.max_ttl;
  await putJson(req.storage, keys.role(name), role);

  const warnings = await hygieneWarnings(engine, req, role);
  return warnings.length ? { data: null, warnings } : undefined;
}

/** Vault's password generator takes only a password_policy in credential_config. */
export function validateCredentialConfig(config: Record<string, string>): Record<string, string> {
  const unknown = Object.keys(config).filter((k) => k !== "password_policy");
  if (unknown.length > 0) {
    throw badRequest(`credential_config validation failed: unknown keys for credential_type "password": ${unknown.join(", ")}`);
  }
  return config.password_policy ? { password_policy: config.password_policy } : {};
}

async function hygieneWarnings(engine: DatabaseEngine, req: Request, role: RoleEntry): Promise<string[]> {
  const cfg = await getConfig(req.storage, role.db_name);
  if (cfg) {
    // The plugin knows its dialect best; an unknown plugin name is the config's problem, not the role's.
    let advice: string[] | undefined;
    try {
      advice = engine.connections.newPlugin(cfg.plugin_name).creationStatementWarnings?.(role.creation_statements);
    } catch {
      advice = undefined;
    }
    if (advice !== undefined) return advice;
  }
  const grants = directTableGrants(role.creation_statements);
  if (grants.length === 0) return [];
  if (cfg && cfg.plugin_name !== "postgresql-database-plugin") return [];
  // Without a config yet, only PostgreSQL's own syntax gives the target away.
  if (!cfg && !grants.some((g) => /\bON\s+ALL\s+TABLES\s+IN\s+SCHEMA\b/i.test(g))) return [];
  return [tableGrantWarning(grants)];
}

async function deleteRole(req: Request, f: Fields<typeof roleFields>): Promise<Response | undefined> {
  await req.storage.delete(keys.role(f.values.name));
  return undefined;
}
