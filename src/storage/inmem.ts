import type { Storage, StorageOp } from "./storage.js";

/**
 * Orders strings by Unicode code point, which is the order of their UTF-8 bytes and so the
 * order SQLite's BINARY collation gives. JavaScript's `<` compares UTF-16 code units, which
 * puts U+10000..U+10FFFF (surrogate pairs, D800-DFFF) before U+E000..U+FFFF; the backends
 * must agree or `listPage` cursors would mean different things on each.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) return codePointRank(x) - codePointRank(y);
    return x - y;
  }
  return a.length - b.length;
}

/** Moves surrogates (D800-DFFF) above E000-FFFF, matching code point order. */
function codePointRank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/**
 * Checks a key the way every backend must, so that both reject the same things: a lone
 * surrogate cannot be encoded in UTF-8 and SQLite would silently store U+FFFD instead.
 */
export function assertValidKey(key: unknown): asserts key is string {
  if (typeof key !== "string") throw new TypeError("storage key must be a string");
  if (LONE_SURROGATE.test(key)) throw new TypeError("storage key must be well-formed Unicode");
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function assertValidValue(value: unknown): asserts value is Buffer {
  if (!Buffer.isBuffer(value)) throw new TypeError("storage value must be a Buffer");
}

export function assertValidPrefix(prefix: string): void {
  assertValidKey(prefix);
  if (prefix !== "" && !prefix.endsWith("/")) {
    throw new TypeError(`list prefix must be "" or end in "/": ${JSON.stringify(prefix)}`);
  }
}

/**
 * The key from which the keys of a child folder start being skipped: `name/...` sorts
 * before `name0` because "0" is the character after "/", and nothing lies between them.
 */
export function folderEnd(prefix: string, folder: string): string {
  return prefix + folder.slice(0, -1) + "0";
}

/**
 * Where a `listPage` scan begins: past the whole subtree of a folder cursor, or just past
 * a plain key (whose own folder `after/` sorts after it and must still be seen).
 */
export function pageStart(prefix: string, after: string): { key: string; inclusive: boolean } {
  if (after === "") return { key: prefix, inclusive: true };
  if (after.endsWith("/")) return { key: folderEnd(prefix, after), inclusive: true };
  return { key: prefix + after, inclusive: false };
}

/**
 * Sorted keys in blocks of bounded size (a one-level B-tree): finding a key is two binary
 * searches, and an insert or delete moves at most one block's entries, so writes stay
 * cheap with hundreds of thousands of keys (a dev server issuing leases). Positions are
 * (block, index) pairs.
 */
class SortedKeys {
  private static readonly MAX_BLOCK = 512;
  private blocks: string[][] = [];
  /**
   * Whether any key ever held a UTF-16 unit at or above U+D800. Until one does, the native
   * string comparison gives code point order and is several times faster than
   * `compareKeys`, which walks the shared prefixes (long ones: `sys/expire/schedule/...`)
   * in JavaScript.
   */
  private highUnits = false;

  noteKey(key: string): void {
    if (!this.highUnits && HIGH_UNIT.test(key)) this.highUnits = true;
  }

  /** The first position whose key is >= `key` (may be one past the end). */
  lowerBound(key: string): Pos {
    const cmp = this.highUnits || HIGH_UNIT.test(key) ? compareKeys : compareNative;
    const blocks = this.blocks;
    let lo = 0;
    let hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const block = blocks[mid] as string[];
      if (cmp(block[block.length - 1] as string, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    if (lo === blocks.length) return { b: lo, i: 0 };
    const block = blocks[lo] as string[];
    let l = 0;
    let h = block.length;
    while (l < h) {
      const m = (l + h) >>> 1;
      if (cmp(block[m] as string, key) < 0) l = m + 1;
      else h = m;
    }
    return { b: lo, i: l };
  }

  at(p: Pos): string | undefined {
    return this.blocks[p.b]?.[p.i];
  }

  next(p: Pos): Pos {
    const block = this.blocks[p.b];
    if (block !== undefined && p.i + 1 < block.length) return { b: p.b, i: p.i + 1 };
    return { b: p.b + 1, i: 0 };
  }

  insertAt(p: Pos, key: string): void {
    if (this.blocks.length === 0) {
      this.blocks.push([key]);
      return;
    }
    // Past the end: append to the last block.
    const b = p.b === this.blocks.length ? p.b - 1 : p.b;
    const block = this.blocks[b] as string[];
    block.splice(p.b === this.blocks.length ? block.length : p.i, 0, key);
    if (block.length > SortedKeys.MAX_BLOCK) this.blocks.splice(b + 1, 0, block.splice(block.length >>> 1));
  }

  removeAt(p: Pos): void {
    const block = this.blocks[p.b];
    if (block === undefined) return;
    block.splice(p.i, 1);
    if (block.length === 0) this.blocks.splice(p.b, 1);
  }
}

interface Pos {
  b: number;
  i: number;
}

const HIGH_UNIT = /[\uD800-\uFFFF]/;

function compareNative(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Keys in sorted blocks beside a Map of values: `list` searches to the prefix and jumps
 * over each child folder's subtree, so it costs O(children · log n), not O(n).
 */
export class InmemStorage implements Storage {
  private readonly keys = new SortedKeys();
  private readonly values = new Map<string, Buffer>();
  private closed = false;

  async get(key: string): Promise<Buffer | undefined> {
    this.assertOpen();
    assertValidKey(key);
    const v = this.values.get(key);
    // Copies both ways: callers wipe buffers with fill(0), which must not reach the store.
    return v === undefined ? undefined : Buffer.from(v);
  }

  async put(key: string, value: Buffer): Promise<void> {
    this.assertOpen();
    assertValidKey(key);
    assertValidValue(value);
    this.apply({ op: "put", key, value });
  }

  async delete(key: string): Promise<void> {
    this.assertOpen();
    assertValidKey(key);
    this.apply({ op: "delete", key });
  }

  async list(prefix: string): Promise<string[]> {
    return this.collect(prefix, { key: prefix, inclusive: true }, Infinity);
  }

  async listPage(prefix: string, after: string, limit: number): Promise<string[]> {
    assertValidKey(after);
    if (!(limit > 0)) return [];
    return this.collect(prefix, pageStart(prefix, after), limit);
  }

  async transaction(ops: readonly StorageOp[]): Promise<void> {
    this.assertOpen();
    // Validate everything first: once applying starts nothing below can throw, so the
    // batch lands whole or not at all.
    for (const o of ops) {
      assertValidKey(o.key);
      if (o.op === "put") assertValidValue(o.value);
      else if (o.op !== "delete") throw new TypeError(`unknown storage op: ${String((o as { op: unknown }).op)}`);
    }
    for (const o of ops) this.apply(o);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private apply(o: StorageOp): void {
    const present = this.values.has(o.key);
    if (o.op === "put") {
      if (!present) {
        this.keys.noteKey(o.key);
        this.keys.insertAt(this.keys.lowerBound(o.key), o.key);
      }
      this.values.set(o.key, Buffer.from(o.value));
    } else if (present) {
      this.keys.removeAt(this.keys.lowerBound(o.key));
      this.values.delete(o.key);
    }
  }

  private collect(prefix: string, start: { key: string; inclusive: boolean }, limit: number): string[] {
    this.assertOpen();
    assertValidPrefix(prefix);
    const out: string[] = [];
    let pos = this.keys.lowerBound(start.key);
    if (!start.inclusive && this.keys.at(pos) === start.key) pos = this.keys.next(pos);
    while (out.length < limit) {
      const key = this.keys.at(pos);
      if (key === undefined || !key.startsWith(prefix)) break;
      const rest = key.slice(prefix.length);
      const slash = rest.indexOf("/");
      if (slash === -1) {
        if (rest !== "") out.push(rest);
        pos = this.keys.next(pos);
      } else {
        const folder = rest.slice(0, slash + 1);
        out.push(folder);
        pos = this.keys.lowerBound(folderEnd(prefix, folder));
      }
    }
    return out;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("storage is closed");
  }
}
