/**
 * `static-roles/<name>` map one existing database user to a password the engine rotates
 * on a period or a cron schedule; `static-creds/<name>` reads the current password.
 */
import { badRequest, notFound } from "../../framework/errors.js";
import type { Fields } from "../../framework/fields.js";
import { definePath, type PathDef, type Request, type Response } from "../../framework/types.js";
import { CronError, parseCron } from "./cron.js";
import type { DatabaseEngine } from "./engine.js";
import { passwordStatementsField, STATEMENTS_HELP } from "./help-text.js";
import { credentialTtlSeconds, nextRotationMs, setStaticAccount } from "./rotate.js";
import { validateCredentialConfig } from "./roles.js";
import {
  assertAllowed,
  getConfig,
  getRole,
  getStaticRole,
  keys,
  listKeys,
  putStaticRole,
  requireConfig,
  type StaticRoleEntry,
} from "./store.js";

/** Vault's rotation queue ticks every 5 s; shorter periods could not be honoured. */
export const MIN_ROTATION_PERIOD_SECONDS = 5;
export const MIN_ROTATION_WINDOW_SECONDS = 3600;

export const staticRoleFields = {
  name: { type: "string", required: true, description: "Name of the static role; static-creds/<name> reads its password. Dynamic and static roles share one set of names." },
  db_name: { type: "string", description: "The connection the user lives on; required. Its allowed_roles must admit this role." },
  username: {
    type: "string",
    description: "The existing database user whose password the role manages. Required on create; cannot be changed afterwards (an update may leave it out).",
  },
  rotation_period: {
    type: "duration",
    description: `Rotate the password this long after the previous rotation (at least ${MIN_ROTATION_PERIOD_SECONDS}s). A create needs this or rotation_schedule, not both; an update that sets one drops the other.`,
  },
  rotation_schedule: {
    type: "string",
    description: 'Rotate at the times of a five-field cron expression (minute hour day-of-month month day-of-week, with *, ?, lists, ranges, steps and JAN-DEC / SUN-SAT names), evaluated in UTC; e.g. "0 3 * * SUN".',
  },
  rotation_window: {
    type: "duration",
    description: `With rotation_schedule only: how long after a scheduled time a rotation may still start (at least ${MIN_ROTATION_WINDOW_SECONDS / 3600}h). A rotation that could not happen inside its window waits for the next scheduled time. Unset: no limit.`,
  },
  rotation_statements: { type: "strings", description: passwordStatementsField("Statements that set the user's new password at each rotation") },
  credential_type: { type: "string", default: "password", description: "Kind of credential: only password (the default) for static roles." },
  credential_config: {
    type: "string-map",
    description: "Settings of the credential type, as an object or k=v pairs. For password the only key is password_policy: the password policy for this role's passwords, used instead of the connection's.",
  },
  skip_import_rotation: {
    type: "bool",
    description: "On create only: keep the user's current password until the first scheduled rotation instead of rotating it at once. Defaults to the connection's skip_static_role_import_rotation. Mayfly never learns the current password, so static-creds returns an empty one until then.",
  },
} as const;

const nameFields = { name: { type: "string", required: true, description: "Name of the static role." } } as const;

const STATIC_ROLE_HELP = `Manage static roles: existing database users whose passwords Mayfly rotates.

Each static role rotates on a period (rotation_period) or on a cron schedule
(rotation_schedule). Creating one rotates the user's password at once (unless
skip_import_rotation), so that from then on only Mayfly knows it; the create fails, and
stores nothing, if that rotation fails. The connection's allowed_roles must admit the
role. A write to an existing role changes only what it sends, and a new period or
schedule counts from the last rotation.

Mayfly rotates each role when it is due and retries a failed rotation every 10 seconds.
Each rotation writes the new password to a write-ahead entry before it changes the
database, so an interrupted rotation is finished, with the same password, by the next
attempt. A read returns db_name, username, rotation_statements, credential_type,
last_vault_rotation and rotation_period, or rotation_schedule (and rotation_window).
Deleting the role stops the rotations and leaves the user and its password as they are.

${STATEMENTS_HELP}`;

