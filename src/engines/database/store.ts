/**
 * What the database engine keeps in its mount's storage (barrier-encrypted), under
 * Vault's own key names where Vault has them:
 *
 *   config/<name>                 connection config (holds the root password)
 *   role/<name>                   dynamic role
 *   static-role/<name>            static role (holds the current password)
 *   usernames/<db>/<username>     Mayfly: users this mount created and has not yet dropped
 *   wal/root/<name>               a root rotation in flight (the new password)
 *   wal/static/<role>             a static rotation in flight (the new password)
 */
import type { Storage } from "../../storage/storage.js";
import { getFrozenJson, getJson, putJson, type DeepReadonly } from "../../storage/storage.js";
import { internalError, notFound } from "../../framework/errors.js";

export interface DbConfigEntry {
  plugin_name: string;
  plugin_version: string;
  /** Everything the plugin gets: connection_url, username, password, username_template, extras. */
  connection_details: Record<string, unknown>;
  allowed_roles: string[];
  root_credentials_rotate_statements: string[];
  password_policy: string;
  verify_connection: boolean;
  skip_static_role_import_rotation: boolean;
}

export interface RoleEntry {
  db_name: string;
  creation_statements: string[];
  revocation_statements: string[];
  rollback_statements: string[];
  renew_statements: string[];
  default_ttl_seconds: number;
  max_ttl_seconds: number;
  credential_type: string;
  credential_config: Record<string, string>;
}

export interface StaticRoleEntry {
  db_name: string;
  username: string;
  /** The password the database holds now; empty until the first rotation when import rotation is skipped. */
  password: string;
  rotation_period_seconds: number;
  rotation_schedule: string;
  rotation_window_seconds: number;
  rotation_statements: string[];
  credential_type: string;
  credential_config: Record<string, string>;
  last_vault_rotation_ms: number;
  /** When the next rotation is due (period: last + period; schedule: the next cron time). */
  next_vault_rotation_ms: number;
}

/** A user this mount created; the entry goes only once the database confirmed the drop. */
export interface UsernameIndexEntry {
  role: string;
  created_ms: number;
  /** Latest lease end known to the engine (issue or renewal), for the orphan sweep. */
  expires_ms: number;
  /** When a `revoke-force` dropped the lease without the target confirming. */
  forgotten_ms?: number;
}

export interface RotationWal {
  username: string;
  new_password: string;
  created_ms: number;
}

export const keys = {
  config: (name: string) => `config/${name}`,
  configPrefix: "config/",
  role: (name: string) => `role/${name}`,
  rolePrefix: "role/",
  staticRole: (name: string) => `static-role/${name}`,
  staticRolePrefix: "static-role/",
  usernamePrefix: (db: string) => `usernames/${encodeURIComponent(db)}/`,
  // Usernames may hold "/" or other characters a key segment cannot.
  username: (db: string, username: string) => `usernames/${encodeURIComponent(db)}/${encodeURIComponent(username)}`,
  rootWal: (name: string) => `wal/root/${name}`,
  staticWal: (role: string) => `wal/static/${role}`,
};

export const getConfig = (s: Storage, name: string) => getJson<DbConfigEntry>(s, keys.config(name));
export const getRole = (s: Storage, name: string) => getJson<RoleEntry>(s, keys.role(name));
export const getStaticRole = (s: Storage, name: string) => getJson<StaticRoleEntry>(s, keys.staticRole(name));
export const putStaticRole = (s: Storage, name: string, role: StaticRoleEntry) => putJson(s, keys.staticRole(name), role);

/**
 * A role or connection as every issuance, renewal and revocation reads it: frozen and shared
 * with other readers until it is written (no decryption, parse or copy per credential).
 */
export const readRole = (s: Storage, name: string) => getFrozenJson<RoleEntry>(s, keys.role(name));
export type FrozenConfig = DeepReadonly<DbConfigEntry>;

/** Vault's error (a 500) when a role or lease points at a connection that is not configured. */
export async function requireConfig(s: Storage, name: string): Promise<DbConfigEntry> {
  return missingConfigUnless(await getConfig(s, name), name);
}

/** requireConfig's answer frozen and shared, for callers that only read it. */
export async function requireFrozenConfig(s: Storage, name: string): Promise<FrozenConfig> {
  return missingConfigUnless(await getFrozenJson<DbConfigEntry>(s, keys.config(name)), name);
}

function missingConfigUnless<T>(cfg: T | undefined, name: string): T {
  if (!cfg) throw internalError(`failed to find entry for connection with name: "${name}"`);
  return cfg;
}

/** Vault's StrListContains("*") || StrListContainsGlob: `*` matches any run of characters. */
export function isRoleAllowed(allowedRoles: readonly string[], roleName: string): boolean {
  return allowedRoles.some((pattern) => pattern === "*" || globMatch(pattern, roleName));
}

export function globMatch(pattern: string, s: string): boolean {
  if (!pattern.includes("*")) return pattern === s;
  const parts = pattern.split("*");
  const first = parts[0] ?? "";
  const last = parts[parts.length - 1] ?? "";
  if (!s.startsWith(first) || s.length < first.length + last.length || !s.endsWith(last)) return false;
  let pos = first.length;
  const end = s.length - last.length;
  for (const mid of parts.slice(1, -1)) {
    const at = s.indexOf(mid, pos);
    if (at < 0 || at + mid.length > end) return false;
    pos = at + mid.length;
  }
  return true;
}

export function assertAllowed(cfg: Pick<FrozenConfig, "allowed_roles">, roleName: string): void {
  // Vault answers 500 with this text (a plain error), and clients match on it.
  if (!isRoleAllowed(cfg.allowed_roles, roleName)) throw internalError(`"${roleName}" is not an allowed role`);
}

/** Vault answers an empty listing with 404. */
export async function listKeys(s: Storage, prefix: string): Promise<{ data: { keys: string[] } }> {
  const found = (await s.list(prefix)).filter((k) => !k.endsWith("/"));
  if (found.length === 0) throw notFound();
  return { data: { keys: found } };
}

export function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}
