/**
 * postgresql-database-plugin, on `pg`. Statements run in one transaction per request,
 * as in Vault. Vault serialises every request behind one plugin lock; here requests run
 * in parallel up to `max_open_connections`, except those that rewrite an object's ACL
 * (`GRANT ... ON`, `REVOKE`, the default revocation): those conflict with each other
 * ("tuple concurrently updated", deadlocks detected only after deadlock_timeout) and
 * take turns in one lane. What still races (another Mayfly, another admin) is retried
 * with jittered backoff: SQLSTATE XX000 "tuple concurrently updated", 40001, 40P01.
 */
import type pg from "pg";
import type { ConnectionSettings, DatabasePlugin, DeleteUserRequest, NewUserRequest, UpdateUserRequest } from "../plugin.js";
import {
  configError,
  DatabasePluginError,
  DEFAULT_RETRY,
  errorCode,
  fillConnectionUrl,
  optionInt,
  optionString,
  pluginError,
  withRetries,
  type RetryPolicy,
} from "./common.js";
import { StatementCoalescer } from "./coalesce.js";
import { formatExpiration } from "./go-time.js";
import { revokeEverything } from "./postgres-default-revoke.js";
import { directObjectGrants, isTransientPostgresError, rewritesObjectAcl, scramSha256Verifier, SerialLane } from "./postgres-helpers.js";

export { isTransientPostgresError };
import { parsePostgresConnectionString, type PostgresTarget } from "./postgres-url.js";
import { containsEndKeyword, likePrefixPattern, parseStatementList, postgresDialect, StatementTemplates } from "./statements.js";

const DEFAULT_USERNAME_TEMPLATE =
  '{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (random 20) (unix_time) | truncate 63 }}';
const DEFAULT_RENEW_STATEMENT = `ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}';`;
const DEFAULT_PASSWORD_STATEMENT = `ALTER ROLE "{{username}}" WITH PASSWORD '{{password}}';`;
/** PostgreSQL silently truncates longer identifiers, which would lose track of the user. */
const MAX_IDENTIFIER_BYTES = 63;


type PasswordAuthentication = "password" | "scram-sha-256";

interface Batch {
  queries: string[];
  /** Rewrites some object's ACL: conflicts with concurrent batches that do the same. */
  rewritesAcl: boolean;
}

export class PostgresPlugin implements DatabasePlugin {
  readonly name = "postgresql-database-plugin";
  readonly defaultUsernameTemplate = DEFAULT_USERNAME_TEMPLATE;
  /** Exposed for tests, which turn retries off to show the race they cure. */
  retryPolicy: RetryPolicy = DEFAULT_RETRY;
  /** Counts retries taken, for metrics and tests. */
  retriesTaken = 0;
  /** Exposed for tests, which turn the lane off to show the race it avoids. */
  serializeAclChanges = true;

  private pool: pg.Pool | undefined;
  private adminPassword: string | undefined;
  private readonly aclLane = new SerialLane();
  // A statement containing END (a DO block, a function body) runs whole, as Vault's plugin does.
  private readonly templates = new StatementTemplates(postgresDialect, (statement) =>
    containsEndKeyword(statement) ? [statement.trim()] : parseStatementList(statement, postgresDialect),
  );
  private readonly aclRewriteCache = new Map<string, boolean>();
  private maxConnections = 4;
  /** Revocations share messages when connections are scarce (see coalesce.ts). */
  private readonly revocations = new StatementCoalescer(
    (text) =>
      withRetries(
        async () => {
          await this.requirePool().query(text);
        },
        isTransientPostgresError,
        this.retryPolicy,
        () => this.retriesTaken++,
      ),
    () => this.maxConnections,
  );
  private passwordAuthentication: PasswordAuthentication = "password";

