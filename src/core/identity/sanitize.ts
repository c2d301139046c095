/** Vault's normalisation of identity input: policy lists, metadata maps. */
import { badRequest } from "../../framework/errors.js";
import type { StringMap } from "./types.js";

/** Vault's strutil.RemoveDuplicates: trimmed, blanks dropped, deduplicated, sorted. */
export function removeDuplicates(items: readonly string[], lowercase = false): string[] {
  const set = new Set<string>();
  for (const raw of items) {
    let item = raw.trim();
    if (lowercase) item = item.toLowerCase();
    if (item !== "") set.add(item);
  }
  return [...set].sort();
}

/** Group policies: compared case-insensitively, then sorted (Vault's RemoveDuplicatesStable, then RemoveDuplicates). */
export function groupPolicies(items: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of items) {
    const item = raw.trim();
    if (item === "" || seen.has(item.toLowerCase())) continue;
    seen.add(item.toLowerCase());
    out.push(item);
  }
  return out.sort();
}

export function containsRoot(policies: readonly string[]): boolean {
  return policies.some((p) => p.trim().toLowerCase() === "root");
}

const MAX_PAIRS = 64;
const MAX_KEY_LENGTH = 128;
const MAX_VALUE_LENGTH = 512;
const KEY_FORMAT = /^[a-zA-Z0-9=/+_-]+$/;
const RESERVED_KEY_PREFIX = "vault-";

/**
 * Entity and group metadata as Vault's validateMetadata accepts it. `what` names the
 * record in the message ("entity", "group").
 */
export function checkMetadata(what: string, meta: Readonly<StringMap>): void {
  const fail = (why: string): never => {
    throw badRequest(`invalid ${what} metadata: ${why}`);
  };
  const entries = Object.entries(meta);
  if (entries.length > MAX_PAIRS) fail(`metadata cannot contain more than ${MAX_PAIRS} key/value pairs`);
  for (const [key, value] of entries) {
    const pair = `failed to load metadata pair (${JSON.stringify(key)}, ${JSON.stringify(value)})`;
    if (key === "") fail(`${pair}: key cannot be blank`);
    if (!KEY_FORMAT.test(key)) fail(`${pair}: key contains invalid characters`);
    if (key.length > MAX_KEY_LENGTH) fail(`${pair}: key is too long (limit: ${MAX_KEY_LENGTH} characters)`);
    if (key.startsWith(RESERVED_KEY_PREFIX)) fail(`${pair}: key prefix ${JSON.stringify(RESERVED_KEY_PREFIX)} is reserved for internal use`);
    if (value.length > MAX_VALUE_LENGTH) fail(`${pair}: value is too long (limit: ${MAX_VALUE_LENGTH} characters)`);
  }
}

/** An alias's `custom_metadata`, as Vault's custommetadata.Validate bounds it. */
export function checkCustomMetadata(meta: Readonly<StringMap>): void {
  const entries = Object.entries(meta);
  if (entries.length > MAX_PAIRS) throw badRequest(`payload must contain at most ${MAX_PAIRS} keys`);
  for (const [key, value] of entries) {
    if (key.length > MAX_KEY_LENGTH) throw badRequest(`length of key ${JSON.stringify(key)} is ${key.length} but max is ${MAX_KEY_LENGTH}`);
    if (value.length > MAX_VALUE_LENGTH) throw badRequest(`length of value for key ${JSON.stringify(key)} is ${value.length} but max is ${MAX_VALUE_LENGTH}`);
  }
}

/** Vault's strutil.EqualStringMaps: null and {} are equal. */
export function equalMaps(a: Readonly<StringMap> | null | undefined, b: Readonly<StringMap> | null | undefined): boolean {
  const ak = Object.keys(a ?? {});
  if (ak.length !== Object.keys(b ?? {}).length) return false;
  return ak.every((k) => Object.prototype.hasOwnProperty.call(b ?? {}, k) && (a ?? {})[k] === (b ?? {})[k]);
}
