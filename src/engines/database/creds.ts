/**
 * `creds/<role>`: a new database user per request, under a lease. The username is chosen
 * before the lease manager records its intent, so recovery after a crash knows whom to
 * drop; the user is written to the mount's username index before it exists on the
 * target, and leaves the index only once the target confirmed the drop (orphan sweep).
 */
import { badRequest } from "../../framework/errors.js";
import type { Fields } from "../../framework/fields.js";
import { definePath, type PathDef, type Request, type Response, type SecretType } from "../../framework/types.js";
import { getJson, putJson } from "../../storage/storage.js";
import { engineError } from "./connections.js";
import type { DatabaseEngine } from "./engine.js";
import { assertAllowed, keys, readRole, requireFrozenConfig, stringList, type UsernameIndexEntry } from "./store.js";

/** Vault gives the database a few seconds more than the lease, so the user never expires first. */
export const EXPIRATION_BUFFER_MS = 5_000;

export const CREDS_SECRET_TYPE = "creds";

const credsFields = { name: { type: "string", required: true, description: "Name of the dynamic role to issue from." } } as const;

const CREDS_HELP = `Issue a new database user and password from a dynamic role, under a lease.

Each read makes a new user on the role's connection and returns its username and
password. The connection's allowed_roles must admit the role. The username comes from the
connection's username_template (or the plugin's default), the password from the role's
credential_config password_policy, else the connection's password_policy, else the
default generator (20 letters, digits and "-").

The lease's TTL is the role's default_ttl (else the mount's default lease TTL); renewals
run the renew statements and cannot pass the role's max_ttl counted from issue (nor the
mount's max TTL). When the lease ends or is revoked, the role's revocation statements
remove the user. The database is told an expiry five seconds after the lease's end, so
the user never lapses before its lease.

Mayfly records the username before it creates the user and forgets it only once the
database confirmed the drop: a crash in between leaves a record that lease recovery or
orphans/<connection> can act on.`;

export function credsPaths(engine: DatabaseEngine): PathDef[] {
  return [
    definePath({
      pattern: "creds/:name",
      fields: credsFields,
      operations: { read: (req, f) => createCreds(engine, req, f) },
      help: CREDS_HELP,
    }),
  ];
}

async function createCreds(engine: DatabaseEngine, req: Request, f: Fields<typeof credsFields>): Promise<Response> {
  const roleName = f.values.name;
  const role = await readRole(req.storage, roleName);
  if (!role) throw badRequest(`unknown role: ${roleName}`);
  const cfg = await requireFrozenConfig(req.storage, role.db_name);
  assertAllowed(cfg, roleName);
  if (role.credential_type !== "password") throw badRequest(`unsupported credential_type: "${role.credential_type}"`);

  const username = engine.connections.usernameTemplate(cfg).generate({ displayName: req.caller.displayName, roleName });
  const policy = role.credential_config.password_policy || cfg.password_policy;
  const dbName = role.db_name;
  return req.leases.issue(
    {
      secretType: CREDS_SECRET_TYPE,
      ttlSeconds: role.default_ttl_seconds,
      maxTtlSeconds: role.max_ttl_seconds,
      renewable: true,
      internal: {
        username,
        role: roleName,
        db_name: dbName,
        // Used when the role is gone by revocation time, as Vault does.
        revocation_statements: role.revocation_statements,
        issue_time_ms: req.nowMs,
      },
    },
    async (expiresAt) => {
      let password: string;
      try {
        password = await engine.system.generatePassword(policy);
      } catch (err) {
        throw engineError(err, "unable to generate password");
      }
      const index: UsernameIndexEntry = { role: roleName, created_ms: req.nowMs, expires_ms: expiresAt.getTime() };
      await putJson(req.storage, keys.username(dbName, username), index);
      try {
        await engine.connections.withShared(dbName, (plugin) =>
          plugin.newUser({
            username,
            password,
            expiration: new Date(expiresAt.getTime() + EXPIRATION_BUFFER_MS),
            creationStatements: role.creation_statements,
            rollbackStatements: role.rollback_statements,
          }),
        );
      } catch (err) {
        throw engineError(err);
      }
      return { username, password };
    },
  );
}

export function credsSecretType(engine: DatabaseEngine): SecretType {
  return {
    async revoke(req, internal) {
      const username = requireString(internal, "username");
      const roleName = typeof internal.role === "string" ? internal.role : "";
      const dbName = requireString(internal, "db_name");
      const role = roleName ? await readRole(req.storage, roleName) : undefined;
      // The role's statements as they are now; if the role is gone, those it had at issue.
      const statements = role ? role.revocation_statements : stringList(internal.revocation_statements);
      try {
        await engine.connections.withShared(dbName, (plugin) => plugin.deleteUser({ username, statements }));
      } catch (err) {
        throw engineError(err);
      }
    },

    // The user is gone: its index entry goes in the same commit as the lease record.
    async revoked(req, internal) {
      await req.storage.delete(keys.username(requireString(internal, "db_name"), requireString(internal, "username")));
    },

    // Revoke-force dropped the lease; the user may still exist. Marked so that the orphan
    // sweep reports it at once rather than after the lease's original end.
    async forgotten(req, internal) {
      const indexKey = keys.username(requireString(internal, "db_name"), requireString(internal, "username"));
      const index = await getJson<UsernameIndexEntry>(req.storage, indexKey);
      if (index) await putJson(req.storage, indexKey, { ...index, forgotten_ms: req.nowMs });
    },

    async renew(req, internal, incrementSeconds) {
      const username = requireString(internal, "username");
      const roleName = requireString(internal, "role");
      const dbName = requireString(internal, "db_name");
      const role = await readRole(req.storage, roleName);
      if (!role) throw engineError(new Error(`error during renew: could not find role with name "${roleName}"`));
      let ttlSeconds = incrementSeconds;
      // The role's max_ttl as it is now, counted from issue (Vault's CalculateTTL).
      const issuedMs = typeof internal.issue_time_ms === "number" ? internal.issue_time_ms : 0;
      if (role.max_ttl_seconds > 0 && issuedMs > 0) {
        const leftSeconds = Math.floor((issuedMs + role.max_ttl_seconds * 1000 - req.nowMs) / 1000);
        ttlSeconds = Math.min(ttlSeconds, Math.max(0, leftSeconds));
      }
      if (ttlSeconds <= 0) return { ttlSeconds: 0 };
      const newExpiresMs = req.nowMs + ttlSeconds * 1000;
      try {
        await engine.connections.withShared(dbName, (plugin) =>
          plugin.updateUser({
            username,
            expiration: { newExpiration: new Date(newExpiresMs + EXPIRATION_BUFFER_MS), statements: role.renew_statements },
          }),
        );
      } catch (err) {
        throw engineError(err);
      }
      const indexKey = keys.username(dbName, username);
      const index = await getJson<UsernameIndexEntry>(req.storage, indexKey);
      if (index && index.expires_ms < newExpiresMs) await putJson(req.storage, indexKey, { ...index, expires_ms: newExpiresMs });
      return { ttlSeconds };
    },
  };
}

function requireString(internal: Readonly<Record<string, unknown>>, key: string): string {
  const v = internal[key];
  if (typeof v !== "string" || v === "") throw engineError(new Error(`secret is missing ${key} internal data`));
  return v;
}
