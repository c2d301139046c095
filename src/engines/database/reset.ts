/**
 * `reset/<name>`: close the connection's pool and open a fresh one from the stored config;
 * `reload/<plugin_name>`: the same for every connection of one plugin.
 */
import { internalError } from "../../framework/errors.js";
import type { Fields } from "../../framework/fields.js";
import { definePath, type PathDef, type Request, type Response } from "../../framework/types.js";
import type { DatabaseEngine } from "./engine.js";
import { errorMessage } from "./connections.js";
import { getConfig, keys, requireConfig } from "./store.js";

const resetFields = { name: { type: "string", required: true, description: "Name of the connection." } } as const;

const RESET_HELP = `Close a connection's pool and open a new one from the stored configuration.

Waits for statements in flight, then connects again at once, so a connection that no
longer works is reported to the caller. Useful after a change on the database side, such
as a restarted or failed-over server whose old connections are broken.`;

export function resetPaths(engine: DatabaseEngine): PathDef[] {
  return [
    definePath({
      pattern: "reset/:name",
      fields: resetFields,
      operations: { update: (req, f) => resetConnection(engine, req, f) },
      help: RESET_HELP,
    }),
    definePath({
      pattern: "reload/:plugin_name",
      fields: { plugin_name: { type: "string", required: true, description: "The plugin whose connections are reset, e.g. postgresql-database-plugin." } },
      operations: { update: (req, f) => reloadPlugin(engine, req, f.values.plugin_name) },
      help: `Reset every connection of one plugin, as reset/<name> does for one.

Answers connections (the names reset) and count. Connections that fail to open again are
named in the error, after the others have been reset.`,
    }),
  ];
}

async function reloadPlugin(engine: DatabaseEngine, req: Request, pluginName: string): Promise<Response> {
  const reloaded: string[] = [];
  const failures: string[] = [];
  for (const name of await req.storage.list(keys.configPrefix)) {
    if (name.endsWith("/")) continue;
    const cfg = await getConfig(req.storage, name);
    if (cfg?.plugin_name !== pluginName) continue;
    try {
      await engine.connections.withExclusive(name, async (conn) => {
        await conn.replace(undefined);
        await conn.get();
      });
      reloaded.push(name);
    } catch (err) {
      failures.push(`${name}: ${errorMessage(err)}`);
    }
  }
  if (failures.length > 0) throw internalError(`failed to reload connections: ${failures.join("; ")}`);
  return { data: { connections: reloaded, count: reloaded.length } };
}

async function resetConnection(engine: DatabaseEngine, req: Request, f: Fields<typeof resetFields>): Promise<Response | undefined> {
  const name = f.values.name;
  await requireConfig(req.storage, name);
  await engine.connections.withExclusive(name, async (conn) => {
    await conn.replace(undefined);
    // Opening now, as Vault does, reports a connection that no longer works to the caller.
    await conn.get();
  });
  return undefined;
}
