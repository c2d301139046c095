import type { Storage, StorageOp } from "./storage.js";

/**
 * Group commit: transactions submitted while one is being gathered are applied together
 * as one. Each caller's operations stay whole and in order, and each caller resolves only
 * once the combined transaction committed. With SQLite at synchronous=FULL every commit is
 * an fsync that blocks the event loop, so revocations running side by side would otherwise
 * queue up behind one fsync each.
 *
 * Callers writing the same key in one batch land in the order they called, as they would
 * one after another; each has its answer only once everything before it committed.
 */
export class GroupCommit {
  private gathering: Array<{ ops: readonly StorageOp[]; resolve(): void; reject(err: unknown): void }> | undefined;
  /** The commit under way: one at a time, so what arrives meanwhile gathers for the next. */
  private committing: Promise<void> | undefined;

  constructor(private readonly storage: Pick<Storage, "transaction">) {}

  transaction(ops: readonly StorageOp[]): Promise<void> {
    let batch = this.gathering;
    if (!batch) {
      batch = [];
      this.gathering = batch;
      // After the current turn's microtasks, so every attempt that is ready joins in.
      setImmediate(() => void this.next());
    }
    const callers = batch;
    return new Promise<void>((resolve, reject) => callers.push({ ops, resolve, reject }));
  }

  /** Commits everything asked for so far, without waiting for the turn to end (before a close). */
  async flush(): Promise<void> {
    while (this.committing || this.gathering) await (this.committing ?? this.next());
  }

  /** Starts the gathered batch's commit unless one is under way (which starts it when done). */
  private next(): Promise<void> {
    if (this.committing) return this.committing;
    const batch = this.gathering;
    this.gathering = undefined;
    if (!batch) return Promise.resolve();
    const run = this.commit(batch).finally(() => {
      this.committing = undefined;
      if (this.gathering) void this.next();
    });
    this.committing = run;
    return run;
  }

  private async commit(batch: Array<{ ops: readonly StorageOp[]; resolve(): void; reject(err: unknown): void }>): Promise<void> {
    try {
      await this.storage.transaction(batch.length === 1 ? (batch[0]?.ops ?? []) : batch.flatMap((c) => c.ops));
      for (const c of batch) c.resolve();
      return;
    } catch (err) {
      if (batch.length === 1) {
        batch[0]?.reject(err);
        return;
      }
    }
    // Nothing of the combined transaction landed: each caller's own goes alone, so one
    // caller's bad write fails that caller only.
    for (const c of batch) {
      try {
        await this.storage.transaction(c.ops);
        c.resolve();
      } catch (err) {
        c.reject(err);
      }
    }
  }
}
