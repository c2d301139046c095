// The barrier's read cache (barrier.ts): decrypted values of recent reads, and their
// shared JSON parses.
import { shareFrozen } from "../../storage/shared-values.js";

/**
 * A bounded map of decrypted values. A read that misses is watched until it ends, and a
 * write to its key meanwhile (or a wipe) keeps what it read out of the cache. Only keys
 * with a read in flight are tracked: counting every write in a map (as before) made each
 * lease revocation add an entry to a map that grew to 32k entries and was then dropped,
 * garbage the young collector promoted. Copies go in and out: callers may wipe their buffers.
 */
export class PlaintextCache {
  private static readonly MAX_VALUE_BYTES = 64 * 1024;
  /**
   * A shared parse, with the JSON and audit renderings kept beside it, is counted as this
   * many times its plaintext (an estimate: the parse about twice the text, its JSON and one
   * device's audit rendering about once each).
   */
  private static readonly SHARED_WEIGHT = 4;
  private readonly values = new Map<string, CachedValue>();
  private readonly watched = new Map<string, WatchedKey>();
  private generation = 0;
  private bytes = 0;

  constructor(
    private readonly maxEntries = 8192,
    /** What the cache may hold in all, counted as `weight`; the oldest entries go first. */
    private readonly maxTotalBytes = 64 * 1024 * 1024,
  ) {}

  get(key: string): Buffer | undefined {
    const v = this.values.get(key);
    return v === undefined ? undefined : Buffer.from(v.plain);
  }

  /** The cached value as frozen JSON, parsed on first use; undefined when not cached. */
  parsed(key: string): unknown {
    const v = this.values.get(key);
    if (v === undefined) return undefined;
    if (v.parsed === undefined) {
      v.parsed = shareFrozen(JSON.parse(v.plain.toString("utf8")));
      const extra = (PlaintextCache.SHARED_WEIGHT - 1) * v.plain.length;
      v.weight += extra;
      this.bytes += extra;
      this.evictOldestUntil(0, 0, key);
    }
    return v.parsed;
  }

  beginRead(key: string): ReadInFlight {
    let w = this.watched.get(key);
    if (w === undefined) {
      w = { readers: 0, writes: 0 };
      this.watched.set(key, w);
    }
    w.readers++;
    return { key, watch: w, writesAtStart: w.writes, generation: this.generation };
  }

  endRead(read: ReadInFlight): void {
    if (--read.watch.readers === 0 && this.watched.get(read.key) === read.watch) this.watched.delete(read.key);
  }

  offer(read: ReadInFlight, value: Buffer): void {
    if (value.length > PlaintextCache.MAX_VALUE_BYTES) return;
    if (read.watch.writes !== read.writesAtStart || read.generation !== this.generation) return;
    this.drop(read.key);
    this.evictOldestUntil(1, value.length);
    this.values.set(read.key, { plain: Buffer.from(value), parsed: undefined, weight: value.length });
    this.bytes += value.length;
  }

  /** Drops the oldest entries (never `keep`) until `entries` and `bytes` more fit. */
  private evictOldestUntil(entries: number, bytes: number, keep?: string): void {
    for (const key of this.values.keys()) {
      if (this.values.size + entries <= this.maxEntries && this.bytes + bytes <= this.maxTotalBytes) return;
      if (key !== keep) this.drop(key);
    }
  }

  invalidate(key: string): void {
    const w = this.watched.get(key);
    if (w !== undefined) w.writes++;
    this.drop(key);
  }

  wipe(): void {
    for (const v of this.values.values()) v.plain.fill(0);
    this.values.clear();
    this.bytes = 0;
    this.generation++;
  }

  private drop(key: string): void {
    const v = this.values.get(key);
    if (v !== undefined) {
      v.plain.fill(0);
      this.values.delete(key);
      this.bytes -= v.weight;
    }
  }
}

interface CachedValue {
  readonly plain: Buffer;
  /** Strings cannot be wiped; the parsed form goes with the entry and is left to the GC. */
  parsed: unknown;
  /** What the entry counts toward the cache's byte budget (maxTotalBytes). */
  weight: number;
}

interface WatchedKey {
  readers: number;
  writes: number;
}

export interface ReadInFlight {
  readonly key: string;
  readonly watch: WatchedKey;
  readonly writesAtStart: number;
  readonly generation: number;
}