  async initialize(settings: ConnectionSettings, verifyConnection: boolean): Promise<void> {
    await this.close();
    const secrets = [settings.password];
    if (settings.connectionUrl.trim() === "") throw configError("connection_url cannot be empty", secrets);
    const url = fillConnectionUrl(settings.connectionUrl, settings.username, settings.password, {
      disableEscaping: settings.disableEscaping,
      escapePassword: true,
    });
    let target: PostgresTarget;
    try {
      target = parsePostgresConnectionString(url);
    } catch (e) {
      throw configError(`invalid connection_url: ${(e as Error).message}`, [...secrets, url]);
    }
    const auth = optionString(settings.options, "password_authentication") ?? "password";
    if (auth !== "password" && auth !== "scram-sha-256") {
      throw configError(`'${auth}' is not a valid password authentication type`, secrets);
    }
    this.passwordAuthentication = auth;
    this.adminPassword = target.password ?? settings.password;

    const tlsCa = optionString(settings.options, "tls_ca");
    const tlsCert = optionString(settings.options, "tls_certificate");
    const tlsKey = optionString(settings.options, "private_key");
    if ((tlsCert === undefined) !== (tlsKey === undefined)) {
      throw configError('both "tls_certificate" and "private_key" are required', secrets);
    }
    let ssl = target.ssl;
    if (tlsCa !== undefined || tlsCert !== undefined) {
      ssl = { ...(typeof ssl === "object" ? ssl : { rejectUnauthorized: true }), ca: tlsCa, cert: tlsCert, key: tlsKey };
    }

    const { default: pgModule } = await import("pg");
    const pool = new pgModule.Pool({
      host: target.host,
      port: target.port,
      user: target.user,
      password: target.password,
      database: target.database,
      ssl,
      application_name: target.applicationName ?? "mayfly",
      // Vault pins sessions to UTC; VALID UNTIL values carry their offset either way.
      options: target.options ?? "-c timezone=UTC",
      connectionTimeoutMillis: (target.connectTimeoutSeconds ?? optionInt(settings.options, "connect_timeout") ?? 10) * 1000,
      max: (this.maxConnections = Math.max(1, settings.maxOpenConnections || 4)),
      maxLifetimeSeconds: settings.maxConnectionLifetimeSeconds > 0 ? settings.maxConnectionLifetimeSeconds : 0,
      idleTimeoutMillis: 30_000,
    });
    // An idle client whose server went away emits "error"; unheard, it would crash the process.
    pool.on("error", () => undefined);
    this.pool = pool;

    if (verifyConnection) {
      try {
        await pool.query("SELECT 1");
      } catch (e) {
        await this.close();
        throw configError(`error verifying connection: ${(e as Error).message}`, [...secrets, this.adminPassword]);
      }
    }
  }

  async newUser(req: NewUserRequest): Promise<void> {
    if (req.creationStatements.every((s) => s.trim() === "")) {
      throw new DatabasePluginError("empty creation statements");
    }
    if (Buffer.byteLength(req.username) > MAX_IDENTIFIER_BYTES) {
      throw new DatabasePluginError(
        `username "${req.username}" is longer than PostgreSQL's ${MAX_IDENTIFIER_BYTES}-byte limit; cut it in the username template`,
      );
    }
    const values = {
      name: req.username,
      username: req.username,
      password: await this.passwordForStatements(req.password),
      expiration: formatExpiration(req.expiration),
    };
    const queries = this.queriesFor(req.creationStatements, values);
    await this.transaction(queries, "failed to execute query", [req.password]);
  }

