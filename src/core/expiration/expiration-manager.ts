import { randomBytes } from "node:crypto";
import type { Storage, StorageOp } from "../../storage/storage.js";
import { getJson, jsonPut } from "../../storage/storage.js";
import { badRequest, MayflyError, upstreamError } from "../../framework/errors.js";
import { formatGoDuration } from "../../framework/duration.js";
import type { Logger, Response, SecretSpec } from "../../framework/types.js";
import { keys, scheduleTimeOf, type LeaseRecord, type ScheduleItem } from "./lease-record.js";

/** What the manager needs from the rest of the core; it knows nothing of mounts or tokens itself. */
export interface ExpirationDeps {
  readonly storage: Storage;
  nowMs(): number;
  readonly logger: Logger;
  /** Asks the issuing backend to revoke; resolves only when the target confirmed. */
  revokeSecret(lease: LeaseRecord): Promise<void>;
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
  /** Revocations in flight at once. */
  concurrency: number;
  schedulePageSize: number;
}

export const defaultExpirationOptions: ExpirationOptions = {
  maxRevokeAttempts: 6,
  baseBackoffMs: 1_000,
  maxBackoffMs: 5 * 60_000,
  irrevocableRetryMs: 60 * 60_000,
  pendingTimeoutMs: 5 * 60_000,
  concurrency: 16,
  schedulePageSize: 1_000,
};

/** The longest the scheduler sleeps; it re-reads the schedule at least this often. */
const MAX_SLEEP_MS = 60_000;

export interface IssueContext {
  readonly path: string;
  readonly mountAccessor: string;
  readonly tokenHash: string;
  readonly defaultTtlSeconds: number;
  readonly maxTtlSeconds: number;
}

export interface LeaseLookup {
  id: string;
  issue_time: string;
  expire_time: string | null;
  last_renewal: string | null;
  renewable: boolean;
  ttl: number;
}

/**
 * Leases: issuance with a recorded intent, renewal within caps, revocation retried until the
 * target confirms, and an expiry schedule kept in storage and read a page at a time, so
 * neither start-up nor memory grows with the number of live leases.
 */
export class ExpirationManager {
  private readonly opts: ExpirationOptions;
  private timer: NodeJS.Timeout | undefined;
  private timerAtMs = Infinity;
  private running = false;
  private draining: Promise<void> | undefined;
  /** Revocations in progress, so the timer, an API call and a token revocation share one. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Issuances whose `create` is still running in this process. */
  private readonly issuing = new Set<string>();

  constructor(
    private readonly deps: ExpirationDeps,
    options: Partial<ExpirationOptions> = {},
  ) {
    this.opts = { ...defaultExpirationOptions, ...options };
  }

  private get storage(): Storage {
    return this.deps.storage;
  }

