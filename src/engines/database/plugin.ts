/**
 * The contract between the database secrets engine and one kind of database. A new
 * database is one file in plugins/ implementing DatabasePlugin plus one line in
 * PLUGINS below.
 *
 * Division of work: the engine picks the username (from `defaultUsernameTemplate` or
 * the config's `username_template`) and the password, records its intent, and only
 * then asks the plugin to act; the plugin owns everything database-specific: default
 * statements, splitting and quoting, connection pooling, retries of transient errors.
 */
import { badRequest } from "../../framework/errors.js";
import { MysqlPlugin, MYSQL_VARIANTS } from "./plugins/mysql.js";
import { PostgresPlugin } from "./plugins/postgres.js";
import { RedisPlugin } from "./plugins/redis.js";

export { DatabasePluginError } from "./plugins/common.js";
export { renderStatement, parseStatementList, postgresDialect, mysqlDialect, type SqlDialect } from "./plugins/statements.js";
export { formatExpiration } from "./plugins/go-time.js";

export interface ConnectionSettings {
  /** May hold `{{username}}`/`{{password}}`; empty for plugins configured by options (Redis). */
  connectionUrl: string;
  username?: string;
  password?: string;
  /** Vault's default is 4. */
  maxOpenConnections: number;
  /** 0 means "as many as maxOpenConnections", as in Vault. */
  maxIdleConnections: number;
  /** 0 means connections live until closed. */
  maxConnectionLifetimeSeconds: number;
  /** Put username and password into the URL without URL-escaping them. */
  disableEscaping: boolean;
  /** The config's remaining fields, e.g. Redis `host`/`port`/`tls`/`ca_cert`, PostgreSQL `password_authentication`. */
  options: Record<string, unknown>;
}

export interface NewUserRequest {
  username: string;
  password: string;
  expiration: Date;
  creationStatements: readonly string[];
  /** Run, best effort, when creation fails part-way on a database without transactional DDL. */
  rollbackStatements: readonly string[];
}

export interface UpdateUserRequest {
  username: string;
  /** Empty `statements` means the plugin's default (root rotation statement). */
  password?: { newPassword: string; statements: readonly string[] };
  /** Empty `statements` means the plugin's default renew statement. */
  expiration?: { newExpiration: Date; statements: readonly string[] };
}

export interface DeleteUserRequest {
  username: string;
  /** Empty means the plugin's default revocation. */
  statements: readonly string[];
}

export interface DatabasePlugin {
  /** The `plugin_name` this instance serves, e.g. "postgresql-database-plugin". */
  readonly name: string;
  /** Vault's default `username_template` for this plugin (length limit included). */
  readonly defaultUsernameTemplate: string;
  /**
   * Takes (or replaces) the settings and opens the pool lazily. Throws badRequest for an
   * invalid configuration and, when `verifyConnection`, for a failed connect-and-ping
   * ("error verifying connection: ..."). Safe to call again: the old pool is closed, which
   * is how the engine applies a rotated root password or `reset`.
   */
  initialize(settings: ConnectionSettings, verifyConnection: boolean): Promise<void>;
  /** Creates the user. Throws if any statement fails; leaves nothing behind when it can. */
  newUser(req: NewUserRequest): Promise<void>;
  /** Changes password and/or expiration; root rotation is this with the configured username. */
  updateUser(req: UpdateUserRequest): Promise<void>;
  /** Drops the user. Succeeds if the user is already gone; throws if the target is unreachable. */
  deleteUser(req: DeleteUserRequest): Promise<void>;
  /** Users whose name starts with `prefix` (taken literally), for the orphan sweep. */
  listUsers(prefix: string): Promise<string[]>;
  /**
   * Advice for a role's creation statements that work but scale badly, for the engine to
   * return as response warnings when the role is written. Optional.
   */
  creationStatementWarnings?(statements: readonly string[]): string[];
  /** Closes the pool; the instance may be initialized again afterwards. */
  close(): Promise<void>;
}

type PluginFactory = () => DatabasePlugin;

const PLUGINS: Readonly<Record<string, PluginFactory>> = {
  "postgresql-database-plugin": () => new PostgresPlugin(),
  ...Object.fromEntries(Object.keys(MYSQL_VARIANTS).map((name) => [name, () => new MysqlPlugin(name)])),
  "redis-database-plugin": () => new RedisPlugin(),
};

export const pluginNames: readonly string[] = Object.keys(PLUGINS).sort();

/** A new, uninitialized plugin instance; each connection config owns one (and its pool). */
export function getPlugin(pluginName: string): DatabasePlugin {
  const factory = PLUGINS[pluginName];
  if (factory === undefined) {
    throw badRequest(`plugin not found in the catalog: ${pluginName}`);
  }
  return factory();
}
