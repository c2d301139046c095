/**
 * Replaces every string inside request/response data with its HMAC, keeping the shape:
 * object keys stay readable, numbers, booleans and null stay as they are. This follows
 * Vault's `hashstructure` walker, with these deliberate choices:
 *  - a key listed in the mount's `audit_non_hmac_*_keys` leaves the strings directly under it
 *    in clear (also inside arrays and nested objects under that key, as Vault's walker does:
 *    it checks the innermost enclosing map key);
 *  - a `Date` becomes its ISO string in clear (Vault writes `time.Time` values unhashed);
 *  - a `Buffer`/`Uint8Array` becomes base64 and is then HMAC'd. Vault leaves `[]byte` as
 *    clear base64, which would leak binary secrets; we prefer not to.
 *  - anything with `toJSON` is walked as what it serialises to, so nothing reaches the log
 *    through a custom serialiser unhashed.
 */
export type HashFn = (value: string) => string;

export const keepClear: HashFn = (value) => value;

export function hashData(
  data: Readonly<Record<string, unknown>>,
  hash: HashFn,
  clearKeys?: ReadonlySet<string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(data)) {
    const v = walk(data[key], hash, clearKeys, key);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** One value as hashData writes it under `key`; undefined where JSON drops it. */
export function walk(value: unknown, hash: HashFn, clearKeys: ReadonlySet<string> | undefined, key: string): unknown {
  switch (typeof value) {
    case "string":
      return clearKeys?.has(key) ? value : hash(value);
    case "number":
    case "boolean":
      return value;
    case "bigint":
      return clearKeys?.has(key) ? value.toString() : hash(value.toString());
    case "object":
      break;
    default:
      return undefined; // undefined, function, symbol: JSON drops them too
  }
  if (value === null) return null;
  if (Array.isArray(value)) return value.map((el) => walk(el, hash, clearKeys, key) ?? null);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return walk(Buffer.from(value).toString("base64"), hash, clearKeys, key);
  if (value instanceof Map) return hashData(Object.fromEntries(value) as Record<string, unknown>, hash, clearKeys);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return walk(toJSON.call(value) as unknown, hash, clearKeys, key);
  return hashData(value as Record<string, unknown>, hash, clearKeys);
}

/**
 * `elide_list_responses`: a list response's `keys` becomes its count and `key_info` its
 * number of entries, so huge listings do not swell the log (Vault's behaviour; only those
 * two fields, and only when they have the expected shape). Returns a shallow copy.
 */
export function elideListData(data: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...data };
  if (Array.isArray(out.keys)) out.keys = out.keys.length;
  const info = out.key_info;
  if (info !== null && typeof info === "object" && !Array.isArray(info)) out.key_info = Object.keys(info).length;
  return out;
}
