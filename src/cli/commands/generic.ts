/** read, write, list, delete, patch: the path-generic commands (command/read.go, write.go, ...). */
import { DataArgError, parseDataArgs } from "../data-args.js";
import { ApiError, type VaultClient } from "../http-client.js";
import { sanitizePath, type Command, type Ctx } from "../command.js";

async function dataFrom(ctx: Ctx, args: string[]): Promise<Record<string, unknown> | number> {
  try {
    return await parseDataArgs(args, { stdin: ctx.io.stdin });
  } catch (err) {
    if (err instanceof DataArgError) {
      ctx.ui.error(`Failed to parse K=V data: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

/** Query parameters from k=v arguments (ReadWithData / DeleteWithData). */
function toQuery(data: Record<string, unknown>): Record<string, string[]> {
  const q: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(data)) q[k] = (Array.isArray(v) ? v : [v]).map((x) => (typeof x === "string" ? x : JSON.stringify(x)));
  return q;
}

export const readCommand: Command = {
  path: "read",
  synopsis: "Read data and retrieves secrets",
  help: `
Usage: mayfly read [options] PATH [KEY=VALUE...]

  Reads data from Mayfly at the given path. This can be used to read secrets,
  generate dynamic credentials, get configuration details, and more.

  Read a secret from the static secrets engine:

      $ mayfly read secret/my-secret

  Extra KEY=VALUE arguments are sent as query parameters.`,
  async run(ctx) {
    const bad = ctx.expectArgs(1, Infinity);
    if (bad !== undefined) return bad;
    const path = sanitizePath(ctx.args[0] as string);
    const data = await dataFrom(ctx, ctx.args.slice(1));
    if (typeof data === "number") return data;
    const client = await ctx.client();
    const query = Object.keys(data).length > 0 ? toQuery(data) : undefined;
    if (ctx.format === "raw") {
      try {
        const res = await client.request("GET", path, query ? { query } : {});
        ctx.ui.output(res.body);
        return 0;
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) {
          ctx.ui.error(`No value found at ${path}`);
          return 2;
        }
        return ctx.fail(`Error reading ${path}`, err);
      }
    }
    let secret;
    try {
      secret = await client.read(path, query);
    } catch (err) {
      return ctx.fail(`Error reading ${path}`, err);
    }
    if (secret === null) {
      ctx.ui.error(`No value found at ${path}`);
      return 2;
    }
    if (ctx.field !== "") return ctx.rawField({ secret });
    return ctx.secret(secret);
  },
};

const forceFlag = { name: "force", kind: "bool", aliases: ["f"], usage: "Allow the operation to continue with no key=value pairs." } as const;

async function writeLike(ctx: Ctx, method: "PUT" | "PATCH"): Promise<number> {
  if (ctx.args.length < 1) {
    ctx.ui.error(`Not enough arguments (expected 1, got 0)`);
    return 1;
  }
  if (ctx.args.length === 1 && !ctx.flags.bool("force")) {
    ctx.ui.error("Must supply data or use -force");
    return 1;
  }
  const path = sanitizePath(ctx.args[0] as string);
  const data = await dataFrom(ctx, ctx.args.slice(1));
  if (typeof data === "number") return data;
  const client = await ctx.client();
  let secret;
  try {
    secret =
      method === "PATCH" ? await client.write(path, data, "PATCH", "application/merge-patch+json") : await client.write(path, data);
  } catch (err) {
    const code = ctx.fail(`Error writing data to ${path}`, err);
    if (err instanceof ApiError && err.secret !== null) ctx.secret(err.secret);
    return code;
  }
  if (secret === null) {
    if (ctx.format === "table") ctx.ui.info(`Success! Data written to: ${path}`);
    return 0;
  }
  if (ctx.field !== "") return ctx.rawField({ secret });
  return ctx.secret(secret);
}

export const writeCommand: Command = {
  path: "write",
  synopsis: "Write data, configuration, and secrets",
  help: `
Usage: mayfly write [options] PATH [DATA K=V...]

  Writes data to Mayfly at the given path. The data can be credentials, secrets,
  configuration, or arbitrary data.

      $ mayfly write database/roles/app db_name=prod default_ttl=1h

  A value beginning with "@" is read from a file; a value of "-" is read from
  stdin; a bare "-" reads a JSON object from stdin:

      $ mayfly write secret/password value=@data.txt
      $ echo $PASSWORD | mayfly write secret/password value=-

  Use -force (or -f) to write with no data.`,
  flags: [forceFlag],
  run: (ctx) => writeLike(ctx, "PUT"),
};

export const patchCommand: Command = {
  path: "patch",
  synopsis: "Patch data, configuration, and secrets",
  help: `
Usage: mayfly patch [options] PATH [DATA K=V...]

  Patches data at the given path with a JSON merge patch (HTTP PATCH).

      $ mayfly patch pki/roles/example allow_localhost=false`,
  flags: [forceFlag],
  run: (ctx) => writeLike(ctx, "PATCH"),
};

export const listCommand: Command = {
  path: "list",
  synopsis: "List data or secrets",
  help: `
Usage: mayfly list [options] PATH

  Lists data from Mayfly at the given path. This can be used to list keys in a
  secrets engine, or active leases under a prefix.

      $ mayfly list sys/leases/lookup/database/creds/app-readonly/`,
  flags: [{ name: "detailed", kind: "bool", usage: "Print the whole response (json/yaml) or the key_info columns (table)." }],
  async run(ctx) {
    const bad = ctx.expectArgs(1, 1);
    if (bad !== undefined) return bad;
    return listAndPrint(ctx, await ctx.client(), sanitizePath(ctx.args[0] as string));
  },
};

/** LIST a path and print the keys, with list.go's messages and exit codes. */
export async function listAndPrint(ctx: Ctx, client: VaultClient, path: string): Promise<number> {
  let secret;
  try {
    secret = await client.list(path);
  } catch (err) {
    return ctx.fail(`Error listing ${path}`, err);
  }
  if (secret !== null && secret.wrap_info !== null && secret.wrap_info.ttl !== 0) return ctx.secret(secret);
  const keys = secret?.data?.["keys"];
  const hasKeys = Array.isArray(keys);
  if (ctx.format !== "table" && (secret === null || secret.data === null || !hasKeys)) {
    ctx.data({});
    return 2;
  }
  if (secret === null) {
    ctx.ui.error(`No value found at ${path}`);
    return 2;
  }
  // No data but a secret: it carries warnings, which are worth showing.
  if (secret.data === null) return ctx.secret(secret);
  if (!hasKeys) {
    ctx.ui.error(`No entries found at ${path}`);
    return 2;
  }
  return ctx.list(secret);
}

export const deleteCommand: Command = {
  path: "delete",
  synopsis: "Delete secrets and configuration",
  help: `
Usage: mayfly delete [options] PATH [K=V...]

  Deletes secrets and configuration from Mayfly at the given path.

      $ mayfly delete secret/my-secret`,
  async run(ctx) {
    const bad = ctx.expectArgs(1, Infinity);
    if (bad !== undefined) return bad;
    const path = sanitizePath(ctx.args[0] as string);
    const data = await dataFrom(ctx, ctx.args.slice(1));
    if (typeof data === "number") return data;
    const client = await ctx.client();
    let secret;
    try {
      secret = await client.delete(path, Object.keys(data).length > 0 ? toQuery(data) : undefined);
    } catch (err) {
      const code = ctx.fail(`Error deleting ${path}`, err);
      if (err instanceof ApiError && err.secret !== null) ctx.secret(err.secret);
      return code;
    }
    if (secret === null) {
      if (ctx.format === "table") ctx.ui.info(`Success! Data deleted (if it existed) at: ${path}`);
      return 0;
    }
    return ctx.secret(secret);
  },
};