  /** After unseal: undo issuances a crash interrupted, then run the schedule. */
  async start(): Promise<void> {
    this.running = true;
    await this.recoverPending();
    this.wake(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAtMs = Infinity;
    await this.draining;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  // ---- issuance ----

  async issue(
    ctx: IssueContext,
    spec: SecretSpec,
    create: (expiresAt: Date) => Promise<Record<string, unknown>>,
  ): Promise<Response> {
    const now = this.deps.nowMs();
    const maxTtl = effectiveMax(spec.maxTtlSeconds, ctx.maxTtlSeconds);
    let ttl = spec.ttlSeconds > 0 ? spec.ttlSeconds : ctx.defaultTtlSeconds;
    const warnings: string[] = [];
    if (maxTtl > 0 && ttl > maxTtl) {
      warnings.push(`TTL of "${formatGoDuration(ttl)}" exceeded the effective max_ttl of "${formatGoDuration(maxTtl)}"; TTL value is capped accordingly`);
      ttl = maxTtl;
    }
    const leaseId = `${ctx.path.replace(/\/+$/, "")}/${randomBytes(12).toString("base64url")}`;
    const expiresAtMs = now + ttl * 1000;
    const pendingKey = keys.schedule(now + this.opts.pendingTimeoutMs, "l", leaseId);
    const record: LeaseRecord = {
      leaseId,
      path: ctx.path,
      mountAccessor: ctx.mountAccessor,
      secretType: spec.secretType,
      internal: spec.internal,
      tokenHash: ctx.tokenHash,
      state: "pending",
      issueTimeMs: now,
      expireTimeMs: expiresAtMs,
      lastRenewalTimeMs: 0,
      maxExpireTimeMs: maxTtl > 0 ? now + maxTtl * 1000 : 0,
      renewable: spec.renewable,
      ttlSeconds: ttl,
      scheduleKey: pendingKey,
      revokeAttempts: 0,
      lastError: "",
    };
    // The intent is durable before anything exists on the target.
    const intentOps: StorageOp[] = [
      jsonPut(keys.lease(leaseId), record),
      jsonPut(pendingKey, { kind: "l", id: leaseId } satisfies ScheduleItem),
      jsonPut(keys.pending(leaseId), { leaseId }),
    ];
    if (ctx.tokenHash) intentOps.push(jsonPut(keys.byToken(ctx.tokenHash, leaseId), { leaseId }));
    await this.storage.transaction(intentOps);
    this.issuing.add(leaseId);
    let data: Record<string, unknown>;
    try {
      data = await create(new Date(expiresAtMs));
    } catch (err) {
      this.issuing.delete(leaseId);
      // Whatever `create` made before failing is undone now, or retried like any revocation.
      await this.revokeNow(leaseId, false).catch(() => undefined);
      throw err;
    }
    try {
      record.state = "active";
      record.scheduleKey = keys.schedule(expiresAtMs, "l", leaseId);
      await this.storage.transaction([
        jsonPut(keys.lease(leaseId), record),
        { op: "delete", key: pendingKey },
        { op: "delete", key: keys.pending(leaseId) },
        jsonPut(record.scheduleKey, { kind: "l", id: leaseId } satisfies ScheduleItem),
      ]);
    } catch (err) {
      this.issuing.delete(leaseId);
      // The lease could not be stored: the credential must not reach the caller, and must go.
      await this.revokeNow(leaseId, false).catch(() => undefined);
      throw err;
    }
    this.issuing.delete(leaseId);
    this.wake(expiresAtMs);
    return {
      data,
      secret: { leaseId, leaseDurationSeconds: ttl, renewable: spec.renewable },
      ...(warnings.length ? { warnings } : {}),
    };
  }

  // ---- lookup and listing ----

  async get(leaseId: string): Promise<LeaseRecord | undefined> {
    if (!isPlausibleLeaseId(leaseId)) return undefined;
    return getJson<LeaseRecord>(this.storage, keys.lease(leaseId));
  }

  async lookup(leaseId: string): Promise<LeaseLookup> {
    const rec = await this.get(leaseId);
    if (!rec || rec.state === "pending") throw badRequest("invalid lease");
    const now = this.deps.nowMs();
    return {
      id: rec.leaseId,
      issue_time: new Date(rec.issueTimeMs).toISOString(),
      expire_time: rec.expireTimeMs ? new Date(rec.expireTimeMs).toISOString() : null,
      last_renewal: rec.lastRenewalTimeMs ? new Date(rec.lastRenewalTimeMs).toISOString() : null,
      renewable: rec.renewable && rec.state === "active",
      ttl: rec.expireTimeMs ? Math.max(0, Math.round((rec.expireTimeMs - now) / 1000)) : 0,
    };
  }

  /** Immediate children of a lease-id prefix, as `LIST sys/leases/lookup/<prefix>` shows them. */
  list(prefix: string): Promise<string[]> {
    return this.storage.list(keys.leasePrefix + normalisePrefix(prefix));
  }

  /** Walks every lease id under a prefix, a page at a time. */
  async *walk(prefix: string): AsyncGenerator<string> {
    const base = keys.leasePrefix + normalisePrefix(prefix);
    const stack: string[] = [""];
    while (stack.length) {
      const rel = stack.pop() ?? "";
      let after = "";
      for (;;) {
        const page = await this.storage.listPage(base + rel, after, 1000);
        for (const child of page) {
          if (child.endsWith("/")) stack.push(rel + child);
          else yield normalisePrefix(prefix) + rel + child;
        }
        if (page.length < 1000) break;
        after = page[page.length - 1] ?? "";
      }
    }
  }

  // ---- renewal ----

  async renew(leaseId: string, incrementSeconds: number): Promise<Response> {
    const rec = await this.get(leaseId);
    const now = this.deps.nowMs();
    if (!rec || rec.state === "pending") throw badRequest("lease not found");
    if (rec.state !== "active" || rec.expireTimeMs <= now) throw badRequest("lease expired");
    if (!rec.renewable) throw badRequest("lease is not renewable");
    const warnings: string[] = [];
    const cap = rec.maxExpireTimeMs;
    const wanted = incrementSeconds > 0 ? incrementSeconds : rec.ttlSeconds;
    const { ttlSeconds } = await this.deps.renewSecret(rec, wanted, cap);
    let ttl = ttlSeconds;
    if (cap > 0 && now + ttl * 1000 > cap) {
      ttl = Math.max(0, Math.floor((cap - now) / 1000));
      warnings.push(`TTL of "${formatGoDuration(ttlSeconds)}" exceeded the effective max_ttl of "${formatGoDuration(ttl)}"; TTL value is capped accordingly`);
    }
    const oldKey = rec.scheduleKey;
    rec.expireTimeMs = now + ttl * 1000;
    rec.lastRenewalTimeMs = now;
    rec.scheduleKey = keys.schedule(rec.expireTimeMs, "l", leaseId);
    const ops: StorageOp[] = [jsonPut(keys.lease(leaseId), rec)];
    if (oldKey !== rec.scheduleKey) {
      ops.push({ op: "delete", key: oldKey }, jsonPut(rec.scheduleKey, { kind: "l", id: leaseId } satisfies ScheduleItem));
    }
    await this.storage.transaction(ops);
    this.wake(rec.expireTimeMs);
    return {
      data: null,
      secret: { leaseId, leaseDurationSeconds: ttl, renewable: true },
      ...(warnings.length ? { warnings } : {}),
    };
  }

  // ---- revocation ----

  /**
   * Revokes one lease. With `sync`, resolves only once the target confirmed and throws
   * (leaving the lease scheduled for retry) when it did not; without, queues it.
   */
  async revoke(leaseId: string, opts: { sync: boolean }): Promise<void> {
    const rec = await this.get(leaseId);
    if (!rec) return; // Vault treats revoking an unknown lease as success.
    if (!opts.sync) {
      await this.queueNow(rec);
      return;
    }
    await this.revokeNow(leaseId, true);
  }

  /** Revokes every lease under a prefix; with `force`, drops the records even when the target refuses. */
  async revokePrefix(prefix: string, opts: { sync: boolean; force: boolean }): Promise<void> {
    const ids: string[] = [];
    for await (const id of this.walk(prefix)) ids.push(id);
    if (!opts.sync && !opts.force) {
      for (const id of ids) {
        const rec = await this.get(id);
        if (rec) await this.queueNow(rec);
      }
      return;
    }
    const errors: string[] = [];
    await mapLimit(ids, this.opts.concurrency, async (id) => {
      try {
        await this.revokeNow(id, true);
      } catch (err) {
        if (opts.force) {
          this.deps.logger.warn("force-revoke dropped a lease the target did not confirm", { lease_id: id, error: errText(err) });
          await this.deleteLease(id);
        } else errors.push(`${id}: ${errText(err)}`);
      }
    });
    if (errors.length) throw upstreamError(`failed to revoke ${errors.length} lease(s): ${errors.slice(0, 5).join("; ")}`);
  }

  /** Revokes all leases a token owns; failures stay queued for retry and do not stop the others. */
  async revokeByToken(tokenHash: string): Promise<void> {
    const prefix = keys.byTokenPrefix(tokenHash);
    for (;;) {
      const page = await this.storage.listPage(prefix, "", 500);
      if (page.length === 0) return;
      await mapLimit(page, this.opts.concurrency, async (k) => {
        const idx = await getJson<{ leaseId: string }>(this.storage, prefix + k);
        if (idx) await this.revokeNow(idx.leaseId, false).catch(() => undefined);
        // The lease keeps its own retry schedule; the token index entry is no longer needed.
        await this.storage.delete(prefix + k);
      });
    }
  }

  private async queueNow(rec: LeaseRecord): Promise<void> {
    if (rec.state === "pending" && this.issuing.has(rec.leaseId)) return;
    const now = this.deps.nowMs();
    const oldKey = rec.scheduleKey;
    rec.state = rec.state === "irrevocable" ? "irrevocable" : "revoking";
    rec.scheduleKey = keys.schedule(now, "l", rec.leaseId);
    await this.storage.transaction([
      jsonPut(keys.lease(rec.leaseId), rec),
      { op: "delete", key: oldKey },
      jsonPut(rec.scheduleKey, { kind: "l", id: rec.leaseId } satisfies ScheduleItem),
    ]);
    this.wake(now);
  }

  /** One revocation attempt, shared by concurrent callers. */
  private revokeNow(leaseId: string, throwOnFailure: boolean): Promise<void> {
    let p = this.inFlight.get(leaseId);
    if (!p) {
      p = this.attemptRevoke(leaseId).finally(() => this.inFlight.delete(leaseId));
      this.inFlight.set(leaseId, p);
    }
    return throwOnFailure ? p : p.catch(() => undefined);
  }

  private async attemptRevoke(leaseId: string): Promise<void> {
    const rec = await this.get(leaseId);
    if (!rec) return;
    try {
      await this.deps.revokeSecret(rec);
    } catch (err) {
      await this.recordFailure(rec, err);
      throw err instanceof MayflyError ? err : upstreamError(`failed to revoke lease: ${errText(err)}`);
    }
    await this.deleteLease(leaseId, rec);
  }

  private async recordFailure(rec: LeaseRecord, err: unknown): Promise<void> {
    const now = this.deps.nowMs();
    rec.revokeAttempts += 1;
    rec.lastError = errText(err).slice(0, 500);
    const oldKey = rec.scheduleKey;
    const ops: StorageOp[] = [];
    let nextMs: number;
    if (rec.revokeAttempts >= this.opts.maxRevokeAttempts) {
      if (rec.state !== "irrevocable") ops.push(jsonPut(keys.irrevocable(rec.leaseId), { leaseId: rec.leaseId }));
      rec.state = "irrevocable";
      nextMs = now + this.opts.irrevocableRetryMs;
    } else {
      if (rec.state !== "irrevocable") rec.state = "revoking";
      const backoff = Math.min(this.opts.maxBackoffMs, this.opts.baseBackoffMs * 2 ** (rec.revokeAttempts - 1));
      nextMs = now + backoff * (0.75 + Math.random() * 0.5);
    }
    rec.scheduleKey = keys.schedule(nextMs, "l", rec.leaseId);
    ops.push(jsonPut(keys.lease(rec.leaseId), rec));
    if (oldKey !== rec.scheduleKey) ops.push({ op: "delete", key: oldKey });
    ops.push(jsonPut(rec.scheduleKey, { kind: "l", id: rec.leaseId } satisfies ScheduleItem));
    ops.push({ op: "delete", key: keys.pending(rec.leaseId) });
    await this.storage.transaction(ops);
    this.deps.logger.warn("lease revocation failed; will retry", {
      lease_id: rec.leaseId,
      attempts: rec.revokeAttempts,
      state: rec.state,
      error: rec.lastError,
    });
    this.wake(nextMs);
  }

  private async deleteLease(leaseId: string, known?: LeaseRecord): Promise<void> {
    const rec = known ?? (await this.get(leaseId));
    const ops: StorageOp[] = [
      { op: "delete", key: keys.lease(leaseId) },
      { op: "delete", key: keys.pending(leaseId) },
      { op: "delete", key: keys.irrevocable(leaseId) },
    ];
    if (rec) {
      ops.push({ op: "delete", key: rec.scheduleKey });
      if (rec.tokenHash) ops.push({ op: "delete", key: keys.byToken(rec.tokenHash, leaseId) });
    }
    await this.storage.transaction(ops);
  }

  // ---- tokens in the schedule ----

  async scheduleToken(tokenHash: string, expireTimeMs: number): Promise<void> {
    const idxKey = keys.tokenSchedule(tokenHash);
    const old = await getJson<{ key: string }>(this.storage, idxKey);
    const ops: StorageOp[] = [];
    if (old) ops.push({ op: "delete", key: old.key });
    if (expireTimeMs > 0) {
      const key = keys.schedule(expireTimeMs, "t", tokenHash);
      ops.push(jsonPut(key, { kind: "t", id: tokenHash } satisfies ScheduleItem), jsonPut(idxKey, { key }));
    } else if (old) ops.push({ op: "delete", key: idxKey });
    if (ops.length) await this.storage.transaction(ops);
    if (expireTimeMs > 0) this.wake(expireTimeMs);
  }

  // ---- the schedule ----

  private wake(atMs: number): void {
    if (!this.running || atMs >= this.timerAtMs) return;
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.min(MAX_SLEEP_MS, Math.max(0, atMs - this.deps.nowMs()));
    this.timerAtMs = atMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAtMs = Infinity;
      void this.drain();
    }, delay);
    this.timer.unref();
  }

