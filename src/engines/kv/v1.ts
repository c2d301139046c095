/** KV version 1: `<mount>/<any/key>` read, write, delete, list. */
import { parseDurationSeconds } from "../../framework/duration.js";
import type { MountInfo, PathDef } from "../../framework/types.js";
import type { Storage } from "../../storage/storage.js";
import { passthroughPaths } from "./passthrough.js";

const KEY_HELP = `Write, read, list and delete secrets in an unversioned key/value store.

A write stores the request body as the secret at this path, replacing whatever was there:
any keys, with any JSON values (an empty body is refused). A read returns the body as it
was written. There are no versions: an overwrite or a delete cannot be undone.

A listing returns the keys and the folders (ending in "/") directly under the path; a
path with nothing under it answers 404.

A read's lease_duration is a hint for how often to read again, not a lease: the secret's
own ttl field (or lease field) when it holds a duration such as "1h", else the mount's
default lease TTL. Nothing expires and nothing is revoked.`;

const ROOT_HELP = `List the top-level keys and folders of an unversioned key/value store.

At the mount's root only a listing means anything: a read answers 404, a write is refused
(missing path) and a delete does nothing. Secrets live at paths under the mount.`;

export function kvV1Paths(storage: Storage): PathDef[] {
  return passthroughPaths({
    storage,
    prefixFor: () => "",
    rootIsError: false,
    refreshSeconds: (data, req) => v1RefreshIntervalSeconds(data, req.mount),
    help: { root: ROOT_HELP, key: KEY_HELP, path: "Location of the secret." },
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
