import type { Storage } from "../storage/storage.js";
import { getJson, putJson } from "../storage/storage.js";
import { badRequest } from "../framework/errors.js";
import {
  compileAcl,
  parsePolicy,
  rootPolicy,
  responseWrappingPolicy,
  DEFAULT_POLICY_TEXT,
  IMMUTABLE_POLICY_NAMES,
  RESPONSE_WRAPPING_POLICY_NAME,
  RESPONSE_WRAPPING_POLICY_TEXT,
  type Acl,
  type Policy,
  type PolicyIdentity,
} from "./policy/index.js";

const PREFIX = "policy/";
/** Policy sets with templated rules take one entry per identity, hence room for many. */
const ACL_CACHE_LIMIT = 4096;

/** A token's entity as ACL compilation sees it. */
export interface AclIdentity {
  /** Identifies `template`'s content: equal keys, equal ACLs. */
  readonly cacheKey: string;
  readonly template: PolicyIdentity;
}

interface StoredPolicy {
  name: string;
  policy: string;
}

/**
 * ACL policies by name, kept as their text and parsed once. Compiled ACLs are cached per
 * set of policy names, so a request pays a map lookup, not a compilation.
 */
export class PolicyStore {
  private readonly parsed = new Map<string, Policy | null>();
  private readonly acls = new Map<string, Acl>();

  constructor(private readonly storage: Storage) {}

  async load(): Promise<void> {
    this.parsed.clear();
    this.acls.clear();
    if (!(await this.storage.get(PREFIX + "default"))) {
      await putJson(this.storage, PREFIX + "default", { name: "default", policy: DEFAULT_POLICY_TEXT } satisfies StoredPolicy);
    }
  }

  unload(): void {
    this.parsed.clear();
    this.acls.clear();
  }

  async list(): Promise<string[]> {
    const names = await this.storage.list(PREFIX);
    return names.filter((n) => !n.endsWith("/")).sort();
  }

  async read(name: string): Promise<StoredPolicy | undefined> {
    const n = normaliseName(name);
    if (n === "root") return undefined;
    // Fixed in code rather than stored, so no write can widen what wrapping tokens may do.
    if (n === RESPONSE_WRAPPING_POLICY_NAME) return { name: n, policy: RESPONSE_WRAPPING_POLICY_TEXT };
    return getJson<StoredPolicy>(this.storage, PREFIX + n);
  }

  /** Parses before storing, so a malformed policy never reaches storage. */
  async write(name: string, text: string): Promise<void> {
    const n = normaliseName(name);
    if (IMMUTABLE_POLICY_NAMES.includes(n)) throw badRequest(`cannot update ${JSON.stringify(n)} policy`);
    if (n === "") throw badRequest("policy name must be provided");
    parsePolicy(n, text);
    await putJson(this.storage, PREFIX + n, { name: n, policy: text } satisfies StoredPolicy);
    this.invalidate(n);
  }

  async delete(name: string): Promise<void> {
    const n = normaliseName(name);
    if (IMMUTABLE_POLICY_NAMES.includes(n)) throw badRequest(`cannot delete ${JSON.stringify(n)} policy`);
    if (n === "default") throw badRequest("cannot delete \"default\" policy");
    await this.storage.delete(PREFIX + n);
    this.invalidate(n);
  }

  /**
   * The compiled ACL for a token's policies; unknown names contribute nothing, as in Vault.
   * Templated rules are filled from `identity` (a token's entity): ACLs of policy sets
   * without templates are shared by every token holding them; the others are cached per
   * identity, under the identity's digest.
   */
  /** acl()'s answer for a policy set without templated rules, when it is compiled already. */
  cachedAcl(policyNames: readonly string[]): Acl | undefined {
    return this.acls.get(this.setKey(policyNames));
  }

  async acl(policyNames: readonly string[], identity?: AclIdentity): Promise<Acl> {
    const key = this.setKey(policyNames);
    // Most sets have no templated rules: their ACL is found under the names alone.
    const plain = this.acls.get(key);
    if (plain) return plain;
    const templatedKey = `${key}\u0000${identity?.cacheKey ?? ""}`;
    const cached = this.acls.get(templatedKey);
    if (cached) return cached;
    const policies: Policy[] = [];
    if (policyNames.includes("root")) {
      policies.push(rootPolicy());
    }
    for (const name of new Set(policyNames)) {
      if (name === "root") continue;
      const p = await this.policy(name);
      if (p) policies.push(p);
    }
    const templated = policies.some((p) => p.rules.some((r) => r.templated));
    const acl = compileAcl(policies, templated ? identity?.template : undefined);
    if (this.acls.size >= ACL_CACHE_LIMIT) this.acls.clear();
    this.acls.set(templated ? templatedKey : key, acl);
    return acl;
  }

  private async policy(name: string): Promise<Policy | null> {
    if (this.parsed.has(name)) return this.parsed.get(name) ?? null;
    if (name === RESPONSE_WRAPPING_POLICY_NAME) {
      const builtin = responseWrappingPolicy();
      this.parsed.set(name, builtin);
      return builtin;
    }
    const stored = await getJson<StoredPolicy>(this.storage, PREFIX + name);
    let p: Policy | null = null;
    if (stored) {
      try {
        p = parsePolicy(stored.name, stored.policy);
      } catch {
        p = null; // Stored policies were validated on write; a bad one grants nothing.
      }
    }
    this.parsed.set(name, p);
    return p;
  }

  /**
   * The cache key of a policy set: its names deduplicated and sorted. A token's requests
   * pass the same array each time, so the key is remembered per array (and checked against
   * a copy of its names, in case an array is ever changed in place).
   */
  private setKey(policyNames: readonly string[]): string {
    const known = this.setKeys.get(policyNames);
    if (known && known.names.length === policyNames.length && known.names.every((n, i) => n === policyNames[i])) return known.key;
    const key = [...new Set(policyNames)].sort().join("\n");
    this.setKeys.set(policyNames, { names: [...policyNames], key });
    return key;
  }

  private readonly setKeys = new WeakMap<readonly string[], { names: readonly string[]; key: string }>();

  private invalidate(name: string): void {
    this.parsed.delete(name);
    this.acls.clear();
  }
}

/** Vault lowercases policy names and trims whitespace. */
export function normaliseName(name: string): string {
  return name.trim().toLowerCase();
}