  private drain(): Promise<void> {
    if (this.draining) return this.draining;
    const run = this.runDue()
      .then(() => undefined)
      .catch((err: unknown) => this.deps.logger.error("expiry schedule run failed", { error: errText(err) }))
      .finally(() => {
        this.draining = undefined;
        if (this.running && !this.timer) void this.armFromStorage();
      });
    this.draining = run;
    return run;
  }

  /** Processes every schedule entry that is due. Exposed so tests can drive time. */
  async runDue(): Promise<number> {
    let processed = 0;
    for (;;) {
      const now = this.deps.nowMs();
      const page = await this.storage.listPage(keys.schedulePrefix, "", this.opts.schedulePageSize);
      const due = page.filter((k) => scheduleTimeOf(keys.schedulePrefix + k) <= now);
      if (due.length === 0) return processed;
      const before = processed;
      await mapLimit(due, this.opts.concurrency, async (k) => {
        const key = keys.schedulePrefix + k;
        const item = await getJson<ScheduleItem>(this.storage, key);
        if (!item) return;
        if (await this.fire(key, item)) processed++;
      });
      // Entries that could not be moved (a pending issuance still running) end the pass.
      if (processed === before) return processed;
    }
  }

  /** Returns false when the entry was left in place for later. */
  private async fire(key: string, item: ScheduleItem): Promise<boolean> {
    if (item.kind === "t") {
      await this.storage.transaction([{ op: "delete", key }, { op: "delete", key: keys.tokenSchedule(item.id) }]);
      await this.deps.revokeToken(item.id).catch((err: unknown) => {
        this.deps.logger.error("expired token revocation failed", { error: errText(err) });
      });
      return true;
    }
    const rec = await this.get(item.id);
    if (!rec || rec.scheduleKey !== key) {
      await this.storage.delete(key); // stale entry
      return true;
    }
    if (rec.state === "pending" && this.issuing.has(rec.leaseId)) {
      const later = keys.schedule(this.deps.nowMs() + this.opts.pendingTimeoutMs, "l", rec.leaseId);
      rec.scheduleKey = later;
      await this.storage.transaction([jsonPut(keys.lease(rec.leaseId), rec), { op: "delete", key }, jsonPut(later, item)]);
      return true;
    }
    await this.revokeNow(rec.leaseId, false);
    return true;
  }

