/** `<mount>/metadata/<key>`: a secret's settings and version history; listing; full removal. */
import { formatGoDuration } from "../../../framework/duration.js";
import { badRequest, notFound } from "../../../framework/errors.js";
import type { Fields } from "../../../framework/fields.js";
import { definePath, type PathDef, type Request, type Response } from "../../../framework/types.js";
import { toCustomMetadata, validateCustomMetadata } from "./custom-metadata.js";
import { customMetadataOut, formatTimestamp, newKeyMetadata, type KeyMetadata } from "./model.js";
import { invalidPath, isGroupRoot, keyIn, missingPath } from "./paths-common.js";
import type { KvStore } from "./store.js";

const fields = {
  path: { type: "string", description: "Location of the secret." },
  max_versions: {
    type: "int",
    description: "Versions of this key to keep; the larger of this and the mount's max_versions applies, 10 when both are 0.",
  },
  cas_required: { type: "bool", description: "Refuse writes and patches of this key's data that do not carry the cas option." },
  delete_version_after: {
    type: "duration",
    description: "Soft-delete each version this long after it is written; the shorter of this and the mount's setting applies. 0 leaves it to the mount; negative values are refused.",
  },
  custom_metadata: {
    type: "map",
    description: "Strings describing the secret, kept apart from its versions: at most 64 keys, keys up to 128 bytes, values up to 512, printable characters only. A write replaces the whole map; a patch merges into it, a null removing a key.",
  },
} as const;

type MetadataFields = Fields<typeof fields>;

const CAS_IGNORED_WARNING = '"cas_required" set to false, but is mandated by backend config. This value will be ignored.';

export function metadataPath(store: KvStore): PathDef {
  async function read(req: Request): Promise<Response | undefined> {
    if (isGroupRoot(req, "metadata")) return invalidPath(req);
    const key = keyIn(req, "metadata");
    const meta = key === "" ? undefined : await store.getMeta(key);
    if (meta === undefined) throw notFound();
    return { data: metadataResponse(meta) };
  }

  async function write(req: Request, f: MetadataFields): Promise<Response | undefined> {
    if (isGroupRoot(req, "metadata")) return invalidPath(req);
    const key = keyIn(req, "metadata");
    if (key === "") throw missingPath();
    const settings = parseSettings(f, false);
    if (settings === undefined) return undefined;
    const config = await store.getConfig();
    await store.withKey(key, async () => {
      const meta = (await store.getMeta(key)) ?? newKeyMetadata(req.nowMs);
      applySettings(meta, settings);
      await store.commit([store.putMetaOp(key, meta)]);
    });
    return casWarning(f, config.casRequired);
  }

  async function patch(req: Request, f: MetadataFields): Promise<Response | undefined> {
    if (isGroupRoot(req, "metadata")) return invalidPath(req);
    const key = keyIn(req, "metadata");
    if (key === "") throw missingPath();
    const settings = parseSettings(f, true);
    const config = await store.getConfig();
    await store.withKey(key, async () => {
      const meta = await store.getMeta(key);
      if (meta === undefined) throw notFound();
      if (settings !== undefined) applySettings(meta, settings);
      await store.commit([store.putMetaOp(key, meta)]);
    });
    return casWarning(f, config.casRequired);
  }

  async function remove(req: Request): Promise<Response | undefined> {
    if (isGroupRoot(req, "metadata")) return invalidPath(req);
    const key = keyIn(req, "metadata");
    if (key === "") return undefined;
    await store.withKey(key, async () => {
      if ((await store.getMeta(key)) === undefined) return;
      await store.commit(await store.deleteAllOps(key));
    });
    return undefined;
  }

  async function list(req: Request): Promise<Response | undefined> {
    let folder = keyIn(req, "metadata");
    if (folder !== "" && !folder.endsWith("/")) folder += "/";
    const keys = await store.listMeta(folder);
    if (keys.length === 0) throw notFound();
    return { data: { keys } };
  }

  async function exists(req: Request): Promise<boolean> {
    const key = keyIn(req, "metadata");
    return key !== "" && (await store.getMeta(key)) !== undefined;
  }

  return definePath({
    pattern: ["metadata/*path", "metadata/"],
    fields,
    operations: { read, create: write, update: write, patch, delete: remove, list },
    existenceCheck: exists,
    pureReads: true,
    help: `Manage a secret's settings and version history, or remove it with every version.

A read returns the key's settings (max_versions, cas_required, delete_version_after,
custom_metadata), created_time, updated_time, current_version, oldest_version and each
kept version with its created_time, deletion_time and destroyed flag.

A write sets the settings it sends, custom_metadata replaced whole, and creates the key's
metadata if the key has none yet. A patch changes only what it sends, merges
custom_metadata, and needs the key to exist.

A listing returns the keys and folders (ending in "/") under the path; this is how kv
list lists a versioned store. A delete removes the key, its metadata and the data of every
version, for good.`,
  });
}

