import type pg from "pg";
import { DatabasePluginError, errorCode } from "./common.js";
import { isTransientPostgresError, quoteIdent } from "./postgres-helpers.js";

/**
 * Vault's default revocation, inside the caller's transaction: revoke what the role holds
 * in every schema it has grants in and in public, revoke CONNECT, then drop the role.
 * Beyond Vault, objects the role owns are reassigned to the admin and DROP OWNED clears
 * privileges the revokes missed (default privileges, other object kinds), so DROP ROLE does
 * not fail on dependencies; both are skipped when the admin lacks the rights for them.
 * A savepoint per statement keeps one failing revoke from stopping the others, as in Vault.
 * Returns the drop's error (with the last earlier one), or undefined when the role is gone.
 */
export async function revokeEverything(client: pg.PoolClient, username: string): Promise<DatabasePluginError | undefined> {
  const role = quoteIdent(username);
  let lastError: unknown;
  const step = async (sql: string, tolerated = (_: unknown): boolean => false): Promise<unknown> => {
    await client.query("SAVEPOINT mayfly_step");
    try {
      await client.query(sql);
      await client.query("RELEASE SAVEPOINT mayfly_step");
      return undefined;
    } catch (e) {
      await client.query("ROLLBACK TO SAVEPOINT mayfly_step");
      if (isTransientPostgresError(e)) throw e; // retry the whole deletion
      if (!tolerated(e)) lastError = e;
      return e;
    }
  };
  const exists = await client.query("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", [username]);
  if (exists.rowCount === 0) return undefined;
  const schemas = await client.query<{ nspname: string }>(
    `SELECT DISTINCT n.nspname FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace,
       LATERAL aclexplode(c.relacl) a
     WHERE a.grantee = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1)
     UNION
     SELECT n.nspname FROM pg_catalog.pg_namespace n, LATERAL aclexplode(n.nspacl) a
     WHERE a.grantee = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1)`,
    [username],
  );
  for (const schema of new Set([...schemas.rows.map((r) => r.nspname), "public"])) {
    const s = quoteIdent(schema);
    await step(`REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA ${s} FROM ${role}`);
    await step(`REVOKE ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA ${s} FROM ${role}`);
    await step(`REVOKE ALL PRIVILEGES ON ALL FUNCTIONS IN SCHEMA ${s} FROM ${role}`);
    await step(`REVOKE USAGE ON SCHEMA ${s} FROM ${role}`);
  }
  const db = await client.query<{ name: string }>("SELECT current_database() AS name");
  const dbName = db.rows[0]?.name;
  if (dbName !== undefined) await step(`REVOKE CONNECT ON DATABASE ${quoteIdent(dbName)} FROM ${role}`);
  // 42501: the admin is not a member of the role; DROP ROLE reports what remains.
  const noRights = (e: unknown): boolean => errorCode(e) === "42501";
  await step(`REASSIGN OWNED BY ${role} TO CURRENT_USER`, noRights);
  await step(`DROP OWNED BY ${role}`, noRights);
  const dropError = await step(`DROP ROLE IF EXISTS ${role}`);
  if (dropError === undefined) return undefined;
  const earlier = lastError !== dropError && lastError !== undefined ? ` (after: ${(lastError as Error).message})` : "";
  return new DatabasePluginError(`${(dropError as Error).message}${earlier}`, errorCode(dropError));
}
