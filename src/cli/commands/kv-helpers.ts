/**
 * What every `kv` command shares (command/kv_helpers.go): the preflight that finds the
 * mount and its KV version, the v2 path rewriting (`secret/foo` -> `secret/data/foo`),
 * and the "== Secret Path ==" banners of table output.
 */
import { posix } from "node:path";
import { toApiError, type VaultClient } from "../http-client.js";
import { parseSecret } from "../secret.js";
import { sanitizePath, type Ctx } from "../command.js";
import { DataArgError, parseDataArgs } from "../data-args.js";
import { padEqualSigns } from "../gofmt.js";
import type { FlagSpec } from "../flags.js";

export const mountFlag: FlagSpec = {
  name: "mount",
  kind: "string",
  usage:
    "Path where the KV engine is mounted. When given, the next argument is the secret's path inside the mount; otherwise the argument is the mount and secret path together, and /data/ is added for KV v2.",
};

export const versionsFlag: FlagSpec = {
  name: "versions",
  kind: "strings",
  usage: "Comma-separated version numbers; may be repeated.",
};

/** Go's path.Join: cleaned, no trailing slash, "" when everything is empty. */
export function pathJoin(...parts: string[]): string {
  const nonEmpty = parts.filter((p) => p !== "");
  if (nonEmpty.length === 0) return "";
  const joined = posix.normalize(nonEmpty.join("/"));
  return joined.length > 1 ? joined.replace(/\/+$/, "") : joined;
}

/** kvPreflightVersionRequest: the mount holding `path` and its KV version (1 when unknown). */
export async function kvPreflight(client: VaultClient, path: string): Promise<{ mountPath: string; version: 1 | 2 }> {
  // Never wrapped: the CLI reads this answer itself (kvPreflightVersionRequest clears the wrapping).
  const res = await client.raw("GET", `sys/internal/ui/mounts/${path}`, { noWrap: true });
  // An old server without the endpoint: treat as v1, as Vault's CLI does.
  if (res.status === 404) return { mountPath: "", version: 1 };
  if (res.status >= 400) throw toApiError(res);
  const secret = parseSecret(res.body);
  if (secret === null) throw new Error("nil response from pre-flight request");
  const data = secret.data ?? {};
  const mountPath = typeof data["path"] === "string" ? data["path"] : "";
  const options = data["options"];
  if (options === null || typeof options !== "object") return { mountPath, version: 1 };
  // Vault's CLI asserts a string here; we also accept a number so a lenient server works.
  const version = (options as Record<string, unknown>)["version"];
  return { mountPath, version: version === "2" || version === 2 ? 2 : 1 };
}

/** addPrefixToKVPath: `secret/foo` under mount `secret/` -> `secret/<prefix>/foo`. */
export function addPrefixToKvPath(p: string, mountPath: string, apiPrefix: string): string {
  if (p === mountPath || p === mountPath.replace(/\/$/, "")) return pathJoin(mountPath, apiPrefix);
  const rest = p.startsWith(mountPath) ? p.slice(mountPath.length) : p;
  return pathJoin(mountPath, apiPrefix, rest);
}

export interface KvTarget {
  v2: boolean;
  mountPath: string;
  /** The mount-relative form (for v2: mount joined with the secret path). */
  partialPath: string;
  /** The API path for `apiPrefix` (v2) or the plain path (v1). */
  fullPath: string;
}

/**
 * Resolves a kv command's path argument, honouring -mount. Throws the preflight's API
 * error, which callers report with exit 2.
 */
export async function resolveKv(ctx: Ctx, client: VaultClient, arg: string, apiPrefix: string): Promise<KvTarget> {
  const mount = ctx.flags.str("mount");
  let partialPath = sanitizePath(arg);
  let preflight;
  if (mount !== "") {
    preflight = await kvPreflight(client, sanitizePath(mount));
    const mountPath = preflight.mountPath || sanitizePath(mount) + "/";
    if (preflight.version === 2) partialPath = pathJoin(mountPath, partialPath);
    preflight = { ...preflight, mountPath };
  } else {
    preflight = await kvPreflight(client, partialPath);
  }
  const v2 = preflight.version === 2;
  let fullPath: string;
  if (v2) fullPath = addPrefixToKvPath(partialPath, preflight.mountPath, apiPrefix);
  else fullPath = mount !== "" ? pathJoin(preflight.mountPath, partialPath) : partialPath;
  return { v2, mountPath: preflight.mountPath, partialPath, fullPath };
}

/** outputPath: "== Secret Path ==" and the path, then a blank line. */
export function outputPath(ctx: Ctx, path: string, title: string): void {
  ctx.ui.info(padEqualSigns(title, path.length));
  ctx.ui.info(path);
  ctx.ui.info("");
}

/** -versions values split on commas (kvParseVersionsFlags). */
export function parseVersions(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(",").map((s) => s.trim())).filter((s) => s !== "");
}

export async function kvData(ctx: Ctx, args: string[]): Promise<Record<string, unknown> | number> {
  try {
    return await parseDataArgs(args, { stdin: ctx.io.stdin });
  } catch (err) {
    if (err instanceof DataArgError) {
      ctx.ui.error(`Failed to parse K=V data: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

export function asMap(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}
