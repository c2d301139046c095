/**
 * `config/<name>`: a connection to one database. As in Vault, every field that is not
 * the engine's own (plugin_name, allowed_roles, ...) is a connection detail handed to the
 * plugin as given, and an update merges new details over the stored ones.
 */
import { badRequest, isMayflyError, notFound } from "../../framework/errors.js";
import type { Fields } from "../../framework/fields.js";
import { definePath, type PathDef, type Request, type Response } from "../../framework/types.js";
import { putJson } from "../../storage/storage.js";
import { DEFAULT_MAX_OPEN_CONNECTIONS, optionalString } from "./connections.js";
import type { DatabaseEngine } from "./engine.js";
import { passwordStatementsField } from "./help-text.js";
import { pluginNames } from "./plugin.js";
import { getConfig, keys, listKeys, type DbConfigEntry } from "./store.js";

export const configFields = {
  name: { type: "string", required: true, description: "Name of the connection; roles name it in their db_name." },
  plugin_name: {
    type: "string",
    description: `The database plugin, one of: ${pluginNames.join(", ")}. Required when the connection is created.`,
  },
  plugin_version: {
    type: "string",
    description: "Kept and returned for Vault clients; must look like a semantic version (v1.2.3). Mayfly's plugins are built in, so it selects nothing.",
  },
  verify_connection: {
    type: "bool",
    default: true,
    description: "Connect and ping the database before the configuration is saved (default true). With false, a wrong address or password shows only on first use.",
  },
  allowed_roles: {
    type: "comma-strings",
    description: 'Roles and static roles that may use this connection: names, globs with "*", or "*" for all; a list or a comma-separated string. Empty (the default) admits none.',
  },
  root_rotation_statements: {
    type: "strings",
    description: passwordStatementsField("Statements that rotate-root runs to set a new password for the connection's username"),
  },
  /** Accepted as an alias of root_rotation_statements (the seeds' walkthrough uses it). */
  rotation_statements: { type: "strings", description: "Another name for root_rotation_statements, used when that is not sent." },
  password_policy: {
    type: "string",
    description: 'Password policy (sys/policies/password/<name>) for every password made on this connection, root rotation included; a role\'s credential_config password_policy wins over it. Empty: 20 letters, digits and "-".',
  },
  skip_static_role_import_rotation: {
    type: "bool",
    description: "Default for static roles created on this connection: keep the user's current password until the first scheduled rotation instead of rotating at once (default false). A role's skip_import_rotation overrides it.",
  },
  // Connection details every SQL plugin reads.
  connection_url: {
    type: "string",
    description: "Where the database is, in the form its driver reads (postgresql://{{username}}:{{password}}@host:5432/db, or {{username}}:{{password}}@tcp(host:3306)/ for MySQL). {{username}} and {{password}} are filled from username and password, which keeps the password out of reads and lets rotate-root work; a literal password draws a warning and reads back as xxxxx. Redis uses host and port instead.",
  },
  username: {
    type: "string",
    description: "The user Mayfly connects as, and the one rotate-root rotates. Fills {{username}} in connection_url; Redis needs it.",
  },
  password: {
    type: "string",
    description: "That user's password. Fills {{password}} in connection_url; never returned by a read; replaced by rotate-root.",
  },
  username_template: {
    type: "string",
    description: "How the usernames of dynamic credentials are made: a Go text/template over .DisplayName (of the requesting token) and .RoleName with the functions random N, truncate N, truncate_sha256 N, uppercase, lowercase, replace OLD NEW, sha256, base64, unix_time, unix_time_millis, timestamp LAYOUT, uuid, printf and print. Checked when the connection is written. Empty uses the plugin's default, e.g. on PostgreSQL v-<display name>-<role>-<random>-<unix time> cut to 63 bytes.",
  },
  disable_escaping: {
    type: "bool",
    description: "Put username and password into connection_url as they are instead of URL-escaping them (default false). The MySQL plugin never escapes the password.",
  },
  max_open_connections: {
    type: "int",
    description: "PostgreSQL and MySQL: connections the pool may hold open at once (default 4). Redis uses one connection.",
  },
  max_idle_connections: {
    type: "int",
    description: "MySQL: idle connections the pool keeps; 0 (the default) keeps up to max_open_connections. Other plugins ignore it.",
  },
  max_connection_lifetime: {
    type: "duration",
    description: "PostgreSQL: how long a pooled connection lives before it is replaced; 0 (the default) keeps it until it is closed. Other plugins ignore it.",
  },
  // Plugin-specific details, declared so they pass without an "ignored" warning.
  host: { type: "string", description: "Redis: host name or address of the server; required." },
  port: { type: "int", description: "Redis: port of the server; required." },
  tls: { type: "bool", description: "Redis: connect with TLS (default false)." },
  ca_cert: { type: "string", description: "Redis: PEM CA certificate to verify the server's certificate with, when tls is on." },
  insecure_tls: { type: "bool", description: "Redis: with tls, do not verify the server's certificate." },
  password_authentication: {
    type: "string",
    description: "PostgreSQL: password (the default) puts passwords into statements as they are; scram-sha-256 fills {{password}} with a SCRAM-SHA-256 verifier computed by Mayfly, so the server never sees a plain password.",
  },
  tls_ca: { type: "string", description: "PostgreSQL and MySQL: PEM CA certificate to verify the server with." },
  tls_certificate: { type: "string", description: "PostgreSQL: PEM client certificate for TLS; needs private_key." },
  private_key: { type: "string", description: "PostgreSQL: PEM private key of tls_certificate; never returned by a read." },
  connect_timeout: {
    type: "any",
    description: "PostgreSQL: seconds to wait for a connection (default 10); a connect_timeout in connection_url wins. MySQL takes ?timeout= in connection_url.",
  },
  tls_certificate_key: { type: "string", description: "MySQL: one PEM bundle holding the client certificate and its private key." },
  tls_skip_verify: { type: "bool", description: "MySQL: do not verify the server's certificate or host name." },
} as const;

