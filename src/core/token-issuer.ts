import { badRequest } from "../framework/errors.js";
import { formatGoDuration } from "../framework/duration.js";
import type { MountInfo } from "../framework/types.js";
import type { TokenEntry } from "./tokens/token-entry.js";
import type { TokenStore } from "./tokens/token-store.js";

export interface TokenParams {
  policies: readonly string[];
  noDefaultPolicy: boolean;
  meta: Readonly<Record<string, string>> | null;
  displayName: string;
  /** Requested TTL in seconds; 0 takes the auth mount's default. */
  ttlSeconds: number;
  explicitMaxTtlSeconds: number;
  periodSeconds: number;
  numUses: number;
  renewable: boolean;
  type: "service" | "batch";
  /** Undefined for orphans. */
  parent: TokenEntry | undefined;
  path: string;
  authMount: MountInfo;
  entityId: string;
  internal: Readonly<Record<string, unknown>>;
  role: string;
  boundCidrs: readonly string[];
  /** A cap below the mount's (an auth method's `token_max_ttl`); 0 = the mount's. */
  maxTtlSeconds?: number;
  /** Chosen token id (dev root token, `id` field for root callers). */
  id?: string;
}

export interface IssuedToken {
  token: string;
  entry: TokenEntry;
  /** The envelope's `auth` block. */
  auth: Record<string, unknown>;
  warnings: string[];
}

/** Vault adds `default` unless asked not to, never to root tokens, and keeps names sorted. */
export function finalPolicies(requested: readonly string[], noDefaultPolicy: boolean): string[] {
  const set = new Set(requested.map((p) => p.trim().toLowerCase()).filter((p) => p !== ""));
  if (set.has("root")) return ["root"];
  if (!noDefaultPolicy) set.add("default");
  return [...set].sort();
}

/** Creates a token with Vault's TTL rules and builds the `auth` block clients read. */
export async function issueToken(store: TokenStore, p: TokenParams, nowMs: number): Promise<IssuedToken> {
  const policies = finalPolicies(p.policies, p.noDefaultPolicy);
  const warnings: string[] = [];
  const mountMax =
    p.maxTtlSeconds && p.maxTtlSeconds > 0
      ? Math.min(p.maxTtlSeconds, p.authMount.maxLeaseTtlSeconds())
      : p.authMount.maxLeaseTtlSeconds();
  const isRoot = policies.length === 1 && policies[0] === "root";
  if (p.numUses < 0) throw badRequest("number of uses cannot be negative");
  if (p.ttlSeconds < 0 || p.explicitMaxTtlSeconds < 0 || p.periodSeconds < 0) throw badRequest("TTLs cannot be negative");

  let ttl: number;
  let maxTtl: number;
  if (p.periodSeconds > 0) {
    // A period longer than the mount allows is capped, as Vault does.
    let period = p.periodSeconds;
    if (mountMax > 0 && period > mountMax) {
      warnings.push(`period of "${formatGoDuration(period)}" exceeded the effective max_ttl of "${formatGoDuration(mountMax)}"; period value is capped accordingly`);
      period = mountMax;
    }
    ttl = period;
    maxTtl = p.explicitMaxTtlSeconds;
  } else {
    maxTtl = p.explicitMaxTtlSeconds > 0 ? Math.min(p.explicitMaxTtlSeconds, mountMax) : mountMax;
    if (isRoot && p.ttlSeconds === 0 && p.explicitMaxTtlSeconds === 0) {
      // A root token asked for without a TTL never expires, as in Vault.
      ttl = 0;
      maxTtl = 0;
    } else if (isRoot && p.ttlSeconds === 0) {
      ttl = maxTtl;
    } else {
      ttl = p.ttlSeconds > 0 ? p.ttlSeconds : p.authMount.defaultLeaseTtlSeconds();
    }
  }
  if (maxTtl > 0 && ttl > maxTtl) {
    warnings.push(`TTL of "${formatGoDuration(ttl)}" exceeded the effective max_ttl of "${formatGoDuration(maxTtl)}"; TTL value is capped accordingly`);
    ttl = maxTtl;
  }
  // A child never outlives a parent that has an explicit limit.
  if (p.parent && p.parent.maxExpireTimeMs > 0 && p.parent.explicitMaxTtlSeconds > 0) {
    const parentLeft = Math.floor((p.parent.maxExpireTimeMs - nowMs) / 1000);
    if (ttl === 0 || ttl > parentLeft) ttl = Math.max(1, parentLeft);
  }
  const expireTimeMs = ttl > 0 ? nowMs + ttl * 1000 : 0;
  const maxExpireTimeMs = maxTtl > 0 ? nowMs + maxTtl * 1000 : 0;
  const { token, entry } = await store.create(
    {
      parentHash: p.parent?.hash ?? "",
      policies,
      path: p.path,
      meta: p.meta,
      displayName: p.displayName,
      numUses: p.numUses,
      creationTimeMs: nowMs,
      creationTtlSeconds: ttl,
      expireTimeMs,
      explicitMaxTtlSeconds: p.explicitMaxTtlSeconds,
      periodSeconds: p.periodSeconds > 0 && mountMax > 0 ? Math.min(p.periodSeconds, mountMax) : p.periodSeconds,
      // Batch tokens cannot be renewed, so Vault never reports one as renewable.
      renewable: p.renewable && ttl > 0 && p.type !== "batch",
      type: p.type,
      entityId: p.entityId,
      authMountAccessor: p.authMount.accessor,
      internal: p.internal,
      maxExpireTimeMs,
      role: p.role,
      boundCidrs: p.boundCidrs,
    },
    p.id,
  );
  return { token, entry, auth: authBlock(token, entry, ttl), warnings };
}

export function authBlock(token: string, e: TokenEntry, leaseDurationSeconds: number): Record<string, unknown> {
  return {
    client_token: token,
    accessor: e.accessor,
    policies: [...e.policies],
    token_policies: [...e.policies],
    metadata: e.meta ? { ...e.meta } : null,
    lease_duration: leaseDurationSeconds,
    renewable: e.renewable,
    entity_id: e.entityId,
    token_type: e.type,
    orphan: e.parentHash === "",
    mfa_requirement: null,
    num_uses: e.numUses,
  };
}

/**
 * The TTL a token was last granted, at creation or at its latest renewal. Vault renews a
 * token asked for no increment to this (its lease entry keeps the renewed TTL), so after
 * a renewal by 2h the next renew-self without an increment grants 2h again, not the
 * creation TTL.
 */
export function lastGrantedTtlSeconds(e: TokenEntry): number {
  if (e.lastRenewalTimeMs > 0 && e.expireTimeMs > e.lastRenewalTimeMs) return Math.round((e.expireTimeMs - e.lastRenewalTimeMs) / 1000);
  return e.creationTtlSeconds;
}

/**
 * New expiry for a renewal: periodic tokens get their period again, others the increment
 * (or the TTL they were last granted), never beyond their max.
 */
export function renewedTtlSeconds(e: TokenEntry, incrementSeconds: number, nowMs: number): { ttl: number; capped: boolean } {
  let ttl = e.periodSeconds > 0 ? e.periodSeconds : incrementSeconds > 0 ? incrementSeconds : lastGrantedTtlSeconds(e);
  let capped = false;
  if (e.maxExpireTimeMs > 0) {
    const left = Math.max(0, Math.floor((e.maxExpireTimeMs - nowMs) / 1000));
    if (ttl > left) {
      ttl = left;
      capped = true;
    }
  }
  return { ttl, capped };
}
