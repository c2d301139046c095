/**
 * mysql-database-plugin and its rds/aurora/legacy variants, on `mysql2`; also serves
 * MariaDB. The variants differ only in the default username template (MySQL before 5.7
 * allowed 16-character user names). CREATE USER and GRANT commit implicitly, so unlike
 * PostgreSQL a failed creation can leave a user behind: it is cleaned up before the
 * error is reported.
 */
import type { Pool, PoolConnection, SslOptions } from "mysql2/promise";
import type { ConnectionSettings, DatabasePlugin, DeleteUserRequest, NewUserRequest, UpdateUserRequest } from "../plugin.js";
import { configError, DatabasePluginError, errorCode, fillConnectionUrl, optionBool, optionString, pluginError } from "./common.js";
import { formatExpiration } from "./go-time.js";
import { parseMysqlConnectionString, type MysqlTarget } from "./mysql-dsn.js";
import { likePrefixPattern, mysqlDialect, parseStatementList, renderStatement, type SqlDialect } from "./statements.js";

const DEFAULT_TEMPLATE =
  '{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 10) (.RoleName | truncate 10) (random 20) (unix_time) | truncate 32 }}';
const LEGACY_TEMPLATE = '{{ printf "v-%s-%s-%s" (.RoleName | truncate 4) (random 20) | truncate 16 }}';

/** Vault's four MySQL plugin names and the username template each starts with. */
export const MYSQL_VARIANTS: Readonly<Record<string, string>> = {
  "mysql-database-plugin": DEFAULT_TEMPLATE,
  "mysql-aurora-database-plugin": LEGACY_TEMPLATE,
  "mysql-rds-database-plugin": LEGACY_TEMPLATE,
  "mysql-legacy-database-plugin": LEGACY_TEMPLATE,
};

const DEFAULT_REVOCATION = `REVOKE ALL PRIVILEGES, GRANT OPTION FROM '{{name}}'@'%'; DROP USER '{{name}}'@'%'`;
const DEFAULT_PASSWORD_STATEMENT = `ALTER USER '{{username}}'@'%' IDENTIFIED BY '{{password}}';`;

export class MysqlPlugin implements DatabasePlugin {
  readonly name: string;
  readonly defaultUsernameTemplate: string;
  private pool: Pool | undefined;
  private adminPassword: string | undefined;
  private dialect: SqlDialect | undefined;

  constructor(pluginName: string) {
    const template = MYSQL_VARIANTS[pluginName];
    if (template === undefined) throw new Error(`not a MySQL plugin: ${pluginName}`);
    this.name = pluginName;
    this.defaultUsernameTemplate = template;
  }

