/**
 * redis-database-plugin, on `ioredis`: users are Redis ACL users. A role's creation
 * statement is a JSON list of ACL rules (`["~*", "+@read"]`, Vault's default), added
 * after `on >password`. Redis has no expiry for users and no statements for revocation
 * or rotation: those requests take the fixed commands below, as in Vault.
 */
import { isIP } from "node:net";
import type { Redis, RedisOptions } from "ioredis";
import { badRequest } from "../../../framework/errors.js";
import type { ConnectionSettings, DatabasePlugin, DeleteUserRequest, NewUserRequest, UpdateUserRequest } from "../plugin.js";
import { configError, DatabasePluginError, optionBool, optionInt, optionString, pluginError } from "./common.js";

const DEFAULT_RULES = `["~*", "+@read"]`;
// Vault's Redis plugin builds V_<display>_<role>_<random 20>_<unix>, upper-cased.
const DEFAULT_USERNAME_TEMPLATE =
  '{{ printf "V_%s_%s_%s_%s" (.DisplayName | truncate 64) (.RoleName | truncate 64) (random 20) (unix_time) | truncate 100 | uppercase }}';

export class RedisPlugin implements DatabasePlugin {
  readonly name = "redis-database-plugin";
  readonly defaultUsernameTemplate = DEFAULT_USERNAME_TEMPLATE;
  private client: Redis | undefined;
  private adminPassword: string | undefined;

  async initialize(settings: ConnectionSettings, verifyConnection: boolean): Promise<void> {
    await this.close();
    const secrets = [settings.password];
    const host = optionString(settings.options, "host");
    const port = optionInt(settings.options, "port");
    if (host === undefined) throw configError("host cannot be empty", secrets);
    if (port === undefined || port === 0) throw configError("port cannot be empty", secrets);
    if (settings.username === undefined || settings.username === "") throw configError("username cannot be empty", secrets);
    if (settings.password === undefined || settings.password === "") throw configError("password cannot be empty", secrets);
    this.adminPassword = settings.password;

    const useTls = optionBool(settings.options, "tls");
    const caCert = optionString(settings.options, "ca_cert");
    const insecure = optionBool(settings.options, "insecure_tls");
    const options: RedisOptions = {
      host,
      port,
      username: settings.username,
      password: settings.password,
      lazyConnect: true,
      connectTimeout: 10_000,
      // Fail a command after one reconnect attempt instead of queueing it while the
      // target is down: the expiration manager needs the error to schedule its retry.
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
      // SNI carries host names only; for an IP address the certificate's IP SAN is checked.
      tls: useTls ? { ca: caCert, rejectUnauthorized: !insecure, servername: isIP(host) === 0 ? host : undefined } : undefined,
    };
    const { Redis: RedisClient } = await import("ioredis");
    const client = new RedisClient(options);
    // ioredis reports why a connection failed (WRONGPASS, ECONNREFUSED) as an "error"
    // event and rejects connect() with a generic "Connection is closed."; keep the cause.
    let lastConnectionError: Error | undefined;
    client.on("error", (e: Error) => {
      lastConnectionError = e;
    });
    this.client = client;
    if (verifyConnection) {
      try {
        await client.connect();
        await client.ping();
      } catch (e) {
        await this.close();
        const cause = lastConnectionError ?? (e as Error);
        throw configError(`error verifying connection: ${cause.message}`, secrets);
      }
    }
  }

  async newUser(req: NewUserRequest): Promise<void> {
    const statement = req.creationStatements.map((s) => s.trim()).find((s) => s !== "") ?? DEFAULT_RULES;
    let rules: unknown;
    try {
      rules = JSON.parse(statement);
    } catch (e) {
      throw badRequest(`error unmarshalling REDIS rules in the creation statement JSON: ${(e as Error).message}`);
    }
    if (!Array.isArray(rules) || !rules.every((r) => typeof r === "string")) {
      throw badRequest("error unmarshalling REDIS rules in the creation statement JSON: expected a list of strings");
    }
    await this.command("ACL", ["SETUSER", req.username, "on", `>${req.password}`, ...rules], [req.password]);
  }

  async updateUser(req: UpdateUserRequest): Promise<void> {
    if (req.password === undefined) return; // Redis users do not expire; renewal is lease-only.
    const { newPassword } = req.password;
    const existing = await this.command("ACL", ["GETUSER", req.username], []);
    if (existing === null) {
      throw new DatabasePluginError(`changeUserPassword for user ${req.username} failed, user not found!`);
    }
    await this.command("ACL", ["SETUSER", req.username, "resetpass", `>${newPassword}`], [newPassword]);
  }

  async deleteUser(req: DeleteUserRequest): Promise<void> {
    // ACL DELUSER answers 0 for a missing user, and disconnects the user's open sessions.
    await this.command("ACL", ["DELUSER", req.username], []);
  }

  async listUsers(prefix: string): Promise<string[]> {
    const users = await this.command("ACL", ["USERS"], []);
    if (!Array.isArray(users)) return [];
    return users.map(String).filter((u) => u.startsWith(prefix)).sort();
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) client.disconnect();
  }

  private async command(name: string, args: string[], secrets: readonly string[]): Promise<unknown> {
    const client = this.client;
    if (client === undefined) throw new DatabasePluginError("plugin is not initialized");
    try {
      if (client.status === "wait" || client.status === "end") await client.connect();
      return await client.call(name, ...args);
    } catch (e) {
      throw pluginError(e, "", [...secrets, this.adminPassword]);
    }
  }
}
