/** kv metadata get|put|delete (command/kv_metadata_*.go). */
import { ApiError } from "../http-client.js";
import type { Command, Ctx } from "../command.js";
import { formatGoDuration } from "../duration.js";
import type { Secret } from "../secret.js";
import { target } from "./kv.js";
import { asMap, mountFlag, outputPath } from "./kv-helpers.js";
import { headerForMap } from "../gofmt.js";

async function metadataTarget(ctx: Ctx) {
  const bad = ctx.expectArgs(1, 1);
  if (bad !== undefined) return bad;
  const client = await ctx.client();
  const t = await target(ctx, client, ctx.args[0] as string, "metadata");
  if (typeof t === "number") return t;
  if (!t.v2) {
    ctx.ui.error("Metadata not supported on KV Version 1");
    return 1;
  }
  return { client, path: t.fullPath };
}

export const kvMetadataGetCommand: Command = {
  path: "kv metadata get",
  synopsis: "Retrieves key metadata from the KV store",
  help: `
Usage: mayfly kv metadata get [options] KEY

  Retrieves the metadata of a KV v2 secret: its settings and every version.

      $ mayfly kv metadata get -mount=secret foo`,
  flags: [mountFlag],
  async run(ctx) {
    const t = await metadataTarget(ctx);
    if (typeof t === "number") return t;
    let secret: Secret | null;
    try {
      secret = await t.client.read(t.path);
    } catch (err) {
      return ctx.fail(`Error reading ${t.path}`, err);
    }
    if (secret === null) {
      ctx.ui.error(`No value found at ${t.path}`);
      return 2;
    }
    if (ctx.field !== "") return ctx.rawField({ secret });
    if (secret.wrap_info !== null || ctx.format !== "table") return ctx.secret(secret);
    const versions = asMap(secret.data?.["versions"]);
    if (versions === null) {
      ctx.ui.error(`No value found at ${t.path}`);
      ctx.secret(secret);
      return 2;
    }
    const rest = { ...(secret.data ?? {}) };
    delete rest["versions"];
    outputPath(ctx, t.path, "Metadata Path");
    ctx.ui.info(headerForMap("Metadata", rest));
    ctx.secret({ ...secret, data: rest });
    const numbers = Object.keys(versions).map(Number).filter(Number.isInteger).sort((a, b) => a - b);
    for (const v of numbers) {
      const info = asMap(versions[String(v)]) ?? {};
      ctx.ui.info("\n" + headerForMap(`Version ${v}`, info));
      ctx.data(info);
    }
    return 0;
  },
};

export const kvMetadataPutCommand: Command = {
  path: "kv metadata put",
  synopsis: "Sets or updates key settings in the KV store",
  help: `
Usage: mayfly kv metadata put [options] KEY

  Creates or updates the settings of a KV v2 secret, without touching its data.

      $ mayfly kv metadata put -mount=secret -max-versions=5 foo
      $ mayfly kv metadata put -mount=secret -custom-metadata=owner=ops foo`,
  flags: [
    { name: "max-versions", kind: "int", default: -1, usage: "The number of versions to keep. 0 uses the engine's setting." },
    { name: "cas-required", kind: "bool", usage: "Require check-and-set on every write of this key." },
    { name: "delete-version-after", kind: "duration", usage: 'Delete versions this long after they are written ("0s" never).' },
    { name: "custom-metadata", kind: "map", usage: "A key=value pair of custom metadata; may be repeated." },
    mountFlag,
  ],
  async run(ctx) {
    const t = await metadataTarget(ctx);
    if (typeof t === "number") return t;
    const f = ctx.flags;
    const data: Record<string, unknown> = {};
    if (f.num("max-versions") >= 0) data["max_versions"] = f.num("max-versions");
    if (f.isSet("cas-required")) data["cas_required"] = f.bool("cas-required");
    if (f.isSet("delete-version-after") && f.num("delete-version-after") >= 0) {
      data["delete_version_after"] = formatGoDuration(f.num("delete-version-after"));
    }
    const custom = f.map("custom-metadata");
    if (Object.keys(custom).length > 0) data["custom_metadata"] = custom;
    let secret: Secret | null;
    try {
      secret = await t.client.write(t.path, data);
    } catch (err) {
      const code = ctx.fail(`Error writing data to ${t.path}`, err);
      if (err instanceof ApiError && err.secret !== null) ctx.secret(err.secret);
      return code;
    }
    if (secret === null) {
      if (ctx.format === "table") ctx.ui.info(`Success! Data written to: ${t.path}`);
      return 0;
    }
    return ctx.secret(secret);
  },
};

