/** kv put|get|patch|list|delete|undelete|destroy (command/kv_*.go). */
import { ApiError, type VaultClient } from "../http-client.js";
import { headerForMap } from "../gofmt.js";
import type { Command, Ctx } from "../command.js";
import type { Secret } from "../secret.js";
import { printWarnings } from "../output.js";
import { listAndPrint } from "./generic.js";
import {
  addPrefixToKvPath,
  asMap,
  kvData,
  mountFlag,
  outputPath,
  parseVersions,
  resolveKv,
  versionsFlag,
  type KvTarget,
} from "./kv-helpers.js";

/** Runs the preflight; on failure prints the error alone with exit 2, as Vault does. */
export async function target(ctx: Ctx, client: VaultClient, arg: string, prefix: string): Promise<KvTarget | number> {
  try {
    return await resolveKv(ctx, client, arg, prefix);
  } catch (err) {
    // API, transport and preflight-shape errors alike: Vault prints the message alone.
    if (err instanceof Error) {
      ctx.ui.error(err.message);
      return 2;
    }
    throw err;
  }
}

/** The table shape after a KV v2 write: the path, then the version metadata. */
function printWriteResult(ctx: Ctx, fullPath: string, secret: Secret): number {
  if (ctx.field !== "") return ctx.rawField({ secret });
  if (secret.wrap_info !== null && secret.wrap_info.ttl !== 0) return ctx.secret(secret);
  if (ctx.format === "table") {
    outputPath(ctx, fullPath, "Secret Path");
    const metadata = secret.data ?? {};
    ctx.ui.info(headerForMap("Metadata", metadata));
    return ctx.data(metadata);
  }
  return ctx.secret(secret);
}

export const kvPutCommand: Command = {
  path: "kv put",
  synopsis: "Sets or updates data in the KV store",
  help: `
Usage: mayfly kv put [options] KEY [DATA]

  Writes the data to the given path in the key-value store.

      $ mayfly kv put -mount=secret foo bar=baz
      $ mayfly kv put secret/foo bar=baz

  Values can come from a file (bar=@file) or stdin (bar=-). To perform a
  check-and-set, give -cas with the version you expect:

      $ mayfly kv put -mount=secret -cas=1 foo bar=baz`,
  flags: [
    { name: "cas", kind: "int", default: -1, usage: "Check-and-set: 0 writes only if the key does not exist; N writes only if the current version is N." },
    mountFlag,
  ],
  async run(ctx) {
    if (ctx.args.length < 1) {
      ctx.ui.error(`Not enough arguments (expected >1, got ${ctx.args.length})`);
      return 1;
    }
    if (ctx.args.length === 1) {
      ctx.ui.error("Must supply data");
      return 1;
    }
    const client = await ctx.client();
    let data = await kvData(ctx, ctx.args.slice(1));
    if (typeof data === "number") return data;
    const t = await target(ctx, client, ctx.args[0] as string, "data");
    if (typeof t === "number") return t;
    if (t.v2) {
      const options: Record<string, unknown> = {};
      if (ctx.flags.num("cas") > -1) options["cas"] = ctx.flags.num("cas");
      data = { data, options };
    }
    let secret;
    try {
      secret = await client.write(t.fullPath, data);
    } catch (err) {
      const code = ctx.fail(`Error writing data to ${t.fullPath}`, err);
      if (err instanceof ApiError && err.secret !== null) ctx.secret(err.secret);
      return code;
    }
    if (secret === null) {
      if (ctx.format === "table") ctx.ui.info(`Success! Data written to: ${t.fullPath}`);
      return 0;
    }
    return printWriteResult(ctx, t.fullPath, secret);
  },
};

