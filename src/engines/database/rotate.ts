/**
 * Password rotation: the connection's root user (`rotate-root/<name>`, also reachable as
 * `config/<name>/rotate-root`) and static roles (`rotate-role/<name>` and the schedule).
 * Both write the new password to a WAL entry first, change it on the database, and only
 * then store it as current: a crash in between leaves the WAL, from which the next
 * attempt rolls forward (or, for the root, the next connection logs in).
 */
import { badRequest, internalError } from "../../framework/errors.js";
import type { Fields } from "../../framework/fields.js";
import { definePath, type PathDef, type Request, type Response } from "../../framework/types.js";
import type { Storage } from "../../storage/storage.js";
import { getJson, jsonPut, putJson } from "../../storage/storage.js";
import { engineError, errorMessage, optionalString } from "./connections.js";
import { parseCron } from "./cron.js";
import type { DatabaseEngine } from "./engine.js";
import {
  assertAllowed,
  getStaticRole,
  keys,
  putStaticRole,
  requireConfig,
  type RotationWal,
  type StaticRoleEntry,
} from "./store.js";

/** Vault retries a failed static rotation after 10 seconds. */
export const STATIC_RETRY_MS = 10_000;

const rootFields = { name: { type: "string", required: true, description: "Name of the connection." } } as const;
const roleFields = { name: { type: "string", required: true, description: "Name of the static role." } } as const;

const ROTATE_ROOT_HELP = `Give the connection's own user a new password that only Mayfly knows.

Mayfly generates a password (the connection's password_policy, else the default
generator), sets it with the connection's root_rotation_statements (or the plugin's
default), stores it in the connection's configuration and reopens the pool with it. The
connection must have username and password set, and for the SQL plugins connection_url
must use {{username}} and {{password}} so that the new password is the one used. After this, nobody can read the password from
Mayfly: keep another way into the database.

The new password is written to a write-ahead entry first. If the database took it but
Mayfly stopped before storing it, the next attempt reuses it, and a connection whose
stored password the database refuses is opened with it instead. Mayfly also serves this
at config/<name>/rotate-root.`;

const ROTATE_ROLE_HELP = `Rotate a static role's password now.

A rotation_period counts again from this rotation; a rotation_schedule keeps its times.
If the database refuses the change, the answer is an error and Mayfly keeps retrying in
the background every 10 seconds; the stored password changes only once the database took
the new one.`;

export function rotatePaths(engine: DatabaseEngine): PathDef[] {
  const rotateRootOp = { update: (req: Request, f: Fields<typeof rootFields>) => rotateRootHandler(engine, req, f) };
  return [
    definePath({ pattern: "rotate-root/:name", fields: rootFields, operations: rotateRootOp, help: ROTATE_ROOT_HELP }),
    definePath({ pattern: "config/:name/rotate-root", fields: rootFields, operations: rotateRootOp, help: ROTATE_ROOT_HELP }),
    definePath({
      pattern: "rotate-role/:name",
      fields: roleFields,
      operations: { update: (req, f) => rotateRoleHandler(engine, req, f) },
      help: ROTATE_ROLE_HELP,
    }),
  ];
}

async function rotateRootHandler(engine: DatabaseEngine, req: Request, f: Fields<typeof rootFields>): Promise<Response | undefined> {
  await rotateRootCredentials(engine, req.storage, f.values.name, req.nowMs);
  return undefined;
}

export async function rotateRootCredentials(engine: DatabaseEngine, storage: Storage, name: string, nowMs: number): Promise<void> {
  await engine.connections.withExclusive(name, async (conn) => {
    // Opening first lets an interrupted earlier rotation be adopted before this one starts.
    await requireConfig(storage, name);
    const plugin = await conn.get();
    const cfg = await requireConfig(storage, name);
    const username = optionalString(cfg.connection_details.username);
    if (!username) throw internalError("unable to rotate root credentials: no username in configuration");
    if (!optionalString(cfg.connection_details.password)) {
      throw internalError("unable to rotate root credentials: no password in configuration");
    }
    let wal = await getJson<RotationWal>(storage, keys.rootWal(name));
    if (!wal || wal.username !== username) {
      wal = { username, new_password: await generate(engine, cfg.password_policy), created_ms: nowMs };
      await putJson(storage, keys.rootWal(name), wal);
    }
    const newPassword = wal.new_password;
    try {
      await engine.connections.withDeadline(
        name,
        plugin,
        plugin.updateUser({ username, password: { newPassword, statements: cfg.root_credentials_rotate_statements } }),
      );
    } catch (err) {
      // The WAL stays: whether or not the database took the password, the next attempt
      // (or the next connection) can finish from it.
      throw engineError(err, "failed to update user");
    }
    const updated = { ...cfg, connection_details: { ...cfg.connection_details, password: newPassword } };
    await storage.transaction([jsonPut(keys.config(name), updated), { op: "delete", key: keys.rootWal(name) }]);
    // The pool logged in with the old password; the next use logs in with the new one.
    await conn.replace(undefined);
  });
}

