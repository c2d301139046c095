import { notFound } from "../../framework/errors.js";
import { getJson, putJson, type Storage } from "../../storage/storage.js";
import type { PasswordHash } from "./password-hash.js";
import type { TokenParams } from "./token-params.js";

/**
 * A user as stored under `user/<name>` (Vault's key). The `legacy` block keeps the values of
 * Vault's deprecated spellings (`policies`, `ttl`, `max_ttl`, `bound_cidrs`) so a read
 * shows them only when they were written, as Vault does.
 */
export interface UserEntry {
  token: TokenParams;
  /** Never returned by any read, never logged. */
  passwordHash: PasswordHash;
  legacy: LegacyUserFields;
}

export interface LegacyUserFields {
  policies: string[];
  ttlSeconds: number;
  maxTtlSeconds: number;
  boundCidrs: string[];
}

export function emptyLegacyFields(): LegacyUserFields {
  return { policies: [], ttlSeconds: 0, maxTtlSeconds: 0, boundCidrs: [] };
}

const USER_PREFIX = "user/";
/** Vault's GenericNameRegex, which its userpass paths match usernames with. */
const USERNAME = /^\w(?:[\w.-]*\w)?$/;

/**
 * Vault lowercases usernames everywhere. A name its path pattern would not match is a path
 * no handler serves, hence Vault's 404 rather than a 400.
 */
export function normalizeUsername(raw: string): string {
  const name = raw.toLowerCase();
  if (!USERNAME.test(name)) throw notFound("unsupported path");
  return name;
}

/** For existence checks, which run before the ACL and so must not refuse anything themselves. */
export function isValidUsername(raw: string): boolean {
  return USERNAME.test(raw.toLowerCase());
}

export async function readUser(storage: Storage, username: string): Promise<UserEntry | undefined> {
  return getJson<UserEntry>(storage, USER_PREFIX + username);
}

export async function writeUser(storage: Storage, username: string, user: UserEntry): Promise<void> {
  await putJson(storage, USER_PREFIX + username, user);
}

export async function deleteUser(storage: Storage, username: string): Promise<void> {
  await storage.delete(USER_PREFIX + username);
}

export async function listUsers(storage: Storage): Promise<string[]> {
  return (await storage.list(USER_PREFIX)).filter((k) => !k.endsWith("/"));
}
