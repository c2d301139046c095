import { createHash } from "node:crypto";

export type LeaseState = "pending" | "active" | "revoking" | "irrevocable";

/** One lease as stored at `id/<leaseId>`. The secret itself is never stored, only `internal`. */
export interface LeaseRecord {
  readonly leaseId: string;
  /** Request path that issued it, e.g. `database/creds/readonly`. */
  readonly path: string;
  readonly mountAccessor: string;
  readonly secretType: string;
  readonly internal: Readonly<Record<string, unknown>>;
  readonly tokenHash: string;
  state: LeaseState;
  readonly issueTimeMs: number;
  expireTimeMs: number;
  lastRenewalTimeMs: number;
  /** Renewals never extend past this. */
  readonly maxExpireTimeMs: number;
  readonly renewable: boolean;
  /** The TTL the lease was issued with, reused when a renewal asks for no increment. */
  readonly ttlSeconds: number;
  /** Key of this lease's entry in the expiry schedule. */
  scheduleKey: string;
  revokeAttempts: number;
  /** Set on issuances undone after a crash: a revocation before this time is confirmed again at it. */
  confirmAfterMs?: number;
  lastError: string;
}

export const keys = {
  lease: (leaseId: string) => `id/${leaseId}`,
  leasePrefix: "id/",
  byToken: (tokenHash: string, leaseId: string) => `token/${tokenHash}/${digest(leaseId)}`,
  byTokenPrefix: (tokenHash: string) => `token/${tokenHash}/`,
  pending: (leaseId: string) => `pending/${digest(leaseId)}`,
  pendingPrefix: "pending/",
  irrevocable: (leaseId: string) => `irrevocable/${digest(leaseId)}`,
  irrevocablePrefix: "irrevocable/",
  schedulePrefix: "schedule/",
  /** Sorts by time: a fixed-width millisecond stamp, then a digest to keep keys unique. */
  schedule: (atMs: number, kind: ScheduleKind, id: string) =>
    `schedule/${String(Math.max(0, Math.floor(atMs))).padStart(15, "0")}-${kind}${digest(kind + id)}`,
  tokenSchedule: (tokenHash: string) => `tokensched/${tokenHash}`,
};

export type ScheduleKind = "l" | "t";

export interface ScheduleItem {
  readonly kind: ScheduleKind;
  /** A lease id, or a token hash. */
  readonly id: string;
  /** Failed attempts so far at revoking an expired token (leases count theirs in the record). */
  readonly attempts?: number;
}

export function scheduleTimeOf(scheduleKey: string): number {
  return Number(scheduleKey.slice(keys.schedulePrefix.length, keys.schedulePrefix.length + 15));
}

/**
 * A lease's keys are made several times over its life (issue, activation, revocation each
 * name its pending, schedule and token entries), so recent digests are remembered.
 */
const recentDigests = new Map<string, string>();
const RECENT_DIGESTS = 2048;

function digest(s: string): string {
  let d = recentDigests.get(s);
  if (d !== undefined) return d;
  d = createHash("sha256").update(s).digest("hex").slice(0, 24);
  if (recentDigests.size >= RECENT_DIGESTS) {
    const oldest = recentDigests.keys().next();
    if (!oldest.done) recentDigests.delete(oldest.value);
  }
  recentDigests.set(s, d);
  return d;
}