export const kvMetadataDeleteCommand: Command = {
  path: "kv metadata delete",
  synopsis: "Deletes all versions and metadata for a key in the KV store",
  help: `
Usage: mayfly kv metadata delete [options] PATH

  Deletes every version and the metadata of a KV v2 secret. This cannot be
  undone.

      $ mayfly kv metadata delete -mount=secret foo`,
  flags: [mountFlag],
  async run(ctx) {
    const t = await metadataTarget(ctx);
    if (typeof t === "number") return t;
    let secret: Secret | null;
    try {
      secret = await t.client.delete(t.path);
    } catch (err) {
      return ctx.fail(`Error deleting ${t.path}`, err);
    }
    if (secret === null) {
      if (ctx.format === "table") ctx.ui.info(`Success! Data deleted (if it existed) at: ${t.path}`);
      return 0;
    }
    return ctx.secret(secret);
  },
};

export const kvMetadataPatchCommand: Command = {
  path: "kv metadata patch",
  synopsis: "Patches key settings in the KV store",
  help: `
Usage: mayfly kv metadata patch [options] KEY

  Changes some settings of a KV v2 secret, leaving the others as they are (a
  JSON merge patch of its metadata). It can also create a key with no data.

      $ mayfly kv metadata patch -mount=secret -max-versions=5 foo
      $ mayfly kv metadata patch -mount=secret -delete-version-after=3h25m19s foo
      $ mayfly kv metadata patch -mount=secret -cas-required foo
      $ mayfly kv metadata patch -mount=secret -custom-metadata=owner=ops foo
      $ mayfly kv metadata patch -mount=secret -remove-custom-metadata=owner foo`,
  flags: [
    { name: "max-versions", kind: "int", default: -1, usage: "The number of versions to keep. Unset leaves the current setting." },
    { name: "cas-required", kind: "bool", usage: "Require check-and-set on every write of this key." },
    { name: "delete-version-after", kind: "duration", default: -1, usage: 'Delete versions this long after they are written ("0s" never).' },
    { name: "custom-metadata", kind: "map", usage: "A key=value pair of custom metadata to set; may be repeated." },
    { name: "remove-custom-metadata", kind: "strings", usage: "A custom metadata key to remove; may be repeated." },
    mountFlag,
  ],
  async run(ctx) {
    const t = await metadataTarget(ctx);
    if (typeof t === "number") return t;
    const f = ctx.flags;
    const data: Record<string, unknown> = {};
    if (f.num("max-versions") >= 0) data["max_versions"] = f.num("max-versions");
    if (f.isSet("cas-required")) data["cas_required"] = f.bool("cas-required");
    if (f.num("delete-version-after") >= 0) data["delete_version_after"] = formatGoDuration(f.num("delete-version-after"));
    // Vault's CLI always sends custom_metadata; in a merge patch {} changes nothing and null removes a key.
    const custom: Record<string, string | null> = { ...f.map("custom-metadata") };
    for (const key of f.strings("remove-custom-metadata")) custom[key] = null;
    data["custom_metadata"] = custom;
    let secret: Secret | null;
    try {
      secret = await t.client.write(t.path, data, "PATCH", "application/merge-patch+json");
    } catch (err) {
      const code = ctx.fail(`Error writing data to ${t.path}`, err);
      if (err instanceof ApiError && err.secret !== null) ctx.secret(err.secret);
      return code;
    }
    if (secret === null) {
      if (ctx.format === "table") ctx.ui.info(`Success! Data written to: ${t.path}`);
      return 0;
    }
    return ctx.secret(secret);
  },
};
