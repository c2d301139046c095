/**
 * The one storage interface every layer above talks to. Keys are `/`-separated paths;
 * values are opaque bytes (the barrier encrypts them before they reach a backend).
 */
import { deepFreeze } from "./shared-values.js";

export interface Storage {
  get(key: string): Promise<Buffer | undefined>;
  put(key: string, value: Buffer): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Immediate children of `prefix`, sorted: plain keys as their last segment, deeper
   * keys as `segment/` once each (Vault's list semantics). `prefix` is "" or ends in "/".
   */
  list(prefix: string): Promise<string[]>;
  /**
   * One page of `list`: children sorted after `after` (exclusive), at most `limit`.
   * Lets callers walk millions of entries without holding them all.
   */
  listPage(prefix: string, after: string, limit: number): Promise<string[]>;
  /** Applies every operation or none. */
  transaction(ops: readonly StorageOp[]): Promise<void>;
  close(): Promise<void>;
  /**
   * Optional: the value as frozen JSON, possibly shared with other callers (the barrier
   * keeps it with its read cache). `getFrozenJson` falls back to parsing a copy.
   */
  getParsed?(key: string): Promise<unknown>;
  /**
   * Optional: getParsed's answer when it is at hand at once (the value sits in a read
   * cache), else undefined. A hot read then needs no promise per storage layer.
   */
  peekParsed?(key: string): unknown;
}

export type StorageOp =
  | { op: "put"; key: string; value: Buffer }
  | { op: "delete"; key: string };

const FULL_KEY_CACHE_SIZE = 1024;
/** Longer keys are not remembered, so the map stays small whatever readers ask for. */
const MAX_REMEMBERED_KEY_LENGTH = 512;

/** A view of a storage under a fixed prefix, as each mount sees its own corner. */
export class PrefixedStorage implements Storage {
  constructor(
    private readonly inner: Storage,
    private readonly prefix: string,
  ) {
    if (prefix !== "" && !prefix.endsWith("/")) throw new Error(`storage prefix must end in "/": ${prefix}`);
  }
  get(key: string): Promise<Buffer | undefined> {
    return this.inner.get(this.prefix + key);
  }
  put(key: string, value: Buffer): Promise<void> {
    return this.inner.put(this.prefix + key, value);
  }
  delete(key: string): Promise<void> {
    return this.inner.delete(this.prefix + key);
  }
  list(prefix: string): Promise<string[]> {
    return this.inner.list(this.prefix + prefix);
  }
  listPage(prefix: string, after: string, limit: number): Promise<string[]> {
    return this.inner.listPage(this.prefix + prefix, after, limit);
  }
  transaction(ops: readonly StorageOp[]): Promise<void> {
    return this.inner.transaction(ops.map((o) => ({ ...o, key: this.prefix + o.key })));
  }
  getParsed(key: string): Promise<unknown> {
    return getFrozenJson(this.inner, this.fullKey(key));
  }
  peekParsed(key: string): unknown {
    return this.inner.peekParsed?.(this.fullKey(key));
  }

  /** Hot reads repeat their keys: the full key is made (and hashed, below) once. */
  private fullKey(key: string): string {
    let full = this.fullKeys.get(key);
    if (full === undefined) {
      full = this.prefix + key;
      if (key.length > MAX_REMEMBERED_KEY_LENGTH) return full;
      if (this.fullKeys.size >= FULL_KEY_CACHE_SIZE) this.fullKeys.clear();
      this.fullKeys.set(key, full);
    }
    return full;
  }

  private readonly fullKeys = new Map<string, string>();
  async close(): Promise<void> {
    // A view does not own the storage beneath it.
  }
}

/** JSON helpers: most callers store small JSON documents. */
export async function getJson<T>(s: Storage, key: string): Promise<T | undefined> {
  const raw = await s.get(key);
  return raw === undefined ? undefined : (JSON.parse(raw.toString("utf8")) as T);
}

/** A JSON value read-only and deeply frozen, shared with other readers where the storage allows. */
export async function getFrozenJson<T>(s: Storage, key: string): Promise<DeepReadonly<T> | undefined> {
  if (s.getParsed !== undefined) return (await s.getParsed(key)) as DeepReadonly<T> | undefined;
  const value = await getJson<T>(s, key);
  return value === undefined ? undefined : (deepFreeze(value) as DeepReadonly<T>);
}

/** getFrozenJson's answer when the storage has it at hand (a cached parse), else undefined. */
export function peekFrozenJson<T>(s: Storage, key: string): DeepReadonly<T> | undefined {
  return (s.peekParsed?.(key) ?? undefined) as DeepReadonly<T> | undefined;
}

export type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export function putJson(s: Storage, key: string, value: unknown): Promise<void> {
  return s.put(key, Buffer.from(JSON.stringify(value), "utf8"));
}

export const jsonPut = (key: string, value: unknown): StorageOp => ({
  op: "put",
  key,
  value: Buffer.from(JSON.stringify(value), "utf8"),
});
