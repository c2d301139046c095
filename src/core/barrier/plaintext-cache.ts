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
  private static readonly MAX_ENTRIES = 8192;
  private static readonly MAX_VALUE_BYTES = 64 * 1024;
  private readonly values = new Map<string, CachedValue>();
  private readonly watched = new Map<string, WatchedKey>();
  private generation = 0;

  get(key: string): Buffer | undefined {
    const v = this.values.get(key);
    return v === undefined ? undefined : Buffer.from(v.plain);
  }

  /** The cached value as frozen JSON, parsed on first use; undefined when not cached. */
  parsed(key: string): unknown {
    const v = this.values.get(key);
    if (v === undefined) return undefined;
    if (v.parsed === undefined) v.parsed = shareFrozen(JSON.parse(v.plain.toString("utf8")));
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
    if (this.values.size >= PlaintextCache.MAX_ENTRIES) {
      const oldest = this.values.keys().next().value;
      if (oldest !== undefined) this.drop(oldest);
    }
    this.values.set(read.key, { plain: Buffer.from(value), parsed: undefined });
  }

  invalidate(key: string): void {
    const w = this.watched.get(key);
    if (w !== undefined) w.writes++;
    this.drop(key);
  }

  wipe(): void {
    for (const v of this.values.values()) v.plain.fill(0);
    this.values.clear();
    this.generation++;
  }

  private drop(key: string): void {
    const v = this.values.get(key);
    if (v !== undefined) {
      v.plain.fill(0);
      this.values.delete(key);
    }
  }
}

interface CachedValue {
  readonly plain: Buffer;
  /** Strings cannot be wiped; the parsed form goes with the entry and is left to the GC. */
  parsed: unknown;
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
