
/**
 * Serialises work per key: a lease's record is read, sent to its backend and written back
 * by one caller at a time, so a renewal cannot write back a lease a revocation just
 * removed, nor a revocation act on a record a renewal is replacing. Not re-entrant.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = before ? before.then(() => mine) : mine;
    this.tails.set(key, tail);
    if (before) await before;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/** At most `permits` callers inside `run` at once; the others wait their turn, first come first served. */
export class Semaphore {
  private available: number;
  private readonly waiting: Array<() => void> = [];

  constructor(permits: number) {
    this.available = Math.max(1, permits);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.available > 0) this.available--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.available++;
    }
  }
}

/** Runs `fn` over `items` with at most `limit` at once; stops taking new items once `halted()`. */
export async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
  halted: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length && !halted()) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

/**
 * Issuances whose `create` runs in this process. A revocation that arrives meanwhile
 * cancels the issuance: it waits for `create` to finish (asking the target earlier would
 * drop a user that does not exist yet), and the caller of `issue` never gets the secret.
 */
export class Issuances {
  private readonly running = new Map<string, Promise<void>>();
  private readonly cancelled = new Set<string>();
  /** Schedule entries the schedule moved a running issuance's lease to (see `noteMovedEntry`). */
  private readonly moved = new Map<string, string>();

  /** Returns `finish`, which ends the issuance and tells whether it was cancelled. */
  begin(leaseId: string): () => boolean {
    let settle!: () => void;
    this.running.set(leaseId, new Promise<void>((resolve) => (settle = resolve)));
    return () => {
      this.running.delete(leaseId);
      this.moved.delete(leaseId);
      const cancelled = this.cancelled.delete(leaseId);
      settle();
      return cancelled;
    };
  }

  has(leaseId: string): boolean {
    return this.running.has(leaseId);
  }

  /**
   * The schedule moved a running issuance's pending entry to `scheduleKey` (its `create` ran
   * past the pending deadline). Told before that write, under the lease's lock, so the
   * activation knows which entries to delete without reading the record back.
   */
  noteMovedEntry(leaseId: string, scheduleKey: string): void {
    if (this.running.has(leaseId)) this.moved.set(leaseId, scheduleKey);
  }

  movedEntry(leaseId: string): string | undefined {
    return this.moved.get(leaseId);
  }

  isCancelled(leaseId: string): boolean {
    return this.cancelled.has(leaseId);
  }

  /** Cancels a running issuance; resolves when its `create` is done (at once if none runs). */
  cancel(leaseId: string): Promise<void> {
    const running = this.running.get(leaseId);
    if (!running) return Promise.resolve();
    this.cancelled.add(leaseId);
    return running;
  }
}