export const kvGetCommand: Command = {
  path: "kv get",
  synopsis: "Retrieves data from the KV store",
  help: `
Usage: mayfly kv get [options] KEY

  Retrieves the value at the given key of the key-value store.

      $ mayfly kv get -mount=secret foo
      $ mayfly kv get -version=1 secret/foo`,
  flags: [{ name: "version", kind: "int", default: 0, usage: "Read this version of the secret (KV v2)." }, mountFlag],
  async run(ctx) {
    const bad = ctx.expectArgs(1, 1);
    if (bad !== undefined) return bad;
    const client = await ctx.client();
    const t = await target(ctx, client, ctx.args[0] as string, "data");
    if (typeof t === "number") return t;
    const version = ctx.flags.num("version");
    let secret: Secret | null;
    try {
      secret = await client.read(t.fullPath, t.v2 && version > 0 ? { version: String(version) } : undefined);
    } catch (err) {
      return ctx.fail(`Error reading ${t.fullPath}`, err);
    }
    if (secret === null) {
      ctx.ui.error(`No value found at ${t.fullPath}`);
      return 2;
    }
    if (ctx.field !== "") return kvField(ctx, t, secret);
    if (secret.wrap_info !== null || ctx.format !== "table") return ctx.secret(secret);
    printWarnings(ctx.ui, secret);
    if (t.v2) outputPath(ctx, t.fullPath, "Secret Path");
    const metadata = asMap(secret.data?.["metadata"]);
    if (t.v2 && metadata !== null) {
      ctx.ui.info(headerForMap("Metadata", metadata));
      ctx.data(metadata);
      ctx.ui.info("");
    }
    const data = t.v2 ? asMap(secret.data?.["data"]) : secret.data;
    if (data !== null) {
      ctx.ui.info(headerForMap("Data", data));
      ctx.data(data);
    }
    return 0;
  },
};

function kvField(ctx: Ctx, t: KvTarget, secret: Secret): number {
  if (!t.v2) return ctx.rawField({ secret });
  const data = secret.data?.["data"];
  const dataMap = asMap(data);
  if (data === undefined || data === null) {
    ctx.ui.error(`No data found at ${t.fullPath}`);
    return 2;
  }
  // A literal "data" field means the data block itself, unless a key is named "data".
  if (ctx.field === "data") {
    if (dataMap !== null && "data" in dataMap) return ctx.rawField({ map: dataMap });
    return ctx.rawField({ secret });
  }
  return ctx.rawField({ map: dataMap ?? {} });
}

export const kvPatchCommand: Command = {
  path: "kv patch",
  synopsis: "Sets or updates data in the KV store without overwriting",
  help: `
Usage: mayfly kv patch [options] KEY [DATA]

  Adds or changes keys of an existing KV v2 secret, leaving the others alone.

      $ mayfly kv patch -mount=secret foo bar=baz

  By default an HTTP PATCH is sent; -method=rw reads the secret and writes the
  merged data back with check-and-set.`,
  flags: [
    { name: "cas", kind: "int", default: -1, usage: "Check-and-set version for the write." },
    { name: "method", kind: "string", usage: 'How to patch: "patch" (HTTP PATCH) or "rw" (read, then write).' },
    mountFlag,
  ],
  async run(ctx) {
    if (ctx.args.length < 1) {
      ctx.ui.error(`Not enough arguments (expected >1, got ${ctx.args.length})`);
      return 1;
    }
    if (ctx.args.length === 1) {
      ctx.ui.error("Must supply data");
      return 1;
    }
    const client = await ctx.client();
    const t = await target(ctx, client, ctx.args[0] as string, "data");
    if (typeof t === "number") return t;
    if (!t.v2) {
      ctx.ui.error("K/V engine mount must be version 2 for patch support");
      return 2;
    }
    const newData = await kvData(ctx, ctx.args.slice(1));
    if (typeof newData === "number") return newData;
    const method = ctx.flags.str("method");
    let result: { secret: Secret | null; code: number };
    switch (method) {
      case "rw":
        result = await readThenWrite(ctx, client, t.fullPath, newData);
        break;
      case "patch":
      case "":
        result = await mergePatch(ctx, client, t.fullPath, newData, method === "");
        break;
      default:
        ctx.ui.error(`Unsupported method provided to -method flag: ${method}`);
        return 2;
    }
    if (result.code !== 0 || result.secret === null) return result.code;
    return printWriteResult(ctx, t.fullPath, result.secret);
  },
};

async function mergePatch(ctx: Ctx, client: VaultClient, path: string, newData: Record<string, unknown>, fallback: boolean) {
  const options: Record<string, unknown> = {};
  if (ctx.flags.num("cas") >= 0) options["cas"] = ctx.flags.num("cas");
  try {
    const secret = await client.write(path, { data: newData, options }, "PATCH", "application/merge-patch+json");
    return { secret, code: 0 };
  } catch (err) {
    // 405: a server without PATCH; 403: a policy without the "patch" capability.
    if (fallback && err instanceof ApiError && (err.status === 405 || err.status === 403)) {
      return readThenWrite(ctx, client, path, newData);
    }
    return { secret: null, code: ctx.fail(`Error writing data to ${path}`, err) };
  }
}

