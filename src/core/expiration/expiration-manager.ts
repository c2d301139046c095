import { sharedRandomPool } from "../../framework/random-pool.js";
import type { Storage, StorageOp } from "../../storage/storage.js";
import { getJson, jsonPut } from "../../storage/storage.js";
import { badRequest, upstreamError } from "../../framework/errors.js";
import { formatGoDuration } from "../../framework/duration.js";
import type { Response, SecretSpec } from "../../framework/types.js";
import { keys, type LeaseRecord, type ScheduleItem } from "./lease-record.js";
import { Issuances, KeyedLock, mapLimit } from "./concurrency.js";
import { ExpiryScheduler } from "./scheduler.js";
import { Revoker, type RevokeFailures } from "./revocation.js";
import { TokenSchedule } from "./token-schedule.js";
import { countIrrevocable, listIrrevocable, moveLeases, tidyLeases, type IrrevocableLease, type TidyResult } from "./lease-admin.js";
import { defaultExpirationOptions, type ExpirationDeps, type ExpirationOptions } from "./options.js";

export { defaultExpirationOptions, type ExpirationDeps, type ExpirationOptions };

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

export type { IrrevocableLease, TidyResult };

/**
 * Leases: issuance with a recorded intent, renewal within caps, revocation retried until the
 * target confirms, and an expiry schedule kept in storage and read a page at a time, so
 * neither start-up nor memory grows with the number of live leases.
 *
 * Every read-modify-write of a lease record runs under that lease's lock (`locks`), shared
 * by issuance, renewal and revocation.
 */
export class ExpirationManager {
  private readonly opts: ExpirationOptions;
  private readonly scheduler: ExpiryScheduler;
  private readonly locks = new KeyedLock();
  private readonly issuances = new Issuances();
  private readonly revoker: Revoker;
  private readonly tokens: TokenSchedule;

  constructor(
    private readonly deps: ExpirationDeps,
    options: Partial<ExpirationOptions> = {},
  ) {
    this.opts = { ...defaultExpirationOptions, ...options };
    const wake = (atMs: number) => this.scheduler.wake(atMs);
    this.scheduler = new ExpiryScheduler({
      storage: deps.storage,
      nowMs: () => deps.nowMs(),
      logger: deps.logger,
      fire: (key, item) => (item.kind === "t" ? this.tokens.fire(key, item) : this.revoker.revoke(item.id, false, key)),
      pageSize: this.opts.schedulePageSize,
      // The revoker bounds calls to targets; handing over a whole page lets the writes of
      // many finished revocations share one commit.
      concurrency: this.opts.schedulePageSize,
      retryFloorMs: this.opts.baseBackoffMs,
    });
    const common = { storage: deps.storage, deps, opts: this.opts, wake };
    this.revoker = new Revoker({ ...common, locks: this.locks, issuances: this.issuances });
    this.tokens = new TokenSchedule(common);
  }

  private get storage(): Storage {
    return this.deps.storage;
  }

  /** After unseal: queue the undoing of issuances a crash interrupted, then run the schedule. */
  async start(): Promise<void> {
    this.revoker.resume();
    await this.recoverPending();
    this.scheduler.start();
  }

  /** Before seal: no new work; revocations already talking to a target finish. */
  async stop(): Promise<void> {
    await Promise.all([this.scheduler.stop(), this.revoker.stop()]);
  }

  /** Processes every schedule entry that is due; returns how many. Tests drive time with it. */
  runDue(): Promise<number> {
    return this.scheduler.runDue();
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
    const leaseId = `${ctx.path.replace(/\/+$/, "")}/${sharedRandomPool.take(12).toString("base64url")}`;
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
    const intentOps: StorageOp[] = [
      jsonPut(keys.lease(leaseId), record),
      jsonPut(pendingKey, { kind: "l", id: leaseId } satisfies ScheduleItem),
      jsonPut(keys.pending(leaseId), { leaseId }),
    ];
    if (ctx.tokenHash) intentOps.push(jsonPut(keys.byToken(ctx.tokenHash, leaseId), { leaseId }));
    // Marked before the intent is written, so no schedule run takes the intent for a crash's.
    const finish = this.issuances.begin(leaseId);
    let stored = false;
    let failed = false;
    let failure: unknown;
    let data: Record<string, unknown> = {};
    let cancelled = false;
    try {
      // The intent is durable before anything exists on the target.
      await this.storage.transaction(intentOps);
      stored = true;
      data = await create(new Date(expiresAtMs));
      if (!this.issuances.isCancelled(leaseId)) await this.locks.run(leaseId, () => this.activate(record, expiresAtMs));
    } catch (err) {
      failed = true;
      failure = err;
    } finally {
      cancelled = finish();
    }
    if (!stored) throw failure;
    if (failed || cancelled) {
      // Whatever `create` made is undone now, or retried like any revocation; the caller
      // never hears of a credential whose lease is not stored and live.
      await this.revoker.revoke(leaseId, false).catch(() => undefined);
      if (failed) throw failure;
      throw badRequest("the lease was revoked while its secret was being created");
    }
    this.scheduler.wake(expiresAtMs);
    return {
      data,
      secret: { leaseId, leaseDurationSeconds: ttl, renewable: spec.renewable },
      ...(warnings.length ? { warnings } : {}),
    };
  }

