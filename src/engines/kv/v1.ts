/** KV version 1: `<mount>/<any/key>` read, write, delete, list. */
import { parseDurationSeconds } from "../../framework/duration.js";
import type { MountInfo, PathDef } from "../../framework/types.js";
import type { Storage } from "../../storage/storage.js";
import { passthroughPaths } from "./passthrough.js";

export function kvV1Paths(storage: Storage): PathDef[] {
  return passthroughPaths({
    storage,
    prefixFor: () => "",
    rootIsError: false,
    refreshSeconds: (data, req) => v1RefreshIntervalSeconds(data, req.mount),
  });
}

/**
 * The `lease_duration` Vault's KV v1 puts in a read's envelope without creating a lease:
 * the secret's own `ttl` (or legacy `lease`) field when it parses as a duration, else the
 * mount's default lease TTL. Clients treat it as a hint to re-read (`refresh_interval`).
 */
export function v1RefreshIntervalSeconds(data: Readonly<Record<string, unknown>>, mount: MountInfo): number {
  const raw = "ttl" in data ? data.ttl : data.lease;
  if (typeof raw === "string" || typeof raw === "number") {
    try {
      return parseDurationSeconds(raw);
    } catch {
      // An unparsable hint falls back to the mount's default, as Vault does.
    }
  }
  return mount.defaultLeaseTtlSeconds();
}