async function readThenWrite(ctx: Ctx, client: VaultClient, path: string, newData: Record<string, unknown>) {
  const failed = (message: string) => {
    ctx.ui.error(message);
    return { secret: null, code: 2 };
  };
  let current: Secret | null;
  try {
    current = await client.read(path);
  } catch (err) {
    return { secret: null, code: ctx.fail(`Error doing pre-read at ${path}`, err) };
  }
  if (current === null || current.data === null) return failed(`No value found at ${path}`);
  const meta = asMap(current.data["metadata"]);
  if (meta === null) return failed(`No metadata found at ${path}; patch only works on existing data`);
  const data = asMap(current.data["data"]);
  if (data === null) return failed(`No data found at ${path}; patch only works on existing data`);
  try {
    const secret = await client.write(path, { data: { ...data, ...newData }, options: { cas: meta["version"] } });
    return { secret, code: 0 };
  } catch (err) {
    return { secret: null, code: ctx.fail(`Error writing data to ${path}`, err) };
  }
}

export const kvListCommand: Command = {
  path: "kv list",
  synopsis: "List data or secrets",
  help: `
Usage: mayfly kv list [options] PATH

  Lists keys under a path of the key-value store (KV v2 lists its metadata).

      $ mayfly kv list -mount=secret my-app/
      $ mayfly kv list secret/`,
  flags: [mountFlag, { name: "detailed", kind: "bool", usage: "Print the whole response in json/yaml." }],
  async run(ctx) {
    const bad = ctx.expectArgs(1, 1);
    if (bad !== undefined) return bad;
    const client = await ctx.client();
    const t = await target(ctx, client, ctx.args[0] as string, "metadata");
    if (typeof t === "number") return t;
    return listAndPrint(ctx, client, t.fullPath);
  },
};

function versionedWrite(kind: "delete" | "undelete" | "destroy"): (ctx: Ctx) => Promise<number> {
  const capital = kind.charAt(0).toUpperCase() + kind.slice(1);
  return async (ctx) => {
    const bad = ctx.expectArgs(1, 1);
    if (bad !== undefined) return bad;
    const versions = parseVersions(ctx.flags.strings("versions"));
    if (kind !== "delete" && versions.length === 0) {
      ctx.ui.error(`No versions provided, use the "-versions" flag to specify the version to ${kind}.`);
      return 1;
    }
    const client = await ctx.client();
    const t = await target(ctx, client, ctx.args[0] as string, "data");
    if (typeof t === "number") return t;
    if (kind !== "delete" && !t.v2) {
      ctx.ui.error(`${capital} not supported on KV Version 1`);
      return 1;
    }
    let secret: Secret | null;
    let shownPath = t.fullPath;
    try {
      if (kind === "delete" && (!t.v2 || versions.length === 0)) {
        secret = await client.delete(t.fullPath);
      } else {
        shownPath = addPrefixToKvPath(t.partialPath, t.mountPath, kind);
        secret = await client.write(shownPath, { versions });
        // kv delete reports the data path even when it posted to delete/.
        if (kind === "delete") shownPath = t.fullPath;
      }
    } catch (err) {
      const verb = kind === "delete" ? "Error deleting" : "Error writing data to";
      const code = ctx.fail(`${verb} ${shownPath}`, err);
      if (err instanceof ApiError && err.secret !== null) ctx.secret(err.secret);
      return code;
    }
    if (secret === null) {
      if (ctx.format === "table") {
        ctx.ui.info(kind === "delete" ? `Success! Data deleted (if it existed) at: ${shownPath}` : `Success! Data written to: ${shownPath}`);
      }
      return 0;
    }
    return ctx.secret(secret);
  };
}

const versionsHelp = (kind: string, example: string) => `
Usage: mayfly kv ${kind} [options] KEY

  ${example}

      $ mayfly kv ${kind} -mount=secret -versions=3 foo`;

export const kvDeleteCommand: Command = {
  path: "kv delete",
  synopsis: "Deletes versions in the KV store",
  help: versionsHelp("delete", "Soft-deletes the latest version (or the given -versions) of a KV v2 secret; deletes a KV v1 key."),
  flags: [versionsFlag, mountFlag],
  run: versionedWrite("delete"),
};

export const kvUndeleteCommand: Command = {
  path: "kv undelete",
  synopsis: "Undeletes versions in the KV store",
  help: versionsHelp("undelete", "Restores soft-deleted versions of a KV v2 secret."),
  flags: [versionsFlag, mountFlag],
  run: versionedWrite("undelete"),
};

export const kvDestroyCommand: Command = {
  path: "kv destroy",
  synopsis: "Permanently removes one or more versions in the KV store",
  help: versionsHelp("destroy", "Permanently removes the data of versions of a KV v2 secret."),
  flags: [versionsFlag, mountFlag],
  run: versionedWrite("destroy"),
};
