import type { Storage } from "../../storage/storage.js";
import type { Logger } from "../../framework/types.js";
import type { LeaseRecord } from "./lease-record.js";

/** What the manager needs from the rest of the core; it knows nothing of mounts or tokens itself. */
export interface ExpirationDeps {
  readonly storage: Storage;
  nowMs(): number;
  readonly logger: Logger;
  /** Asks the issuing backend to revoke; resolves only when the target confirmed. */
  revokeSecret(lease: LeaseRecord): Promise<void>;
  /** Tells the issuing backend a lease was dropped unconfirmed (revoke-force); best effort. */
  forgetSecret?(lease: LeaseRecord): Promise<void>;
  /** Tells the issuing backend the target confirmed a revocation (its own records); best effort. */
  secretRevoked?(lease: LeaseRecord): Promise<void>;
  /** Asks the backend to renew up to `capExpireAtMs`; returns the TTL it granted. */
  renewSecret(lease: LeaseRecord, incrementSeconds: number, capExpireAtMs: number): Promise<{ ttlSeconds: number }>;
  /** Revokes an expired token and its tree. */
  revokeToken(tokenHash: string): Promise<void>;
  /** Whether the token that owns a lease still exists (for tidy). */
  tokenExists(tokenHash: string): Promise<boolean>;
}

export interface ExpirationOptions {
  /** Revocation attempts before a lease is marked irrevocable (Vault: 6). */
  maxRevokeAttempts: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** How often irrevocable leases are tried again. */
  irrevocableRetryMs: number;
  /** How long a pending issuance may run before recovery undoes it. */
  pendingTimeoutMs: number;
  /**
   * After a crash, an issuance the dead process had started is revoked at once and again
   * this long after: a transaction the target was still committing when the first drop ran
   * (a slow synchronous standby, a stalled disk) becomes visible, and goes, by then.
   */
  recoveryGraceMs: number;
  /**
   * Revocations in flight at once. Queued ones share messages to the target (see the
   * database engine's StatementCoalescer), so more in flight means fuller messages, not
   * more connections: 64 let 10,000 leases expiring together reach PostgreSQL in batches
   * of ~8 instead of ~2, for a third of the database's CPU per drop.
   */
  concurrency: number;
  schedulePageSize: number;
}

export const defaultExpirationOptions: ExpirationOptions = {
  maxRevokeAttempts: 6,
  baseBackoffMs: 1_000,
  maxBackoffMs: 5 * 60_000,
  irrevocableRetryMs: 60 * 60_000,
  pendingTimeoutMs: 5 * 60_000,
  recoveryGraceMs: 30_000,
  concurrency: 64,
  schedulePageSize: 1_000,
};

/** Capped exponential backoff; the jitter (below the cap) spreads retries that failed together. */
export function retryDelayMs(opts: ExpirationOptions, attempts: number): number {
  const capped = Math.min(opts.maxBackoffMs, opts.baseBackoffMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(capped * (0.75 + 0.25 * Math.random()));
}
