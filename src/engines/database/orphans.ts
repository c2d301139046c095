/**
 * Mayfly's orphan sweep: users on the target whose names carry this mount's username
 * prefix but whom no live lease accounts for. Every user the engine creates is written
 * to `usernames/<db>/<user>` before it exists and removed only after the target
 * confirmed its drop, so a user with the prefix is an orphan when it has no entry (made
 * behind the engine's back, or left by a lost database restore), or when its entry's
 * lease ended a while ago and the user is still there, or a `revoke-force` dropped its lease.
 * `GET orphans/<name>` reports; a write with `drop=true` drops them.
 */
import { badRequest, notFound } from "../../framework/errors.js";
import type { Fields } from "../../framework/fields.js";
import { definePath, type PathDef, type Request, type Response } from "../../framework/types.js";
import type { Storage } from "../../storage/storage.js";
import { getJson } from "../../storage/storage.js";
import { engineError, errorMessage, optionalString } from "./connections.js";
import type { DatabaseEngine } from "./engine.js";
import type { UsernameTemplate } from "./username-template.js";
import { getConfig, getStaticRole, keys, type UsernameIndexEntry } from "./store.js";

/** A lease's user outliving its end by more than this counts as left behind. */
export const EXPIRED_GRACE_MS = 60_000;

const orphanFields = {
  name: { type: "string", required: true, description: "Name of the connection to sweep." },
  /** Overrides the prefix derived from the username template. */
  prefix: {
    type: "string",
    description: "Start of the usernames to look at, taken literally. Default: what every name the connection's username_template renders starts with; needed when the template starts with a variable.",
  },
  drop: { type: "bool", default: false, description: "On a write: drop the orphans found, with the plugin's default revocation (default false: report only)." },
} as const;

const ORPHANS_HELP = `Find, and on request drop, users this mount made that no live lease accounts for.

This path is Mayfly's own; Vault has no such path. The sweep lists the users on the
connection whose names start with the prefix and reports each orphan with its reason:
  no_lease      Mayfly has no record of it: made outside Mayfly, or left by a
                restored database backup
  lease_ended   its lease ended more than a minute ago and the user is still there
  lease_forced  its lease was dropped by sys/leases/revoke-force
The connection's own username and the static roles' users are never reported.

A read reports. A write with drop=true drops the orphans (checking each again first) and
adds dropped and, if any drop failed, errors to the answer. The answer holds prefix,
orphans (the names) and details (username and reason of each). Two mounts that share a
database and a username prefix see each other's users as orphans: give each its own
username_template.`;

export interface Orphan {
  username: string;
  reason: "no_lease" | "lease_ended" | "lease_forced";
}

export function orphanPaths(engine: DatabaseEngine): PathDef[] {
  return [
    definePath({
      pattern: "orphans/:name",
      fields: orphanFields,
      operations: {
        read: (req, f) => sweepHandler(engine, req, f, false),
        update: (req, f) => sweepHandler(engine, req, f, f.values.drop),
      },
      help: ORPHANS_HELP,
    }),
  ];
}

/**
 * The fixed start every name the template renders shares: rendered for several display
 * and role names, twice each (so random parts differ), and cut to the common prefix.
 */
export function fixedUsernamePrefix(template: UsernameTemplate): string {
  const samples = [
    { displayName: "", roleName: "" },
    { displayName: "a", roleName: "b" },
    { displayName: "Zq9", roleName: "Xw8" },
    { displayName: "token", roleName: "readonly" },
  ];
  let prefix: string | undefined;
  for (const s of samples) {
    for (let i = 0; i < 2; i++) {
      const name = template.generate(s);
      prefix = prefix === undefined ? name : commonPrefix(prefix, name);
    }
  }
  return prefix ?? "";
}

function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i);
}

async function sweepHandler(
  engine: DatabaseEngine,
  req: Request,
  f: Fields<typeof orphanFields>,
  drop: boolean,
): Promise<Response> {
  const name = f.values.name;
  // Mayfly's own endpoint: an unknown connection is simply not found.
  const cfg = await getConfig(req.storage, name);
  if (!cfg) throw notFound(`no connection named "${name}"`);
  const prefix = f.values.prefix || fixedUsernamePrefix(engine.connections.usernameTemplate(cfg));
  if (prefix === "") {
    throw badRequest(
      `the username template of "${name}" has no fixed prefix, so the sweep cannot tell this mount's users from others; pass prefix=<the start of every generated name>`,
    );
  }
  let users: string[];
  try {
    users = await engine.connections.withShared(name, (plugin) => plugin.listUsers(prefix));
  } catch (err) {
    throw engineError(err, "unable to list users");
  }
  // Read the index after listing: a user is indexed before it exists, so none created
  // meanwhile can be mistaken for an orphan.
  const keep = new Set(await staticUsernames(req.storage, name));
  const root = optionalString(cfg.connection_details.username);
  if (root) keep.add(root);
  const orphans: Orphan[] = [];
  for (const username of users) {
    if (keep.has(username)) continue;
    const reason = await orphanReason(req.storage, name, username, req.nowMs);
    if (reason) orphans.push({ username, reason });
  }

  const data: Record<string, unknown> = {
    prefix,
    orphans: orphans.map((o) => o.username),
    details: orphans,
  };
  if (drop) {
    const dropped: string[] = [];
    const errors: string[] = [];
    for (const o of orphans) {
      // A lease may have been issued for the name since the listing.
      if (!(await orphanReason(req.storage, name, o.username, engine.system.nowMs()))) continue;
      try {
        await engine.connections.withShared(name, (plugin) => plugin.deleteUser({ username: o.username, statements: [] }));
        await req.storage.delete(keys.username(name, o.username));
        dropped.push(o.username);
      } catch (err) {
        errors.push(`${o.username}: ${errorMessage(err)}`);
      }
    }
    data.dropped = dropped;
    if (errors.length) data.errors = errors;
  }
  return { data };
}

async function orphanReason(storage: Storage, db: string, username: string, nowMs: number): Promise<Orphan["reason"] | undefined> {
  const entry = await getJson<UsernameIndexEntry>(storage, keys.username(db, username));
  if (!entry) return "no_lease";
  if (entry.forgotten_ms !== undefined) return "lease_forced";
  return entry.expires_ms + EXPIRED_GRACE_MS < nowMs ? "lease_ended" : undefined;
}

async function staticUsernames(storage: Storage, db: string): Promise<string[]> {
  const out: string[] = [];
  for (const roleName of await storage.list(keys.staticRolePrefix)) {
    const role = await getStaticRole(storage, roleName);
    if (role && role.db_name === db) out.push(role.username);
  }
  return out;
}
