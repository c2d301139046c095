import type { Storage, StorageOp } from "../../storage/storage.js";
import { getJson, jsonPut } from "../../storage/storage.js";
import { MayflyError, sealedError, upstreamError } from "../../framework/errors.js";
import { keys, type LeaseRecord, type ScheduleItem } from "./lease-record.js";
import type { Issuances, KeyedLock } from "./concurrency.js";
import { mapLimit, Semaphore } from "./concurrency.js";
import { retryDelayMs, type ExpirationDeps, type ExpirationOptions } from "./options.js";
import { errText } from "./scheduler.js";

/** How one attempt ended. `skipped`: a schedule entry the lease had moved away from. */
type Attempt = "done" | "skipped" | { failed: MayflyError };

export interface RevokerContext {
  readonly storage: Storage;
  readonly deps: Pick<ExpirationDeps, "nowMs" | "logger" | "revokeSecret" | "forgetSecret" | "secretRevoked">;
  readonly opts: ExpirationOptions;
  /** Shared with renewal and issuance: one read-modify-write of a lease at a time. */
  readonly locks: KeyedLock;
  readonly issuances: Issuances;
  wake(atMs: number): void;
}

export interface RevokeFailures {
  count: number;
  /** The first few, for the error message. */
  first: string[];
}

/**
 * Revocation: one attempt per lease at a time, shared by whoever asks (the timer, an API
 * call, a token's revocation); the record leaves storage only when the target confirmed,
 * and otherwise goes back into the schedule with backoff, then as irrevocable.
 */
export class Revoker {
  private readonly inFlight = new Map<string, Promise<Attempt>>();
  /**
   * Calls to targets at once, whoever asks: the schedule hands over a whole page of due
   * leases, an API call or a token's revocation join the same queue.
   */
  private readonly targetSlots: Semaphore;
  private stopped = false;

  constructor(private readonly c: RevokerContext) {
    this.targetSlots = new Semaphore(c.opts.concurrency);
  }

  resume(): void {
    this.stopped = false;
  }

  /** Attempts not yet at their target give up; resolves once those at it have ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /**
   * Revokes now. With `throwOnFailure`, a target failure is thrown (after being recorded);
   * without, it only goes back into the schedule. `scheduleKey` is given by the schedule:
   * the attempt then goes ahead only if the lease still points at that entry.
   */
  async revoke(leaseId: string, throwOnFailure: boolean, scheduleKey?: string): Promise<void> {
    for (;;) {
      let attempt = this.inFlight.get(leaseId);
      const shared = attempt !== undefined;
      if (!attempt) {
        const mine = this.attempt(leaseId, scheduleKey);
        attempt = mine;
        this.inFlight.set(leaseId, mine);
        // Registered before any caller awaits, so the entry is gone when they resume.
        mine.finally(() => this.inFlight.get(leaseId) === mine && this.inFlight.delete(leaseId)).catch(() => undefined);
      }
      const outcome = await attempt;
      // A schedule entry's attempt that stood down is no answer for anyone else.
      if (outcome === "skipped" && shared && scheduleKey === undefined) continue;
      if (typeof outcome === "object" && throwOnFailure) throw outcome.failed;
      return;
    }
  }

  /**
   * Moves a lease's schedule entry to now. Returns false when there is no such lease.
   * `confirmAfterMs` asks for a second revocation at that time (crash recovery).
   */
  queue(leaseId: string, confirmAfterMs?: number): Promise<boolean> {
    return this.c.locks.run(leaseId, async () => {
      if (this.c.issuances.has(leaseId)) {
        // `issue` revokes it once `create` returns, and keeps the secret from its caller.
        void this.c.issuances.cancel(leaseId);
        return true;
      }
      const rec = await this.get(leaseId);
      if (!rec) return false;
      const now = this.c.deps.nowMs();
      if (rec.state !== "irrevocable") rec.state = "revoking";
      if (confirmAfterMs !== undefined) rec.confirmAfterMs = confirmAfterMs;
      await this.moveEntry(rec, now);
      this.c.wake(now);
      return true;
    });
  }

  /** Revokes (or with `queue`, queues) a batch of leases; failures are counted, or with `force` dropped. */
  async revokeMany(ids: readonly string[], mode: "queue" | "sync" | "force", failures: RevokeFailures): Promise<void> {
    if (mode === "queue") {
      await mapLimit(ids, this.c.opts.concurrency, (id) => this.queue(id));
      return;
    }
    await mapLimit(ids, this.c.opts.concurrency, async (id) => {
      try {
        await this.revoke(id, true);
      } catch (err) {
        if (mode === "sync") {
          failures.count++;
          if (failures.first.length < 5) failures.first.push(`${id}: ${errText(err)}`);
          return;
        }
        this.c.deps.logger.warn("force-revoke dropped a lease the target did not confirm", { lease_id: id, error: errText(err) });
        const forgotten = await this.c.locks.run(id, async () => {
          const rec = await this.get(id);
          if (rec) await this.deleteLease(rec);
          return rec;
        });
        if (forgotten && this.c.deps.forgetSecret) {
          await this.c.deps.forgetSecret(forgotten).catch((e: unknown) =>
            this.c.deps.logger.warn("the backend could not note a force-revoked lease", { lease_id: id, error: errText(e) }),
          );
        }
      }
    });
  }