  async initialize(settings: ConnectionSettings, verifyConnection: boolean): Promise<void> {
    await this.close();
    const secrets = [settings.password];
    if (settings.connectionUrl.trim() === "") throw configError("connection_url cannot be empty", secrets);
    // Vault's MySQL producer escapes the username but never the password.
    const url = fillConnectionUrl(settings.connectionUrl, settings.username, settings.password, {
      disableEscaping: settings.disableEscaping,
      escapePassword: false,
    });
    let target: MysqlTarget;
    try {
      target = parseMysqlConnectionString(url);
    } catch (e) {
      throw configError(`unable to parse connectionURL: ${(e as Error).message}`, [...secrets, url]);
    }
    this.adminPassword = target.password;
    const ssl = tlsOptions(target.tls, settings.options);
    const { default: mysql } = await import("mysql2/promise");
    const max = Math.max(1, settings.maxOpenConnections || 4);
    const idle = settings.maxIdleConnections > 0 ? Math.min(settings.maxIdleConnections, max) : max;
    this.pool = mysql.createPool({
      host: target.host,
      port: target.port,
      socketPath: target.socketPath,
      user: target.user,
      password: target.password,
      database: target.database,
      ssl,
      connectionLimit: max,
      maxIdle: idle,
      idleTimeout: 60_000,
      connectTimeout: target.connectTimeoutMs ?? 10_000,
      enableKeepAlive: true,
    });
    this.dialect = undefined;
    if (verifyConnection) {
      try {
        await this.pool.query("SELECT 1");
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
    const values = {
      name: req.username,
      username: req.username,
      password: req.password,
      expiration: formatExpiration(req.expiration),
    };
    try {
      await this.execute(req.creationStatements, values);
    } catch (e) {
      await this.cleanUpFailedCreation(req);
      throw pluginError(e, "", [req.password, this.adminPassword]);
    }
  }

  async updateUser(req: UpdateUserRequest): Promise<void> {
    if (req.password === undefined && req.expiration === undefined) {
      throw new DatabasePluginError("no change requested");
    }
    if (req.password !== undefined) {
      const { newPassword, statements } = req.password;
      if (req.username === "" || newPassword === "") {
        throw new DatabasePluginError("must provide both username and password");
      }
      const values = { name: req.username, username: req.username, password: newPassword };
      try {
        await this.execute(statements.length > 0 ? statements : [DEFAULT_PASSWORD_STATEMENT], values);
      } catch (e) {
        throw pluginError(e, "failed to change password", [newPassword, this.adminPassword]);
      }
    }
    // As in Vault, MySQL has no expiry to move: renewal only extends the lease.
  }

  async deleteUser(req: DeleteUserRequest): Promise<void> {
    if ((await this.userExists(req.username)) === false) return;
    const statements = req.statements.some((s) => s.trim() !== "") ? req.statements : [DEFAULT_REVOCATION];
    try {
      await this.execute(statements, { name: req.username, username: req.username });
    } catch (e) {
      // The statements failed because the user is gone (dropped meanwhile): done all the same.
      if ((await this.userExists(req.username)) === false) return;
      throw pluginError(e, "", [this.adminPassword]);
    }
  }

  async listUsers(prefix: string): Promise<string[]> {
    try {
      const [rows] = await this.requirePool().query(
        "SELECT DISTINCT User AS user FROM mysql.user WHERE User LIKE ? ESCAPE '!' ORDER BY User",
        [likePrefixPattern(prefix)],
      );
      return (rows as { user: string | Buffer }[]).map((r) => r.user.toString());
    } catch (e) {
      throw pluginError(e, "", [this.adminPassword]);
    }
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool !== undefined) await pool.end().catch(() => undefined);
  }

  // ---- internals -------------------------------------------------------------------

  private requirePool(): Pool {
    if (this.pool === undefined) throw new DatabasePluginError("plugin is not initialized");
    return this.pool;
  }

  /**
   * Whether any account has this user name; undefined when the admin may not read
   * mysql.user (then callers just run their statements and report what happens).
   */
  private async userExists(username: string): Promise<boolean | undefined> {
    try {
      const [rows] = await this.requirePool().query("SELECT 1 AS found FROM mysql.user WHERE User = ? LIMIT 1", [username]);
      return (rows as unknown[]).length > 0;
    } catch (e) {
      const code = errorCode(e);
      if (code === "ER_TABLEACCESS_DENIED_ERROR" || code === "ER_DBACCESS_DENIED_ERROR") return undefined;
      throw pluginError(e, "", [this.adminPassword]);
    }
  }

  /** The quoting rules depend on the server's sql_mode; read it once per pool. */
  private async dialectFor(conn: PoolConnection): Promise<SqlDialect> {
    if (this.dialect === undefined) {
      const [rows] = await conn.query("SELECT @@SESSION.sql_mode AS mode");
      const mode = String((rows as { mode?: unknown }[])[0]?.mode ?? "");
      this.dialect = mysqlDialect(mode.split(",").includes("NO_BACKSLASH_ESCAPES"));
    }
    return this.dialect;
  }

  /** Runs the statements on one connection inside BEGIN/COMMIT, as Vault does. */
  private async execute(statements: readonly string[], values: Record<string, string>): Promise<void> {
    const conn = await this.requirePool().getConnection();
    try {
      const dialect = await this.dialectFor(conn);
      const queries: string[] = [];
      for (const statement of statements) {
        for (const part of parseStatementList(statement, dialect)) {
          queries.push(renderStatement(part, values, dialect));
        }
      }
      await conn.beginTransaction();
      try {
        for (const q of queries) await conn.query(q);
        await conn.commit();
      } catch (e) {
        await conn.rollback().catch(() => undefined);
        throw e;
      }
    } finally {
      conn.release();
    }
  }

  /** Best effort: the role's rollback statements, then the default revocation if the user exists. */
  private async cleanUpFailedCreation(req: NewUserRequest): Promise<void> {
    const values = { name: req.username, username: req.username };
    if (req.rollbackStatements.some((s) => s.trim() !== "")) {
      await this.execute(req.rollbackStatements, values).catch(() => undefined);
    }
    if ((await this.userExists(req.username).catch(() => undefined)) !== false) {
      await this.execute([DEFAULT_REVOCATION], values).catch(() => undefined);
    }
  }
}

function tlsOptions(dsnTls: string | undefined, options: Readonly<Record<string, unknown>>): SslOptions | undefined {
  const ca = optionString(options, "tls_ca");
  const certKey = optionString(options, "tls_certificate_key");
  const skipVerify = optionBool(options, "tls_skip_verify") || dsnTls === "skip-verify";
  const wanted = ca !== undefined || certKey !== undefined || dsnTls === "true" || dsnTls === "skip-verify";
  if (!wanted) return undefined;
  if (certKey !== undefined && !/PRIVATE KEY/.test(certKey)) {
    throw configError("unable to load tls_certificate_key_data: no private key found", []);
  }
  return {
    ca,
    // Vault's tls_certificate_key holds the certificate and its key in one PEM bundle.
    cert: certKey,
    key: certKey,
    rejectUnauthorized: !skipVerify,
    // The Go driver checks the host name whenever it verifies; mysql2 must be asked to.
    verifyIdentity: !skipVerify,
  };
}