interface Settings {
  maxVersions?: number;
  casRequired?: boolean;
  deleteVersionAfterSeconds?: number;
  /** For PATCH: keys to set; `remove` lists the keys a null asked to drop. */
  customMetadata?: { set: Record<string, string>; remove: string[]; replace: boolean };
}

/** The settings the caller sent, validated; undefined when none was sent. */
function parseSettings(f: MetadataFields, isPatch: boolean): Settings | undefined {
  const s: Settings = {};
  const maxVersions = f.getOk("max_versions");
  if (maxVersions !== undefined) {
    if (maxVersions < 0) throw badRequest("max_versions cannot be negative");
    s.maxVersions = maxVersions;
  }
  const casRequired = f.getOk("cas_required");
  if (casRequired !== undefined) s.casRequired = casRequired;
  const dva = f.getOk("delete_version_after");
  if (dva !== undefined) {
    if (dva < 0) throw badRequest(`cannot provide negative value '${dva}' for delete_version_after`);
    s.deleteVersionAfterSeconds = dva;
  }
  const rawCm = f.getOk("custom_metadata");
  if (rawCm !== undefined) {
    const set = toCustomMetadata(rawCm, isPatch);
    validateCustomMetadata(set);
    const remove = isPatch ? Object.keys(rawCm).filter((k) => rawCm[k] === null) : [];
    s.customMetadata = { set, remove, replace: !isPatch };
  }
  return Object.keys(s).length === 0 ? undefined : s;
}

function applySettings(meta: KeyMetadata, s: Settings): void {
  if (s.maxVersions !== undefined) meta.maxVersions = s.maxVersions;
  if (s.casRequired !== undefined) meta.casRequired = s.casRequired;
  if (s.deleteVersionAfterSeconds !== undefined) meta.deleteVersionAfterSeconds = s.deleteVersionAfterSeconds;
  if (s.customMetadata !== undefined) {
    const { set, remove, replace } = s.customMetadata;
    const next: Record<string, string> = replace ? {} : { ...(meta.customMetadata ?? {}) };
    for (const k of remove) delete next[k];
    for (const [k, v] of Object.entries(set)) {
      Object.defineProperty(next, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    meta.customMetadata = next;
  }
}

function casWarning(f: MetadataFields, mountRequiresCas: boolean): Response | undefined {
  return f.getOk("cas_required") === false && mountRequiresCas ? { warnings: [CAS_IGNORED_WARNING] } : undefined;
}

function metadataResponse(meta: KeyMetadata): Record<string, unknown> {
  const versions: Record<string, unknown> = {};
  for (const [n, v] of Object.entries(meta.versions)) {
    versions[n] = {
      created_time: formatTimestamp(v.createdMs),
      deletion_time: formatTimestamp(v.deletionMs),
      destroyed: v.destroyed,
    };
  }
  return {
    cas_required: meta.casRequired,
    created_time: formatTimestamp(meta.createdMs),
    current_version: meta.currentVersion,
    custom_metadata: customMetadataOut(meta),
    delete_version_after: formatGoDuration(meta.deleteVersionAfterSeconds),
    max_versions: meta.maxVersions,
    oldest_version: meta.oldestVersion,
    updated_time: formatTimestamp(meta.updatedMs),
    versions,
  };
}