async function rotateRoleHandler(engine: DatabaseEngine, req: Request, f: Fields<typeof roleFields>): Promise<Response | undefined> {
  const name = f.values.name;
  await engine.staticRoleLocks.run(name, async () => {
    const role = await getStaticRole(req.storage, name);
    if (!role) throw badRequest("no static role found for role name");
    try {
      const updated = await setStaticAccount(engine, req.storage, name, role, req.nowMs);
      engine.rotations.set(name, updated.next_vault_rotation_ms);
    } catch (err) {
      engine.rotations.set(name, req.nowMs + STATIC_RETRY_MS);
      throw internalError(
        `unable to finish rotating credentials; retries will continue in the background but it is also safe to retry manually: ${errorMessage(err)}`,
      );
    }
  });
  return undefined;
}

/**
 * Sets a new password for a static role's user and stores it (with the rotation time)
 * once the database confirmed. The caller holds the role's lock.
 */
export async function setStaticAccount(
  engine: DatabaseEngine,
  storage: Storage,
  roleName: string,
  role: StaticRoleEntry,
  nowMs: number,
): Promise<StaticRoleEntry> {
  const cfg = await requireConfig(storage, role.db_name);
  assertAllowed(cfg, roleName);
  const walKey = keys.staticWal(roleName);
  let wal = await getJson<RotationWal>(storage, walKey);
  if (!wal || wal.username !== role.username) {
    const policy = role.credential_config.password_policy || cfg.password_policy;
    wal = { username: role.username, new_password: await generate(engine, policy), created_ms: nowMs };
    await putJson(storage, walKey, wal);
  }
  const newPassword = wal.new_password;
  try {
    await engine.connections.withShared(role.db_name, (plugin) =>
      plugin.updateUser({ username: role.username, password: { newPassword, statements: role.rotation_statements } }),
    );
  } catch (err) {
    throw engineError(err, "error setting credentials");
  }
  const updated: StaticRoleEntry = {
    ...role,
    password: newPassword,
    last_vault_rotation_ms: nowMs,
    next_vault_rotation_ms: nextRotationMs(role, nowMs),
  };
  await storage.transaction([jsonPut(keys.staticRole(roleName), updated), { op: "delete", key: walKey }]);
  return updated;
}

/**
 * The scheduler's step for one role: rotate it if due, skip a schedule whose window has
 * passed (as Vault does), and say when to look again. Undefined means the role is gone.
 */
export async function rotateIfDue(engine: DatabaseEngine, roleName: string, nowMs: number): Promise<number | undefined> {
  return engine.staticRoleLocks.run(roleName, async () => {
    const role = await getStaticRole(engine.storage, roleName);
    if (!role) return undefined;
    const pendingWal = (await engine.storage.get(keys.staticWal(roleName))) !== undefined;
    if (role.next_vault_rotation_ms > nowMs && !pendingWal) return role.next_vault_rotation_ms;
    if (role.rotation_schedule !== "" && role.rotation_window_seconds > 0 && !pendingWal) {
      if (nowMs >= role.next_vault_rotation_ms + role.rotation_window_seconds * 1000) {
        const next = nextRotationMs(role, nowMs);
        await putStaticRole(engine.storage, roleName, { ...role, next_vault_rotation_ms: next });
        return next;
      }
    }
    try {
      const updated = await setStaticAccount(engine, engine.storage, roleName, role, nowMs);
      return updated.next_vault_rotation_ms;
    } catch (err) {
      engine.system.logger.warn("database: static role rotation failed; will retry", {
        role: roleName,
        error: errorMessage(err),
      });
      return nowMs + STATIC_RETRY_MS;
    }
  });
}

/** When a role rotated at `fromMs` is next due. */
export function nextRotationMs(role: StaticRoleEntry, fromMs: number): number {
  if (role.rotation_schedule !== "") {
    const next = parseCron(role.rotation_schedule).next(fromMs);
    // A schedule with no date in the next five years (refused on write) waits that long.
    return next ?? fromMs + 5 * 365 * 86_400_000;
  }
  return fromMs + role.rotation_period_seconds * 1000;
}

/** Seconds until the current password is rotated away (Vault's CredentialTTL). */
export function credentialTtlSeconds(role: StaticRoleEntry, nowMs: number): number {
  const next = role.rotation_schedule !== "" ? nextRotationMs(role, nowMs) : role.last_vault_rotation_ms + role.rotation_period_seconds * 1000;
  return Math.max(0, Math.round((next - nowMs) / 1000));
}

async function generate(engine: DatabaseEngine, policy: string): Promise<string> {
  try {
    return await engine.system.generatePassword(policy);
  } catch (err) {
    throw engineError(err, "failed to generate password");
  }
}
