/** `reset/<name>`: close the connection's pool and open a fresh one from the stored config. */
import type { Fields } from "../../framework/fields.js";
import { definePath, type PathDef, type Request, type Response } from "../../framework/types.js";
import type { DatabaseEngine } from "./engine.js";
import { requireConfig } from "./store.js";

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
  ];
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
