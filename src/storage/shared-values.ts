/**
 * Values that readers share: parses of stored records, deeply frozen, that the barrier's
 * read cache hands to every read of a key until it is written. Because they cannot change,
 * what is derived from them (their JSON, their audit rendering) is remembered with them and
 * dies with them.
 *
 * Only values frozen here count as shared: a value frozen elsewhere may be frozen only at
 * the top, and a change below would make a remembered rendering stale.
 */
interface Renderings {
  json: string | undefined;
  /**
   * One rendering per owner (an audit device), under the variant it was made for. Weak: a
   * disabled device (and its HMAC key) is not kept alive by the values it rendered.
   */
  derived: WeakMap<object, { variant: string; value: unknown }> | undefined;
}

// Keyed by long-lived values (a cache entry's parse), never by per-request objects: V8's
// young-generation collector keeps a WeakMap's values alive while it runs.
const roots = new WeakMap<object, Renderings>();

/** Freezes `value` and everything in it, and registers it as shared. */
export function shareFrozen<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    deepFreeze(value);
    roots.set(value, { json: undefined, derived: undefined });
  }
  return value;
}

/** Freezes `value` and everything in it, without sharing it (a value only one reader holds). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const k of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[k]);
  }
  return value;
}

export function isShared(value: unknown): value is object {
  return typeof value === "object" && value !== null && roots.has(value);
}

/** `JSON.stringify(value)` of a shared value, made once. */
export function sharedJson(value: object): string {
  const r = roots.get(value);
  if (r === undefined) return JSON.stringify(value);
  if (r.json === undefined) r.json = JSON.stringify(value);
  return r.json;
}

/**
 * What `make` derives from a shared value for `owner` in `variant`, made once per owner
 * and variant (the last variant asked for is kept).
 */
export function sharedDerived<T>(value: object, owner: object, variant: string, make: () => T): T {
  const r = roots.get(value);
  if (r === undefined) return make();
  r.derived ??= new WeakMap();
  const hit = r.derived.get(owner);
  if (hit !== undefined && hit.variant === variant) return hit.value as T;
  const made = make();
  r.derived.set(owner, { variant, value: made });
  return made;
}

/**
 * JSON of a plain object whose values may be shared: the shared ones are rendered by
 * `shared`, the rest by `other` (undefined drops the key, as JSON.stringify does). Returns
 * undefined when `obj` holds no shared value, or is not a plain object, so the caller can
 * use one JSON.stringify instead.
 */
export function jsonAroundShared(
  obj: Readonly<Record<string, unknown>>,
  shared: (value: object, key: string) => string,
  other: (value: unknown, key: string) => string | undefined,
): string | undefined {
  if (Array.isArray(obj) || typeof (obj as { toJSON?: unknown }).toJSON === "function") return undefined;
  const keys = Object.keys(obj);
  let any = false;
  for (const k of keys) if (isShared(obj[k])) any = true;
  if (!any) return undefined;
  let out = "";
  for (const k of keys) {
    const v = obj[k];
    const text = isShared(v) ? shared(v, k) : other(v, k);
    if (text === undefined) continue;
    out += `${out === "" ? "" : ","}${JSON.stringify(k)}:${text}`;
  }
  return `{${out}}`;
}