  async updateUser(req: UpdateUserRequest): Promise<void> {
    if (req.username === "") throw new DatabasePluginError("missing username");
    if (req.password === undefined && req.expiration === undefined) {
      throw new DatabasePluginError("no changes requested");
    }
    const failures: string[] = [];
    if (req.password !== undefined) {
      const { newPassword, statements } = req.password;
      if (newPassword === "") throw new DatabasePluginError("missing password");
      const values = {
        name: req.username,
        username: req.username,
        password: await this.passwordForStatements(newPassword),
      };
      const queries = this.queriesFor(statements.length > 0 ? statements : [DEFAULT_PASSWORD_STATEMENT], values);
      try {
        await this.transaction(queries, "failed to execute query", [newPassword]);
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
    if (req.expiration !== undefined) {
      const values = {
        name: req.username,
        username: req.username,
        expiration: formatExpiration(req.expiration.newExpiration),
      };
      const statements = req.expiration.statements;
      const queries = this.queriesFor(statements.length > 0 ? statements : [DEFAULT_RENEW_STATEMENT], values);
      try {
        await this.transaction(queries, "", []);
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
    if (failures.length > 0) throw new DatabasePluginError(failures.join("; "));
  }

  async deleteUser(req: DeleteUserRequest): Promise<void> {
    if (req.statements.every((s) => s.trim() === "")) {
      await this.defaultDeleteUser(req.username);
      return;
    }
    const queries = this.queriesFor(req.statements, { name: req.username, username: req.username });
    try {
      if (queries.rewritesAcl && this.serializeAclChanges) await this.transaction(queries, "", []);
      else await this.revocations.run(queries.queries.join(";\n")).catch((e: unknown) => {
        throw pluginError(e, "", [this.adminPassword]);
      });
    } catch (e) {
      // A revocation that fails because the role is already gone (revoked twice, dropped by
      // hand) has still done its job; an unreachable target fails this check too.
      if (!(await this.roleExists(req.username))) return;
      throw e;
    }
  }

  async listUsers(prefix: string): Promise<string[]> {
    const result = await this.query<{ rolname: string }>(
      "SELECT rolname FROM pg_catalog.pg_roles WHERE rolname LIKE $1 ESCAPE '!' ORDER BY rolname",
      [likePrefixPattern(prefix)],
    );
    return result.rows.map((r) => r.rolname);
  }

  creationStatementWarnings(statements: readonly string[]): string[] {
    if (directObjectGrants(statements).length === 0) return [];
    return [
      "creation statements grant privileges on database objects directly: every live user adds an entry to " +
        "each object's ACL, which slows and serialises issuing and revoking; grant a group role instead " +
        '(GRANT "readonly" TO "{{name}}")',
    ];
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool !== undefined) await pool.end().catch(() => undefined);
  }

  // ---- internals -------------------------------------------------------------------

  private requirePool(): pg.Pool {
    if (this.pool === undefined) throw new DatabasePluginError("plugin is not initialized");
    return this.pool;
  }

  private async query<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await withRetries(() => this.requirePool().query<R>(sql, params), isTransientPostgresError, this.retryPolicy);
    } catch (e) {
      throw pluginError(e, "", [this.adminPassword]);
    }
  }

  private async roleExists(username: string): Promise<boolean> {
    const r = await this.query<{ exists: boolean }>(
      "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1) AS exists",
      [username],
    );
    return r.rows[0]?.exists === true;
  }

  /**
   * Splits each statement as Vault does (a statement with the word END, such as a DO
   * block or function body, runs whole) and fills in the values per query.
   */
  private queriesFor(statements: readonly string[], values: Record<string, string>): Batch {
    let queries: string[];
    try {
      queries = this.templates.render(statements, values);
    } catch (e) {
      throw new DatabasePluginError(`failed to render statement: ${(e as Error).message}`);
    }
    return { queries, rewritesAcl: statements.some((s) => this.aclRewrites(s)) };
  }

  private aclRewrites(statement: string): boolean {
    let rewrites = this.aclRewriteCache.get(statement);
    if (rewrites === undefined) {
      rewrites = rewritesObjectAcl(statement);
      if (this.aclRewriteCache.size >= 512) this.aclRewriteCache.clear();
      this.aclRewriteCache.set(statement, rewrites);
    }
    return rewrites;
  }

  /**
   * Runs the queries in one transaction, the whole transaction again on a transient
   * error; in the ACL lane when they rewrite object ACLs.
   */
  private async transaction(batch: Batch, context: string, secrets: readonly string[]): Promise<void> {
    // One round trip: several statements in one simple-protocol message run as one implicit
    // transaction (all or nothing, the session left clean on error), so BEGIN and COMMIT
    // cost nothing; the statements are rendered literals, never bind parameters.
    const text = batch.queries.length === 1 ? (batch.queries[0] as string) : batch.queries.join(";\n");
    const run = (): Promise<void> =>
      withRetries(
        async () => {
          await this.requirePool().query(text);
        },
        isTransientPostgresError,
        this.retryPolicy,
        () => this.retriesTaken++,
      );
    try {
      await (batch.rewritesAcl && this.serializeAclChanges ? this.aclLane.run(run) : run());
    } catch (e) {
      throw pluginError(e, context, [...secrets, this.adminPassword]);
    }
  }

  private async inTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.requirePool().connect();
    let broken = false;
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (e) {
      try {
        await client.query("ROLLBACK");
      } catch {
        broken = true;
      }
      throw e;
    } finally {
      client.release(broken);
    }
  }

  /** Vault's default revocation (see postgres-default-revoke.ts), in one transaction, retried as a whole. */
  private async defaultDeleteUser(username: string): Promise<void> {
    // One transaction with a savepoint per statement: as in Vault, a failing revoke does
    // not stop the others, but everything commits at once instead of a dozen times.
    const attempt = (): Promise<unknown> =>
      this.inTransaction(async (client) => {
        return revokeEverything(client, username);
      });
    let failure: unknown;
    try {
      const run = (): Promise<unknown> =>
        withRetries(attempt, isTransientPostgresError, this.retryPolicy, () => this.retriesTaken++);
      failure = await (this.serializeAclChanges ? this.aclLane.run(run) : run());
    } catch (e) {
      throw pluginError(e, "", [this.adminPassword]);
    }
    if (failure !== undefined) throw pluginError(failure, "", [this.adminPassword]);
  }

  /** With password_authentication=scram-sha-256 the server only ever sees a verifier. */
  private async passwordForStatements(password: string): Promise<string> {
    return this.passwordAuthentication === "scram-sha-256" ? await scramSha256Verifier(password) : password;
  }
}