  /** Revokes all leases a token owns; failures stay queued for retry and do not stop the others. */
  async revokeByToken(tokenHash: string): Promise<void> {
    const prefix = keys.byTokenPrefix(tokenHash);
    for (;;) {
      const page = await this.c.storage.listPage(prefix, "", 500);
      if (page.length === 0) return;
      await mapLimit(page, this.c.opts.concurrency, async (k) => {
        const idx = await getJson<{ leaseId: string }>(this.c.storage, prefix + k);
        if (idx) await this.revoke(idx.leaseId, false);
        // The lease keeps its own retry schedule; the token index entry is no longer needed.
        await this.c.storage.delete(prefix + k);
      });
    }
  }

  private async attempt(leaseId: string, scheduleKey: string | undefined): Promise<Attempt> {
    if (scheduleKey === undefined) await this.c.issuances.cancel(leaseId);
    return this.c.locks.run(leaseId, async (): Promise<Attempt> => {
      const rec = await this.get(leaseId);
      if (scheduleKey !== undefined && rec?.scheduleKey !== scheduleKey) {
        await this.c.storage.delete(scheduleKey); // the lease moved on (renewed, retried) or is gone
        return "skipped";
      }
      if (!rec) return "done";
      if (scheduleKey !== undefined && this.c.issuances.has(leaseId)) {
        // The pending deadline passed while `create` still runs here: no crash, look later.
        const atMs = this.c.deps.nowMs() + this.c.opts.pendingTimeoutMs;
        this.c.issuances.noteMovedEntry(leaseId, keys.schedule(atMs, "l", leaseId));
        await this.moveEntry(rec, atMs);
        return "skipped";
      }
      try {
        const reached = await this.targetSlots.run(async () => {
          if (this.stopped) return false;
          await this.c.deps.revokeSecret(rec);
          return true;
        });
        // Sealing: the entry stays where it is for the next unseal.
        if (!reached) return { failed: sealedError() };
      } catch (err) {
        await this.recordFailure(rec, err);
        return { failed: err instanceof MayflyError ? err : upstreamError(`failed to revoke lease: ${errText(err)}`) };
      }
      const confirmAt = rec.confirmAfterMs ?? 0;
      if (confirmAt > this.c.deps.nowMs()) {
        // Gone now; asked again at `confirmAt` in case a late commit brings it back.
        await this.moveEntry(rec, confirmAt);
        this.c.wake(confirmAt);
        return "done";
      }
      // Side by side, so the backend's tidying and the record's removal share a commit.
      await Promise.all([this.deleteLease(rec), this.tellRevoked(rec)]);
      return "done";
    });
  }

  private async tellRevoked(rec: LeaseRecord): Promise<void> {
    try {
      await this.c.deps.secretRevoked?.(rec);
    } catch (err) {
      this.c.deps.logger.warn("the backend could not tidy after a confirmed revocation", { lease_id: rec.leaseId, error: errText(err) });
    }
  }

  private async recordFailure(rec: LeaseRecord, err: unknown): Promise<void> {
    const now = this.c.deps.nowMs();
    rec.revokeAttempts += 1;
    rec.lastError = errText(err).slice(0, 500);
    const extra: StorageOp[] = [{ op: "delete", key: keys.pending(rec.leaseId) }];
    let nextMs: number;
    if (rec.revokeAttempts >= this.c.opts.maxRevokeAttempts) {
      if (rec.state !== "irrevocable") extra.push(jsonPut(keys.irrevocable(rec.leaseId), { leaseId: rec.leaseId }));
      rec.state = "irrevocable";
      nextMs = now + this.c.opts.irrevocableRetryMs;
    } else {
      if (rec.state !== "irrevocable") rec.state = "revoking";
      nextMs = now + retryDelayMs(this.c.opts, rec.revokeAttempts);
    }
    await this.moveEntry(rec, nextMs, extra);
    this.c.deps.logger.warn("lease revocation failed; will retry", {
      lease_id: rec.leaseId,
      attempts: rec.revokeAttempts,
      state: rec.state,
      error: rec.lastError,
    });
    this.c.wake(nextMs);
  }

  /** Writes the record with its schedule entry moved to `atMs`, in one transaction. */
  private async moveEntry(rec: LeaseRecord, atMs: number, extra: readonly StorageOp[] = []): Promise<void> {
    const oldKey = rec.scheduleKey;
    rec.scheduleKey = keys.schedule(atMs, "l", rec.leaseId);
    const ops: StorageOp[] = [jsonPut(keys.lease(rec.leaseId), rec)];
    if (oldKey !== rec.scheduleKey) ops.push({ op: "delete", key: oldKey });
    ops.push(jsonPut(rec.scheduleKey, { kind: "l", id: rec.leaseId } satisfies ScheduleItem), ...extra);
    await this.c.storage.transaction(ops);
  }

  private async deleteLease(rec: LeaseRecord): Promise<void> {
    const ops: StorageOp[] = [
      { op: "delete", key: keys.lease(rec.leaseId) },
      { op: "delete", key: keys.pending(rec.leaseId) },
      { op: "delete", key: keys.irrevocable(rec.leaseId) },
      { op: "delete", key: rec.scheduleKey },
    ];
    if (rec.tokenHash) ops.push({ op: "delete", key: keys.byToken(rec.tokenHash, rec.leaseId) });
    await this.c.storage.transaction(ops);
  }

  private get(leaseId: string): Promise<LeaseRecord | undefined> {
    return getJson<LeaseRecord>(this.c.storage, keys.lease(leaseId));
  }
}
