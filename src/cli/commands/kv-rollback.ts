/** kv rollback and kv enable-versioning (command/kv_rollback.go, kv_enable_versioning.go). */
import { ensureTrailingSlash, sanitizePath, type Command, type Ctx } from "../command.js";
import type { VaultClient } from "../http-client.js";
import type { Secret } from "../secret.js";
import { target } from "./kv.js";
import { asMap, mountFlag } from "./kv-helpers.js";

type PreRead = { meta: Record<string, unknown>; data: Record<string, unknown> | null } | number;

/** Reads `path` (at `version` when given) and checks it holds metadata, as rollback needs. */
async function preRead(ctx: Ctx, client: VaultClient, path: string, version?: number): Promise<PreRead> {
  let secret: Secret | null;
  try {
    secret = await client.read(path, version === undefined ? undefined : { version: String(version) });
  } catch (err) {
    return ctx.fail(`Error doing pre-read at ${path}`, err);
  }
  const fail = (message: string) => {
    ctx.ui.error(message);
    return 2;
  };
  if (secret === null || secret.data === null) return fail(`No value found at ${path}`);
  const rawMeta = secret.data["metadata"];
  if (rawMeta === undefined || rawMeta === null) return fail(`No metadata found at ${path}; rollback only works on existing data`);
  const meta = asMap(rawMeta);
  if (meta === null) return fail(`Metadata found at ${path} is not the expected type (JSON object)`);
  const rawData = secret.data["data"];
  return { meta, data: rawData === undefined || rawData === null ? null : (asMap(rawData) ?? {}) };
}

export const kvRollbackCommand: Command = {
  path: "kv rollback",
  synopsis: "Rolls back to a previous version of data",
  help: `
Usage: mayfly kv rollback [options] KEY

  *NOTE*: This is only supported for KV v2 engine mounts.

  Makes an earlier version of a secret current again by writing its data as a
  new version: with version 5 current, rolling back to version 2 writes
  version 2's data as version 6.

      $ mayfly kv rollback -mount=secret -version=2 foo

  The path-like form works too, though it is not the secret's API path
  (secret/data/foo):

      $ mayfly kv rollback -version=2 secret/foo`,
  flags: [{ name: "version", kind: "int", usage: "The version to make current again." }, mountFlag],
  async run(ctx) {
    if (ctx.args.length !== 1) {
      ctx.ui.error(`Invalid number of arguments (expected 1, got ${ctx.args.length})`);
      return 1;
    }
    if (!ctx.flags.isSet("version")) {
      ctx.ui.error("Version flag must be specified");
      return 1;
    }
    const version = ctx.flags.num("version");
    if (version <= 0) {
      ctx.ui.error(`Invalid value ${version} for the version flag`);
      return 1;
    }
    const client = await ctx.client();
    const t = await target(ctx, client, ctx.args[0] as string, "data");
    if (typeof t === "number") return t;
    if (!t.v2) {
      ctx.ui.error("K/V engine mount must be version 2 for rollback support");
      return 2;
    }
    // The current version, for check-and-set: a write in between makes the rollback fail.
    const current = await preRead(ctx, client, t.fullPath);
    if (typeof current === "number") return current;
    const wanted = await preRead(ctx, client, t.fullPath, version);
    if (typeof wanted === "number") return wanted;
    const deletion = wanted.meta["deletion_time"];
    if (typeof deletion === "string" && deletion !== "") {
      ctx.ui.error("Cannot roll back to a version that has been deleted");
      return 2;
    }
    if (wanted.meta["destroyed"] === true) {
      ctx.ui.error("Cannot roll back to a version that has been destroyed");
      return 2;
    }
    if (wanted.data === null) {
      ctx.ui.error(`No data found at ${t.fullPath}; rollback only works on existing data`);
      return 2;
    }
    let secret: Secret | null;
    try {
      secret = await client.write(t.fullPath, { data: wanted.data, options: { cas: current.meta["version"] } });
    } catch (err) {
      return ctx.fail(`Error writing data to ${t.fullPath}`, err);
    }
    if (secret === null) {
      if (ctx.format === "table") ctx.ui.info(`Success! Data written to: ${t.fullPath}`);
      return 0;
    }
    if (ctx.field !== "") return ctx.rawField({ secret });
    return ctx.secret(secret);
  },
};

export const kvEnableVersioningCommand: Command = {
  path: "kv enable-versioning",
  synopsis: "Turns on versioning for a KV store",
  help: `
Usage: mayfly kv enable-versioning [options] KEY

  Turns on versioning for the KV engine at the given path (upgrades a KV v1
  mount to KV v2; its keys become version 1 of each secret).

      $ mayfly kv enable-versioning secret`,
  async run(ctx) {
    const bad = ctx.expectArgs(1, 1);
    if (bad !== undefined) return bad;
    const mountPath = ensureTrailingSlash(sanitizePath(ctx.args[0] as string));
    const client = await ctx.client();
    try {
      await client.request("POST", `sys/mounts/${sanitizePath(mountPath)}/tune`, { body: { options: { version: "2" } } });
    } catch (err) {
      return ctx.fail(`Error tuning secrets engine ${mountPath}`, err);
    }
    ctx.ui.output(`Success! Tuned the secrets engine at: ${mountPath}`);
    return 0;
  },
};
