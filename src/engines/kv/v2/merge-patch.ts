/** JSON merge patch (RFC 7396), which Vault applies for PATCH on KV v2 data. */

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Returns `target` with `patch` merged in: null removes a key, objects merge recursively,
 * anything else replaces. Neither input is modified.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete out[k];
      continue;
    }
    const current = Object.hasOwn(out, k) ? out[k] : undefined;
    // defineProperty, not assignment: a key named "__proto__" must stay a plain key.
    Object.defineProperty(out, k, { value: mergePatch(current, v), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
