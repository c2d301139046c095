import type { ResponseWrapInfo } from "../../framework/types.js";

/**
 * Unix milliseconds as Go's RFC3339Nano prints a UTC time: the fraction loses its
 * trailing zeros, and the dot too on a whole second ("2024-01-01T10:00:00.25Z").
 */
export function rfc3339Nano(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.replace(/\.?0+Z$/, "Z");
}

/** The envelope's `wrap_info` (Vault's HTTPWrapInfo: `wrapped_accessor` only when set). */
export function wrapInfoJson(w: ResponseWrapInfo): Record<string, unknown> {
  return {
    token: w.token,
    accessor: w.accessor,
    ttl: w.ttlSeconds,
    creation_time: rfc3339Nano(w.creationTimeMs),
    creation_path: w.creationPath,
    ...(w.wrappedAccessor !== "" ? { wrapped_accessor: w.wrappedAccessor } : {}),
  };
}