/** Request keys that are the engine's, not connection details (Vault deletes these from Raw). */
const ENGINE_FIELDS = new Set([
  "name",
  "plugin_name",
  "plugin_version",
  "allowed_roles",
  "verify_connection",
  "root_rotation_statements",
  "rotation_statements",
  "password_policy",
  "skip_static_role_import_rotation",
]);

const CONFIG_HELP = `Configure a connection to one database.

A connection names the plugin that speaks to the database, where the database is and
the user Mayfly connects as; dynamic and static roles then refer to it by name (db_name),
and only the roles its allowed_roles admits may use it.

A write that creates the connection needs plugin_name. A write to an existing connection
changes only what it sends: every field that is not the engine's own (plugin_name,
allowed_roles, verify_connection, root_rotation_statements, password_policy, ...) is a
connection detail, merged over the stored details and handed to the plugin as given.
Unless verify_connection is false, Mayfly connects and pings before it stores anything,
and refuses the write (400) if that fails. The connection's pool is replaced on every
write and closed on delete.

A read returns plugin_name, plugin_version, connection_details (without password or
private_key; a literal password inside connection_url shows as xxxxx), allowed_roles,
root_credentials_rotate_statements, password_policy, verify_connection and
skip_static_role_import_rotation.

Put {{username}} and {{password}} in connection_url and send username and password
separately: then rotate-root can give that user a password only Mayfly knows.`;

/** Never returned on read. */
const SECRET_DETAILS = ["password", "private_key", "service_account_json"];

export function configPaths(engine: DatabaseEngine): PathDef[] {
  return [
    definePath({
      pattern: "config/",
      operations: {
        list: async (req) => listKeys(req.storage, keys.configPrefix),
      },
      help: "List the names of the configured connections.\n\nAn engine with no connection answers 404.",
    }),
    definePath({
      pattern: "config/:name",
      fields: configFields,
      existenceCheck: async (req, f) => (await getConfig(req.storage, f.values.name)) !== undefined,
      operations: {
        read: readConfig,
        create: (req, f) => writeConfig(engine, req, f),
        update: (req, f) => writeConfig(engine, req, f),
        delete: (req, f) => deleteConfig(engine, req, f),
      },
      help: CONFIG_HELP,
    }),
  ];
}

async function readConfig(req: Request, f: Fields<typeof configFields>): Promise<Response | undefined> {
  const cfg = await getConfig(req.storage, f.values.name);
  if (!cfg) throw notFound();
  const details: Record<string, unknown> = { ...cfg.connection_details };
  for (const k of SECRET_DETAILS) delete details[k];
  if (typeof details.connection_url === "string") details.connection_url = redactUrl(details.connection_url);
  details.max_open_connections ??= DEFAULT_MAX_OPEN_CONNECTIONS;
  details.max_idle_connections ??= 0;
  details.max_connection_lifetime ??= "0s";
  return {
    data: {
      plugin_name: cfg.plugin_name,
      plugin_version: cfg.plugin_version,
      connection_details: details,
      allowed_roles: cfg.allowed_roles,
      root_credentials_rotate_statements: cfg.root_credentials_rotate_statements,
      password_policy: cfg.password_policy,
      verify_connection: cfg.verify_connection,
      skip_static_role_import_rotation: cfg.skip_static_role_import_rotation,
    },
  };
}

