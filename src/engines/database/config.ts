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
import { getConfig, keys, listKeys, type DbConfigEntry } from "./store.js";

export const configFields = {
  name: { type: "string", required: true },
  plugin_name: { type: "string" },
  plugin_version: { type: "string" },
  verify_connection: { type: "bool", default: true },
  allowed_roles: { type: "comma-strings" },
  root_rotation_statements: { type: "strings" },
  /** Accepted as an alias of root_rotation_statements (the seeds' walkthrough uses it). */
  rotation_statements: { type: "strings" },
  password_policy: { type: "string" },
  skip_static_role_import_rotation: { type: "bool" },
  // Connection details every SQL plugin reads.
  connection_url: { type: "string" },
  username: { type: "string" },
  password: { type: "string" },
  username_template: { type: "string" },
  disable_escaping: { type: "bool" },
  max_open_connections: { type: "int" },
  max_idle_connections: { type: "int" },
  max_connection_lifetime: { type: "duration" },
  // Plugin-specific details, declared so they pass without an "ignored" warning.
  host: { type: "string" },
  port: { type: "int" },
  tls: { type: "bool" },
  ca_cert: { type: "string" },
  insecure_tls: { type: "bool" },
  password_authentication: { type: "string" },
  tls_ca: { type: "string" },
  tls_certificate: { type: "string" },
  private_key: { type: "string" },
  connect_timeout: { type: "any" },
  tls_certificate_key: { type: "string" },
  tls_skip_verify: { type: "bool" },
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

/** Never returned on read. */
const SECRET_DETAILS = ["password", "private_key", "service_account_json"];

export function configPaths(engine: DatabaseEngine): PathDef[] {
  return [
    definePath({
      pattern: "config/",
      operations: {
        list: async (req) => listKeys(req.storage, keys.configPrefix),
      },
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
