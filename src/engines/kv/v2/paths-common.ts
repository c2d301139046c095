/** What every KV v2 path group shares: finding the secret's key, and Vault's 404 shapes. */
import { MayflyError, badRequest } from "../../../framework/errors.js";
import type { Operation, Request, Response } from "../../../framework/types.js";

const ROOTS = new Set(["metadata", "data", "delete", "undelete", "destroy"]);

const CLI_VERB: Record<Operation, string> = {
  create: "put",
  update: "put",
  patch: "patch",
  read: "get",
  list: "list",
  delete: "delete",
};

/**
 * Vault's answer to a path KV v2 does not serve (`secret/foo` on a v2 mount, `data/x/`):
 * a 404 with a warning that points at the versioned API or the `kv` command.
 */
export function invalidPath(req: Request): Response {
  const warning =
    ROOTS.has(req.relativePath) && req.operation !== "list"
      ? "Non-listing operations on the root of a K/V v2 mount are not supported."
      : "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API " +
        `endpoints to use. If using the Vault CLI, use 'vault kv ${CLI_VERB[req.operation]}' for this operation.`;
  return { data: null, warnings: [warning], status: 404 };
}

/**
 * The secret's key inside a group (`data/a/b` -> `a/b`). Taken from the path, not the
 * parsed `path` field: on a group root no capture exists and a body key could stand in.
 */
export function keyIn(req: Request, group: string): string {
  const rel = req.relativePath;
  return rel.length > group.length + 1 ? rel.slice(group.length + 1) : "";
}

/** The group root itself (`data`, `metadata`) rather than something under it. */
export function isGroupRoot(req: Request, group: string): boolean {
  return req.relativePath === group;
}

export function missingPath(): MayflyError {
  return badRequest("missing path");
}

/**
 * A 404 whose envelope still carries `data` (a deleted or destroyed version's metadata).
 * The HTTP layer serves `error.data` as the envelope's `data` with status 404 and no
 * `errors` key, which is what Vault sends and what `vault kv get` prints.
 */
export function notFoundWithData(data: Record<string, unknown>): MayflyError {
  return new MayflyError(404, [], data);
}

/**
 * `options.cas` decoded loosely as Vault's mapstructure does: numbers (truncated), numeric
 * strings, booleans, and null or "" as 0. Anything else is undefined (a 400).
 */
export function weakInteger(raw: unknown): number | undefined {
  if (raw === null || raw === undefined) return 0;
  if (typeof raw === "boolean") return raw ? 1 : 0;
  if (typeof raw === "number") return Number.isFinite(raw) ? Math.trunc(raw) : undefined;
  if (typeof raw === "string") {
    const s = raw.trim();
    if (s === "") return 0;
    if (/^[+-]?\d+$/.test(s) && Number.isSafeInteger(Number(s))) return Number(s);
  }
  return undefined;
}