  private async activate(record: LeaseRecord, expiresAtMs: number): Promise<void> {
    // The schedule may have pushed the pending entry back while `create` ran (it says so,
    // under this lease's lock, so the record need not be read back).
    const ops: StorageOp[] = [{ op: "delete", key: record.scheduleKey }];
    const moved = this.issuances.movedEntry(record.leaseId);
    if (moved !== undefined && moved !== record.scheduleKey) ops.push({ op: "delete", key: moved });
    record.state = "active";
    record.scheduleKey = keys.schedule(expiresAtMs, "l", record.leaseId);
    ops.push(
      { op: "delete", key: keys.pending(record.leaseId) },
      jsonPut(keys.lease(record.leaseId), record),
      jsonPut(record.scheduleKey, { kind: "l", id: record.leaseId } satisfies ScheduleItem),
    );
    await this.storage.transaction(ops);
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

  renew(leaseId: string, incrementSeconds: number): Promise<Response> {
    // Under the lease's lock: a revocation waits for the renewal, never the reverse overwrite.
    return this.locks.run(leaseId, async () => {
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
      this.scheduler.wake(rec.expireTimeMs);
      return {
        data: null,
        secret: { leaseId, leaseDurationSeconds: ttl, renewable: true },
        ...(warnings.length ? { warnings } : {}),
      };
    });
  }

  // ---- revocation ----

  /**
   * Revokes one lease. With `sync`, resolves only once the target confirmed and throws
   * (leaving the lease scheduled for retry) when it did not; without, queues it.
   */
  async revoke(leaseId: string, opts: { sync: boolean }): Promise<void> {
    if (!isPlausibleLeaseId(leaseId)) return; // Vault treats revoking an unknown lease as success.
    if (opts.sync) await this.revoker.revoke(leaseId, true);
    else await this.revoker.queue(leaseId);
  }

  /**
   * Revokes every lease under a prefix (or the one lease a slash-less prefix names, as
   * Vault does); with `force`, drops the records even when the target refuses.
   */
  async revokePrefix(prefix: string, opts: { sync: boolean; force: boolean }): Promise<void> {
    const trimmed = prefix.replace(/^\/+/, "");
    const mode = opts.force ? "force" : opts.sync ? "sync" : "queue";
    const failures: RevokeFailures = { count: 0, first: [] };
    if (trimmed !== "" && !trimmed.endsWith("/") && (await this.get(trimmed))) {
      await this.revoker.revokeMany([trimmed], mode, failures);
    } else {
      // In batches: a prefix may hold millions of leases.
      let batch: string[] = [];
      for await (const id of this.walk(trimmed)) {
        batch.push(id);
        if (batch.length < 1000) continue;
        await this.revoker.revokeMany(batch, mode, failures);
        batch = [];
      }
      await this.revoker.revokeMany(batch, mode, failures);
    }
    if (failures.count) throw upstreamError(`failed to revoke ${failures.count} lease(s): ${failures.first.join("; ")}`);
  }

  /** Revokes all leases a token owns; failures stay queued for retry and do not stop the others. */
  revokeByToken(tokenHash: string): Promise<void> {
    return this.revoker.revokeByToken(tokenHash);
  }

  // ---- tokens in the schedule ----

  /** Keeps a token's expiry in the schedule (0: none); at expiry the core's `revokeToken` runs. */
  scheduleToken(tokenHash: string, expireTimeMs: number): Promise<void> {
    return this.tokens.set(tokenHash, expireTimeMs);
  }

  // ---- recovery ----

  private async recoverPending(): Promise<void> {
    let after = "";
    for (;;) {
      const page = await this.storage.listPage(keys.pendingPrefix, after, 500);
      await mapLimit(page, this.opts.concurrency, async (k) => {
        const idx = await getJson<{ leaseId: string }>(this.storage, keys.pendingPrefix + k);
        if (!idx || this.issuances.has(idx.leaseId)) return;
        this.deps.logger.info("undoing an issuance interrupted by a restart", { lease_id: idx.leaseId });
        // Queued, not revoked inline: a target that is down must not hold up the unseal.
        const confirmAt = this.deps.nowMs() + this.opts.recoveryGraceMs;
        if (!(await this.revoker.queue(idx.leaseId, confirmAt))) await this.storage.delete(keys.pendingPrefix + k);
      });
      if (page.length < 500) return;
      after = page[page.length - 1] ?? "";
    }
  }

  // ---- operators ----

  /** Leases that exhausted their attempts, with their last error. */
  irrevocable(limit = 1000): Promise<IrrevocableLease[]> {
    return listIrrevocable(this.storage, (id) => this.get(id), limit);
  }

  countIrrevocable(): Promise<number> {
    return countIrrevocable(this.storage);
  }

  /** Renames the leases under a moved mount (`sys/remount`). */
  moveLeases(fromPrefix: string, toPrefix: string): Promise<number> {
    return moveLeases(
      { storage: this.storage, walk: (p) => this.walk(p), get: (id) => this.get(id), locked: (id, fn) => this.locks.run(id, fn) },
      normalisePrefix(fromPrefix),
      normalisePrefix(toPrefix),
    );
  }

  /**
   * Vault's tidy: drops token-index entries whose lease is gone, revokes leases whose token
   * is gone, and tries every irrevocable lease again.
   */
  tidy(): Promise<TidyResult> {
    return tidyLeases({
      storage: this.storage,
      walk: () => this.walk(""),
      get: (id) => this.get(id),
      tokenExists: (hash) => this.deps.tokenExists(hash),
      revoke: (id) => this.revoker.revoke(id, false),
      irrevocable: (limit) => this.irrevocable(limit),
      concurrency: this.opts.concurrency,
    });
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