  private async armFromStorage(): Promise<void> {
    const first = await this.storage.listPage(keys.schedulePrefix, "", 1);
    const k = first[0];
    this.wake(k === undefined ? this.deps.nowMs() + MAX_SLEEP_MS : scheduleTimeOf(keys.schedulePrefix + k));
  }

  private async recoverPending(): Promise<void> {
    let after = "";
    for (;;) {
      const page = await this.storage.listPage(keys.pendingPrefix, after, 500);
      await mapLimit(page, this.opts.concurrency, async (k) => {
        const idx = await getJson<{ leaseId: string }>(this.storage, keys.pendingPrefix + k);
        if (!idx || this.issuing.has(idx.leaseId)) return;
        this.deps.logger.info("undoing an issuance interrupted by a restart", { lease_id: idx.leaseId });
        await this.revokeNow(idx.leaseId, false);
      });
      if (page.length < 500) return;
      after = page[page.length - 1] ?? "";
    }
  }

  // ---- operators ----

  /** Leases that exhausted their attempts, with their last error. */
  async irrevocable(limit = 1000): Promise<Array<{ lease_id: string; attempts: number; last_error: string }>> {
    const out: Array<{ lease_id: string; attempts: number; last_error: string }> = [];
    const page = await this.storage.listPage(keys.irrevocablePrefix, "", limit);
    for (const k of page) {
      const idx = await getJson<{ leaseId: string }>(this.storage, keys.irrevocablePrefix + k);
      const rec = idx && (await this.get(idx.leaseId));
      if (rec) out.push({ lease_id: rec.leaseId, attempts: rec.revokeAttempts, last_error: rec.lastError });
    }
    return out;
  }

