/** A token as stored. The token itself is never stored: entries are keyed by its keyed hash. */
export interface TokenEntry {
  readonly hash: string;
  readonly accessor: string;
  /** Hash of the parent token; "" for orphans and root tokens. */
  readonly parentHash: string;
  readonly policies: readonly string[];
  /** The path that created it: `auth/token/create`, `auth/userpass/login/bob`. */
  readonly path: string;
  readonly meta: Readonly<Record<string, string>> | null;
  readonly displayName: string;
  /** Uses left; 0 means unlimited. */
  numUses: number;
  readonly creationTimeMs: number;
  /** TTL at creation, seconds (0: never expires). */
  readonly creationTtlSeconds: number;
  /** Absolute expiry; 0 means never. */
  expireTimeMs: number;
  lastRenewalTimeMs: number;
  readonly explicitMaxTtlSeconds: number;
  readonly periodSeconds: number;
  readonly renewable: boolean;
  readonly type: "service" | "batch";
  readonly entityId: string;
  /** Mount accessor of the auth method that issued it, so renewals ask that method. */
  readonly authMountAccessor: string;
  /** Auth-method data for renewals. */
  readonly internal: Readonly<Record<string, unknown>>;
  /** The most that renewals may extend to; 0 means no cap. */
  readonly maxExpireTimeMs: number;
  /** Token role that created it, if any. */
  readonly role: string;
  readonly boundCidrs: readonly string[];
}

export function isRootToken(e: TokenEntry): boolean {
  return e.policies.includes("root");
}

/** Seconds left, rounded down; 0 for tokens that never expire. */
export function ttlLeftSeconds(e: TokenEntry, nowMs: number): number {
  if (e.expireTimeMs === 0) return 0;
  return Math.max(0, Math.floor((e.expireTimeMs - nowMs) / 1000));
}