async function writeConfig(engine: DatabaseEngine, req: Request, f: Fields<typeof configFields>): Promise<Response | undefined> {
  const name = f.values.name;
  const creating = req.operation === "create";
  const existing = creating ? undefined : await getConfig(req.storage, name);
  const cfg: DbConfigEntry = existing
    ? structuredClone(existing)
    : {
        plugin_name: "",
        plugin_version: "",
        connection_details: {},
        allowed_roles: [],
        root_credentials_rotate_statements: [],
        password_policy: "",
        verify_connection: true,
        skip_static_role_import_rotation: false,
      };
  if (f.has("verify_connection") || !existing) cfg.verify_connection = f.values.verify_connection;
  if (f.has("plugin_name")) cfg.plugin_name = f.values.plugin_name;
  if (cfg.plugin_name === "") throw badRequest("empty plugin name");
  if (f.has("plugin_version")) cfg.plugin_version = f.values.plugin_version;
  if (f.has("allowed_roles")) cfg.allowed_roles = f.values.allowed_roles;
  const rotation = f.getOk("root_rotation_statements") ?? f.getOk("rotation_statements");
  if (rotation !== undefined) cfg.root_credentials_rotate_statements = rotation.filter((s) => s.trim() !== "");
  if (f.has("password_policy")) cfg.password_policy = f.values.password_policy;
  if (f.has("skip_static_role_import_rotation")) cfg.skip_static_role_import_rotation = f.values.skip_static_role_import_rotation;

  const details: Record<string, unknown> = existing ? cfg.connection_details : {};
  for (const [k, v] of Object.entries(f.raw)) {
    if (!ENGINE_FIELDS.has(k) && v !== undefined && v !== null) details[k] = v;
  }
  cfg.connection_details = details;

  if (cfg.plugin_version !== "" && !/^v?\d+\.\d+\.\d+/.test(cfg.plugin_version)) {
    throw badRequest(`version "${cfg.plugin_version}" is not a valid semantic version`);
  }
  let plugin;
  try {
    engine.connections.usernameTemplate(cfg);
    plugin = await engine.connections.openPlugin(cfg, cfg.verify_connection);
  } catch (err) {
    throw badRequest(`error creating database object: ${messageOf(err)}`);
  }
  await engine.connections.withExclusive(name, async (conn) => {
    await conn.replace(plugin);
    await putJson(req.storage, keys.config(name), cfg);
  });

  const warnings: string[] = [];
  if (urlHasPassword(optionalString(details.connection_url))) {
    warnings.push("Password found in connection_url, use a templated url to enable root rotation and prevent read access to password information.");
  }
  return warnings.length ? { data: null, warnings } : undefined;
}

async function deleteConfig(engine: DatabaseEngine, req: Request, f: Fields<typeof configFields>): Promise<Response | undefined> {
  const name = f.values.name;
  await engine.connections.withExclusive(name, async (conn) => {
    await req.storage.delete(keys.config(name));
    await conn.replace(undefined);
  });
  return undefined;
}

function messageOf(err: unknown): string {
  if (isMayflyError(err)) return err.errors.join("; ");
  return err instanceof Error ? err.message : String(err);
}

function parseUrl(u: string): URL | undefined {
  try {
    return new URL(u);
  } catch {
    return undefined;
  }
}

function urlHasPassword(u: string | undefined): boolean {
  if (u === undefined) return false;
  const parsed = parseUrl(u);
  return parsed !== undefined && parsed.password !== "" && decodeURIComponent(parsed.password) !== "{{password}}";
}

/** Go's url.Redacted: a literal password in the URL reads back as "xxxxx". */
function redactUrl(u: string): string {
  if (!urlHasPassword(u)) return u;
  const at = u.indexOf("@");
  const scheme = u.indexOf("://");
  if (at < 0 || scheme < 0) return u;
  const colon = u.indexOf(":", scheme + 3);
  if (colon < 0 || colon > at) return u;
  return `${u.slice(0, colon + 1)}xxxxx${u.slice(at)}`;
}
