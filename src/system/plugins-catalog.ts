/**
 * `sys/plugins/catalog`: the plugins this server can run. Every one is built in: the
 * secrets engines and auth methods the server registered and the database engine's
 * plugins. External plugins (a command and its SHA-256) cannot be registered.
 */
import { badRequest, notFound } from "../framework/errors.js";
import { definePath, type PathDef } from "../framework/types.js";
import type { SysExtras } from "./extras.js";
import { RUNNING_VERSION } from "./mounts.js";

export const PLUGIN_TYPES = ["auth", "database", "secret"] as const;
export type PluginType = (typeof PLUGIN_TYPES)[number];

export interface CatalogEntry {
  readonly type: PluginType;
  readonly name: string;
}

/** Mounted by the core itself, never by type name; Vault's catalog leaves them out too. */
const CORE_ONLY_TYPES = new Set(["system", "cubbyhole", "identity", "token"]);

/** Every built-in plugin, sorted by type then name. */
export function builtinCatalog(extras: Pick<SysExtras, "registry" | "databasePlugins">): CatalogEntry[] {
  const named = (type: PluginType, names: readonly string[]): CatalogEntry[] =>
    names.filter((n) => !CORE_ONLY_TYPES.has(n)).map((name) => ({ type, name }));
  const all = [
    ...named("auth", extras.registry?.authTypes() ?? []),
    ...named("database", extras.databasePlugins),
    ...named("secret", extras.registry?.secretTypes() ?? []),
  ];
  return all.sort((a, b) => (a.type !== b.type ? (a.type < b.type ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function parsePluginType(raw: string): PluginType {
  if ((PLUGIN_TYPES as readonly string[]).includes(raw)) return raw as PluginType;
  throw badRequest(`"${raw}" is not a supported plugin type`);
}

const EXTERNAL_REFUSED = "external plugins are not supported: every plugin of this server is built in";

/** What `GET sys/plugins/catalog/:type/:name` answers for a built-in plugin. */
function pluginDetails(e: CatalogEntry): Record<string, unknown> {
  return {
    name: e.name,
    // Vault's builtin entries carry no arguments: a Go nil slice, null in JSON.
    args: null,
    command: "",
    sha256: "",
    builtin: true,
    version: RUNNING_VERSION,
    deprecation_status: "supported",
  };
}

const registerFields = {
  command: { type: "string", description: "Refused: external plugins are not supported." },
  args: { type: "strings", description: "Refused: external plugins are not supported." },
  env: { type: "strings", description: "Refused: external plugins are not supported." },
  sha256: { type: "string", description: "Refused: external plugins are not supported." },
  sha_256: { type: "string", description: "Refused: external plugins are not supported." },
  version: { type: "string", description: "Semantic version of the plugin; built-in plugins have one version." },
  oci_image: { type: "string", description: "Refused: external plugins are not supported." },
  runtime: { type: "string", description: "Refused: external plugins are not supported." },
} as const;

export function pluginCatalogPaths(extras: SysExtras): PathDef[] {
  const catalog = () => builtinCatalog(extras);
  return [
    definePath({
      pattern: "plugins/catalog/",
      help: `List the plugins this server can mount, by type, with a detailed entry for each.

Every plugin is built in: the secrets engines and auth methods the server registered
(not system, cubbyhole, identity or token, which only the core mounts) and the database
engine's plugins. Each is at Mayfly's version with deprecation_status "supported". Needs
sudo, as does everything under sys/plugins/catalog.`,
      operations: {
        read: async () => {
          const entries = catalog();
          const data: Record<string, unknown> = {};
          for (const type of PLUGIN_TYPES) {
            const names = entries.filter((e) => e.type === type).map((e) => e.name);
            if (names.length > 0) data[type] = names;
          }
          data.detailed = entries.map((e) => ({
            type: e.type,
            name: e.name,
            version: RUNNING_VERSION,
            builtin: true,
            deprecation_status: "supported",
          }));
          return { data };
        },
      },
    }),
    definePath({
      pattern: "plugins/catalog/:type/*name",
      fields: {
        type: { type: "string", required: true, description: 'The plugin type: "auth", "database" or "secret".' },
        name: { type: "string", required: true, description: "The plugin's name in the catalog." },
        ...registerFields,
      },
      help: `Read a plugin of the catalog by type and name.

The answer holds name, builtin (true), version, deprecation_status, args (null), and
empty command and sha256. A version other than the plugin's own answers 404, as does an unknown
plugin. Registering an external plugin answers 400, since every plugin is built in;
deregistering succeeds and does nothing. Needs sudo.`,
      operations: {
        read: async (_req, f) => {
          const type = parsePluginType(f.values.type);
          const entry = catalog().find((e) => e.type === type && e.name === f.values.name);
          const version = f.values.version;
          if (!entry || (version !== "" && version !== RUNNING_VERSION)) throw notFound();
          return { data: pluginDetails(entry) };
        },
        update: async (_req, f) => {
          parsePluginType(f.values.type);
          throw badRequest(EXTERNAL_REFUSED);
        },
        // Nothing external was ever registered: like Vault's, deregistering is then a no-op.
        delete: async (_req, f) => {
          parsePluginType(f.values.type);
          return undefined;
        },
      },
    }),
    definePath({
      // One declaration for both uses of `plugins/catalog/<x>`: LIST names a type; the
      // other operations are Vault's deprecated untyped paths, where <x> names a plugin.
      pattern: "plugins/catalog/:type/",
      fields: {
        type: { type: "string", required: true, description: 'The plugin type to list ("auth", "database" or "secret"); a plugin name on the deprecated untyped paths.' },
        ...registerFields,
      },
      help: `List the plugins of one type (auth, database or secret).

A type with no plugins answers 404. Read, write and delete here are the older paths that
named a plugin without a type: a read or delete answers a warning and no data, and a
write (registering) answers 400. Needs sudo.`,
      operations: {
        list: async (_req, f) => {
          const type = parsePluginType(f.values.type);
          const keys = catalog()
            .filter((e) => e.type === type)
            .map((e) => e.name);
          if (keys.length === 0) throw notFound();
          return { data: { keys } };
        },
        read: async (_req, f) => ({
          data: null,
          warnings: [`Deprecated API endpoint, cannot read plugin information from catalog for "${f.values.type}"`],
        }),
        update: async () => {
          throw badRequest(EXTERNAL_REFUSED);
        },
        delete: async (_req, f) => ({
          data: null,
          warnings: [`Deprecated API endpoint, cannot deregister plugin from catalog for "${f.values.type}"`],
        }),
      },
    }),
  ];
}