  async countIrrevocable(): Promise<number> {
    let n = 0;
    let after = "";
    for (;;) {
      const page = await this.storage.listPage(keys.irrevocablePrefix, after, 5000);
      n += page.length;
      if (page.length < 5000) return n;
      after = page[page.length - 1] ?? "";
    }
  }

  /**
   * Vault's tidy: drops token-index entries whose lease is gone, revokes leases whose token
   * is gone, and tries every irrevocable lease again.
   */
  async tidy(): Promise<{ revoked: number; retried: number; cleaned: number }> {
    let revoked = 0;
    let cleaned = 0;
    for await (const id of this.walk("")) {
      const rec = await this.get(id);
      if (!rec || rec.state === "pending") continue;
      if (rec.tokenHash && !(await this.deps.tokenExists(rec.tokenHash))) {
        await this.revokeNow(id, false);
        revoked++;
      }
    }
    let after = "";
    for (;;) {
      const tokens = await this.storage.listPage("token/", after, 500);
      for (const t of tokens) {
        const prefix = "token/" + t;
        for (const k of await this.storage.list(prefix)) {
          const idx = await getJson<{ leaseId: string }>(this.storage, prefix + k);
          if (!idx || !(await this.get(idx.leaseId))) {
            await this.storage.delete(prefix + k);
            cleaned++;
          }
        }
      }
      if (tokens.length < 500) break;
      after = tokens[tokens.length - 1] ?? "";
    }
    const stuck = await this.irrevocable(100_000);
    await mapLimit(stuck, this.opts.concurrency, (s) => this.revokeNow(s.lease_id, false));
    return { revoked, retried: stuck.length, cleaned };
  }
}

export function isPlausibleLeaseId(id: string): boolean {
  return id.length > 0 && id.length <= 1024 && !id.split("/").some((s) => s === ".." || s === ".");
}

function normalisePrefix(prefix: string): string {
  const p = prefix.replace(/^\/+/, "");
  return p === "" || p.endsWith("/") ? p : p + "/";
}

function effectiveMax(roleMaxSeconds: number, mountMaxSeconds: number): number {
  if (roleMaxSeconds > 0 && mountMaxSeconds > 0) return Math.min(roleMaxSeconds, mountMaxSeconds);
  return roleMaxSeconds > 0 ? roleMaxSeconds : mountMaxSeconds;
}

function errText(err: unknown): string {
  if (err instanceof MayflyError) return err.errors.join("; ");
  return err instanceof Error ? err.message : String(err);
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}