const STATIC_CREDS_HELP = `Read the current username and password of a static role.

The answer holds username, password, last_vault_rotation, ttl (seconds until the next
rotation) and rotation_period, or rotation_schedule (and rotation_window). There is no
lease: the password stays valid until the next rotation (see rotate-role/<name>). The
connection's allowed_roles must admit the role.`;

export function staticRolePaths(engine: DatabaseEngine): PathDef[] {
  return [
    definePath({
      pattern: "static-roles/",
      operations: { list: async (req) => listKeys(req.storage, keys.staticRolePrefix) },
      help: "List the names of the static roles.\n\nAn engine with no static role answers 404.",
    }),
    definePath({
      pattern: "static-roles/:name",
      fields: staticRoleFields,
      existenceCheck: async (req, f) => (await getStaticRole(req.storage, f.values.name)) !== undefined,
      operations: {
        read: readStaticRole,
        create: (req, f) => writeStaticRole(engine, req, f),
        update: (req, f) => writeStaticRole(engine, req, f),
        delete: (req, f) => deleteStaticRole(engine, req, f),
      },
      help: STATIC_ROLE_HELP,
    }),
    definePath({
      pattern: "static-creds/:name",
      fields: nameFields,
      operations: { read: readStaticCreds },
      help: STATIC_CREDS_HELP,
    }),
  ];
}

async function readStaticRole(req: Request, f: Fields<typeof staticRoleFields>): Promise<Response | undefined> {
  const role = await getStaticRole(req.storage, f.values.name);
  if (!role) throw notFound();
  const data: Record<string, unknown> = {
    db_name: role.db_name,
    username: role.username,
    rotation_statements: role.rotation_statements,
    credential_type: role.credential_type,
  };
  if (role.last_vault_rotation_ms > 0) data.last_vault_rotation = new Date(role.last_vault_rotation_ms).toISOString();
  Object.assign(data, rotationFields(role));
  if (Object.keys(role.credential_config).length > 0) data.credential_config = role.credential_config;
  return { data };
}

/** Only the one of period or schedule (with its window) that the role uses. */
function rotationFields(role: StaticRoleEntry): Record<string, unknown> {
  if (role.rotation_schedule === "") return { rotation_period: role.rotation_period_seconds };
  const out: Record<string, unknown> = { rotation_schedule: role.rotation_schedule };
  if (role.rotation_window_seconds > 0) out.rotation_window = role.rotation_window_seconds;
  return out;
}

async function writeStaticRole(engine: DatabaseEngine, req: Request, f: Fields<typeof staticRoleFields>): Promise<Response | undefined> {
  const name = f.values.name;
  return engine.staticRoleLocks.run(name, async () => {
    if (await getRole(req.storage, name)) throw badRequest("Role and Static Role names must be unique");
    const existing = await getStaticRole(req.storage, name);
    const creating = existing === undefined;
    const role: StaticRoleEntry = existing
      ? structuredClone(existing)
      : {
          db_name: "",
          username: "",
          password: "",
          rotation_period_seconds: 0,
          rotation_schedule: "",
          rotation_window_seconds: 0,
          rotation_statements: [],
          credential_type: "password",
          credential_config: {},
          last_vault_rotation_ms: 0,
          next_vault_rotation_ms: 0,
        };
    if (f.has("db_name")) role.db_name = f.values.db_name;
    if (role.db_name === "") throw badRequest("database name is a required field");

    const username = f.values.username;
    if (creating && username === "") throw badRequest("username is a required field to create a static account");
    if (username !== "") {
      if (!creating && role.username !== username) throw badRequest("cannot update static account username");
      role.username = username;
    }

    const applied = applyRotationSettings(role, f, creating, req.nowMs);

    if (f.has("rotation_statements")) role.rotation_statements = f.values.rotation_statements;
    if (f.has("credential_type") && f.values.credential_type !== "password") {
      throw badRequest(`credential_type "${f.values.credential_type}" is not supported for static roles; only "password" is`);
    }
    if (f.has("credential_config")) role.credential_config = validateCredentialConfig(f.values.credential_config);

    if (creating) {
      const cfg = await getConfig(req.storage, role.db_name);
      const skip = f.has("skip_import_rotation") ? f.values.skip_import_rotation : (cfg?.skip_static_role_import_rotation ?? false);
      let stored: StaticRoleEntry;
      if (skip) {
        assertAllowed(await requireConfig(req.storage, role.db_name), name);
        role.last_vault_rotation_ms = req.nowMs;
        role.next_vault_rotation_ms = nextRotationMs(role, req.nowMs);
        await putStaticRole(req.storage, name, role);
        stored = role;
      } else {
        try {
          stored = await setStaticAccount(engine, req.storage, name, role, req.nowMs);
        } catch (err) {
          // Nothing was stored for the role; its WAL must not outlive it.
          await req.storage.delete(keys.staticWal(name));
          throw err;
        }
      }
      engine.rotations.set(name, stored.next_vault_rotation_ms);
      return undefined;
    }
    if (applied) role.next_vault_rotation_ms = nextRotationMs(role, role.last_vault_rotation_ms || req.nowMs);
    await putStaticRole(req.storage, name, role);
    engine.rotations.set(name, role.next_vault_rotation_ms);
    return undefined;
  });
}

