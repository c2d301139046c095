/** plugin list|info (command/plugin_list.go, plugin_info.go): the plugin catalog. */
import type { Command, Ctx } from "../command.js";
import { goStruct, tableOutput } from "../gofmt.js";
import { parseSecret } from "../secret.js";

const PLUGIN_TYPES = ["auth", "database", "secret"] as const;

/** api.ParsePluginType: the three types, and "unknown" for "any". */
function parsePluginType(raw: string): string | undefined {
  const t = raw.trim();
  return t === "unknown" || (PLUGIN_TYPES as readonly string[]).includes(t) ? t : undefined;
}

interface PluginDetails {
  type: string;
  name: string;
  version: string;
  builtin: boolean;
  deprecation_status: string;
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

export const pluginListCommand: Command = {
  path: "plugin list",
  synopsis: "Lists available plugins",
  help: `
Usage: mayfly plugin list [options] [TYPE]

  Lists available plugins registered in the catalog. This does not list whether
  plugins are in use, but rather just their availability. The last argument of
  type takes "auth", "database", or "secret".

  List all available plugins in the catalog:

      $ mayfly plugin list

  List all available database plugins in the catalog:

      $ mayfly plugin list database

  List all available plugins with detailed output:

      $ mayfly plugin list -detailed`,
  flags: [
    {
      name: "detailed",
      kind: "bool",
      usage: "Print detailed plugin information such as plugin type, version, and deprecation status for each plugin. This option is only applicable to table-formatted output.",
    },
  ],
  async run(ctx) {
    const bad = ctx.expectArgs(0, 1);
    if (bad !== undefined) return bad;
    let type = "unknown";
    const rawType = (ctx.args[0] ?? "").trim();
    if (rawType !== "") {
      const parsed = parsePluginType(rawType);
      if (parsed === undefined) {
        ctx.ui.error(`Error parsing type: "${rawType}" is not a supported plugin type`);
        return 2;
      }
      type = parsed;
    }
    const client = await ctx.client();
    let data: Record<string, unknown>;
    try {
      // Vault's client reads the untyped catalog (no sudo needed) and picks the type out of it.
      const secret = parseSecret((await client.request("GET", "sys/plugins/catalog")).body);
      if (!secret?.data) {
        ctx.ui.error("Error listing available plugins: data from server response is empty");
        return 2;
      }
      data = secret.data;
    } catch (err) {
      return ctx.fail("Error listing available plugins", err);
    }
    const byType: Record<string, string[]> = {};
    for (const t of type === "unknown" ? PLUGIN_TYPES : [type]) {
      const names = data[t];
      if (names === undefined) {
        if (type === "unknown") continue;
        ctx.ui.error(`Error listing available plugins: no ${t} entry in returned data`);
        return 2;
      }
      byType[t] = Array.isArray(names) ? names.filter((n): n is string => typeof n === "string") : [];
    }
    const detailedRaw = Array.isArray(data["detailed"]) ? (data["detailed"] as Array<Record<string, unknown>>) : undefined;
    const details: PluginDetails[] | null = detailedRaw
      ? detailedRaw
          .map((d) => ({ type: str(d["type"]), name: str(d["name"]), version: str(d["version"]), builtin: d["builtin"] === true, deprecation_status: str(d["deprecation_status"]) }))
          .filter((d) => type === "unknown" || d.type === type)
      : null;

    if (ctx.format !== "table") {
      // api.PluginDetails, field by field as Go marshals the struct (omitempty strings dropped).
      const asStruct = (d: PluginDetails) =>
        goStruct({
          type: d.type,
          name: d.name,
          ...(d.version !== "" ? { version: d.version } : {}),
          builtin: d.builtin,
          ...(d.deprecation_status !== "" ? { deprecation_status: d.deprecation_status } : {}),
        });
      return ctx.data({ ...byType, details: details === null ? null : details.map(asStruct) });
    }
    const rows = details ?? [];
    if (ctx.flags.bool("detailed")) {
      ctx.ui.output(tableOutput(["Name", "Type", "Version", "Deprecation Status"], rows.map((d) => [d.name, d.type, d.version, d.deprecation_status])));
    } else if (type === "unknown") {
      ctx.ui.output(tableOutput(["Name", "Type", "Version"], rows.map((d) => [d.name, d.type, d.version])));
    } else {
      ctx.ui.output(tableOutput(["Name", "Version"], rows.map((d) => [d.name, d.version])));
    }
    return 0;
  },
};

export const pluginInfoCommand: Command = {
  path: "plugin info",
  synopsis: "Read information about a plugin in the catalog",
  help: `
Usage: mayfly plugin info [options] TYPE NAME

  Displays information about a plugin in the catalog with the given name. If
  the plugin does not exist, an error is returned. The argument of type
  takes "auth", "database", or "secret".

  Get info about a plugin:

      $ mayfly plugin info database mysql-database-plugin`,
  flags: [{ name: "version", kind: "string", usage: "Semantic version of the plugin. Optional." }],
  async run(ctx) {
    const bad = ctx.expectArgs(1, 2);
    if (bad !== undefined) return bad;
    const [rawType, rawName] = ctx.args.length === 1 ? ["unknown", ctx.args[0] as string] : [ctx.args[0] as string, ctx.args[1] as string];
    const client = await ctx.client();
    const type = parsePluginType(rawType);
    if (type === undefined) {
      ctx.ui.error(`"${rawType.trim()}" is not a supported plugin type`);
      return 2;
    }
    const name = rawName.trim();
    return showPlugin(ctx, name, await readPlugin(ctx, client, type, name));
  },
};

type Client = Awaited<ReturnType<Ctx["client"]>>;

/** The plugin's data, null when the server sent none, or an exit code after an error. */
async function readPlugin(ctx: Ctx, client: Client, type: string, name: string): Promise<Record<string, unknown> | null | number> {
  // Without a type, Vault's client uses the deprecated untyped path.
  const path = type === "unknown" ? `sys/plugins/catalog/${name}` : `sys/plugins/catalog/${type}/${name}`;
  const version = ctx.flags.str("version");
  try {
    const res = await client.request("GET", path, version !== "" ? { query: { version } } : {});
    return parseSecret(res.body)?.data ?? null;
  } catch (err) {
    return ctx.fail(`Error reading plugin named ${name}`, err);
  }
}

function showPlugin(ctx: Ctx, name: string, result: Record<string, unknown> | null | number): number {
  if (typeof result === "number") return result;
  if (result === null) {
    ctx.ui.error(`No value found for plugin "${name}"`);
    return 2;
  }
  const data: Record<string, unknown> = {
    // A Go nil []string: `[]` in a table, null in JSON.
    args: result["args"] ?? (ctx.format === "table" ? [] : null),
    builtin: result["builtin"] === true,
    command: str(result["command"]),
    oci_image: str(result["oci_image"]),
    runtime: str(result["runtime"]),
    name: str(result["name"]),
    sha256: str(result["sha256"]),
    deprecation_status: str(result["deprecation_status"]),
    version: str(result["version"]),
  };
  if (ctx.field !== "") return ctx.rawField({ map: data }, ctx.field);
  return ctx.data(data);
}