/** Vault's rules for rotation_period, rotation_schedule and rotation_window. Returns whether either changed. */
function applyRotationSettings(role: StaticRoleEntry, f: Fields<typeof staticRoleFields>, creating: boolean, nowMs: number): boolean {
  const period = f.getOk("rotation_period");
  const schedule = f.values.rotation_schedule;
  const windowSeconds = f.getOk("rotation_window");
  if (schedule !== "" && period !== undefined) {
    throw badRequest("mutually exclusive fields rotation_period and rotation_schedule were both specified; only one of them can be provided");
  }
  if (creating && schedule === "" && period === undefined) {
    throw badRequest("one of rotation_schedule or rotation_period must be provided to create a static account");
  }
  if (period !== undefined) {
    if (period < MIN_ROTATION_PERIOD_SECONDS) throw badRequest(`rotation_period must be ${MIN_ROTATION_PERIOD_SECONDS} seconds or more`);
    if (windowSeconds !== undefined) throw badRequest("rotation_window is invalid with use of rotation_period");
    role.rotation_period_seconds = period;
    role.rotation_schedule = "";
    role.rotation_window_seconds = 0;
    return true;
  }
  if (schedule !== "") {
    let cron;
    try {
      cron = parseCron(schedule);
    } catch (err) {
      if (err instanceof CronError) throw badRequest(`could not parse rotation_schedule: ${err.message}`);
      throw err;
    }
    if (cron.next(nowMs) === undefined) throw badRequest(`rotation_schedule "${schedule}" never matches a date`);
    if (windowSeconds !== undefined) {
      if (windowSeconds < MIN_ROTATION_WINDOW_SECONDS) {
        throw badRequest(`rotation_window is invalid: rotation_window must be ${MIN_ROTATION_WINDOW_SECONDS} seconds or more`);
      }
      role.rotation_window_seconds = windowSeconds;
    }
    role.rotation_schedule = cron.source;
    role.rotation_period_seconds = 0;
    return true;
  }
  return false;
}

async function deleteStaticRole(engine: DatabaseEngine, req: Request, f: Fields<typeof staticRoleFields>): Promise<Response | undefined> {
  const name = f.values.name;
  await engine.staticRoleLocks.run(name, async () => {
    engine.rotations.delete(name);
    await req.storage.transaction([
      { op: "delete", key: keys.staticRole(name) },
      { op: "delete", key: keys.staticWal(name) },
    ]);
  });
  return undefined;
}

async function readStaticCreds(req: Request, f: Fields<typeof nameFields>): Promise<Response> {
  const name = f.values.name;
  const role = await getStaticRole(req.storage, name);
  if (!role) throw badRequest(`unknown role: ${name}`);
  assertAllowed(await requireConfig(req.storage, role.db_name), name);
  return {
    data: {
      username: role.username,
      password: role.password,
      last_vault_rotation: new Date(role.last_vault_rotation_ms).toISOString(),
      ttl: credentialTtlSeconds(role, req.nowMs),
      ...rotationFields(role),
    },
  };
}
