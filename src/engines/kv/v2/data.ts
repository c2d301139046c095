/** `<mount>/data/<key>`: read a version, write a new one, patch, soft-delete the latest. */
import { badRequest, internalError, notFound } from "../../../framework/errors.js";
import type { Fields } from "../../../framework/fields.js";
import { definePath, type PathDef, type Request, type Response } from "../../../framework/types.js";
import { isShared, sharedDerived, shareFrozen } from "../../../storage/shared-values.js";
import { mergePatch } from "./merge-patch.js";
import { addVersion, isLive, newKeyMetadata, scheduledDeletionMs, versionResponse, type KeyMetadata, type KvConfig } from "./model.js";
import { invalidPath, keyIn, notFoundWithData, weakInteger } from "./paths-common.js";
import type { KvStore } from "./store.js";

const fields = {
  path: { type: "string", description: "Location of the secret." },
  version: { type: "int", description: "On read, the version to return; the latest when 0 or absent." },
  options: {
    type: "map",
    description: 'Write options. "cas": the write or patch succeeds only if this equals the current version (0: only if the key does not exist yet).',
  },
  data: { type: "map", description: "The secret's key/value pairs." },
} as const;

const DATA_HELP = `Write, patch, read and delete versions of a secret in the versioned key/value store.

A write stores data as a new version and answers with that version's metadata (version,
created_time, deletion_time, destroyed, custom_metadata). A patch (the PATCH method, as
kv patch sends it) merges data into the current version as a JSON merge patch, in which a
null removes a key, and stores the result as a new version; the key must exist and its
current version must not be deleted.

Check-and-set: with options.cas, a write or patch succeeds only if cas equals the key's
current version, 0 meaning the key must not exist yet. When config or the key's metadata
sets cas_required, a write without cas is refused.

A read returns data and metadata of the latest version, or of the one given by version.
A deleted or destroyed version answers 404 with its metadata and no data.

A delete soft-deletes the latest version: undelete/<path> brings it back. delete/<path>
takes other versions, destroy/<path> removes data for good, and a delete of
metadata/<path> removes the key with every version. A key keeps its newest max_versions
versions (10 unless config or its metadata says otherwise). Nothing is listed here: list
metadata/ instead.`;

type DataFields = Fields<typeof fields>;

export function dataPath(store: KvStore): PathDef {
  /** The key, or the 404 Vault gives for `data/` and keys ending in "/" (its pattern wants a last character other than "/"). */
  const target = (req: Request): { key: string } | { invalid: Response } => {
    const key = keyIn(req, "data");
    if (key === "" || key.endsWith("/")) return { invalid: invalidPath(req) };
    return { key };
  };

  async function read(req: Request, f: DataFields): Promise<Response | undefined> {
    const t = target(req);
    if ("invalid" in t) return t.invalid;
    const wanted = f.values.version > 0 ? f.values.version : undefined;
    return readVersion(store, t.key, wanted, req.nowMs, false);
  }

  async function write(req: Request, f: DataFields): Promise<Response | undefined> {
    const t = target(req);
    if ("invalid" in t) return t.invalid;
    const data = f.getOk("data");
    if (data === undefined) throw badRequest("no data provided");
    return store.withKey(t.key, async () => {
      const config = await store.getConfig();
      const meta = (await store.getMeta(t.key)) ?? newKeyMetadata(req.nowMs);
      checkAndSet(f, config, meta);
      return commitNewVersion(store, t.key, meta, config, data, req.nowMs);
    });
  }

  async function patch(req: Request, f: DataFields): Promise<Response | undefined> {
    const t = target(req);
    if ("invalid" in t) return t.invalid;
    const changes = f.getOk("data");
    if (changes === undefined) throw badRequest("no data provided");
    return store.withKey(t.key, async () => {
      const meta = await store.getMeta(t.key);
      if (meta === undefined) throw notFound();
      const config = await store.getConfig();
      checkAndSet(f, config, meta);
      const number = meta.currentVersion;
      const current = meta.versions[String(number)];
      if (current === undefined) throw notFound();
      // Unlike a read, a patch's 404 carries the version block alone (Vault's shape).
      if (!isLive(current, req.nowMs)) throw notFoundWithData(versionResponse(meta, number, current));
      const existing = await store.getVersionData(t.key, number);
      if (existing === undefined) throw internalError("could not find version data");
      const merged = mergePatch(existing, changes) as Record<string, unknown>;
      return commitNewVersion(store, t.key, meta, config, merged, req.nowMs);
    });
  }

  async function remove(req: Request): Promise<Response | undefined> {
    const t = target(req);
    if ("invalid" in t) return t.invalid;
    await store.withKey(t.key, async () => {
      const meta = await store.getMeta(t.key);
      const latest = meta?.versions[String(meta.currentVersion)];
      if (meta === undefined || latest === undefined || !isLive(latest, req.nowMs)) return;
      latest.deletionMs = req.nowMs;
      await store.commit([store.putMetaOp(t.key, meta)]);
    });
    return undefined;
  }

  async function exists(req: Request): Promise<boolean> {
    const key = keyIn(req, "data");
    return key !== "" && (await store.getMeta(key)) !== undefined;
  }

  return definePath({
    pattern: ["data/*path", "data/"],
    fields,
    operations: {
      read,
      create: write,
      update: write,
      patch,
      delete: remove,
      // Vault has no listing under data/; the answer points at `kv list`.
      list: async (req) => invalidPath(req),
    },
    existenceCheck: exists,
    pureReads: true,
    help: DATA_HELP,
  });
}

/** Owner of the version metadata answers remembered with a shared metadata record. */
const VERSION_RESPONSES = {};

/**
 * A version's data with its metadata, or Vault's 404s: plain when the key or version is
 * unknown, carrying the metadata when the version is deleted or destroyed.
 */
export async function readVersion(
  store: KvStore,
  key: string,
  wanted: number | undefined,
  nowMs: number,
  locked: boolean,
): Promise<Response> {
  // A hot secret's records are at hand: no promise per storage layer for them.
  const meta = store.peekMeta(key) ?? (await store.readMeta(key));
  if (meta === undefined) throw notFound();
  const number = wanted ?? meta.currentVersion;
  const vm = meta.versions[String(number)];
  if (vm === undefined) throw notFound();
  // A shared record's answer is shared too: made once, and its JSON with it.
  const metadata = isShared(meta)
    ? sharedDerived(meta, VERSION_RESPONSES, String(number), () => shareFrozen(versionResponse(meta, number, vm)))
    : versionResponse(meta, number, vm);
  if (!isLive(vm, nowMs)) throw notFoundWithData({ data: null, metadata });
  // Shared and frozen: nothing after the handler changes a response's data.
  const data = store.peekVersionData(key, number) ?? (await store.readVersionData(key, number));
  if (data === undefined) {
    // Reads take no lock, so a destroy or trim may have landed between the two gets;
    // look again behind the key's lock to answer from settled state.
    if (!locked) return store.withKey(key, () => readVersion(store, key, wanted, nowMs, true));
    throw internalError("could not find version data");
  }
  return { data: isShared(data) && isShared(metadata) ? sharedBody(data, metadata) : { data, metadata } };
}

/**
 * The answer's body `{ data, metadata }`, shared too when both parts are: then its JSON and
 * each audit device's rendering of it are made once, not per read. Kept with the version's
 * data record, for the metadata answer it was made with (a write to the key makes a new one).
 */
type VersionBody = Record<string, unknown>;
const versionBodies = new WeakMap<object, { metadata: object; body: VersionBody }>();
function sharedBody(data: object, metadata: object): VersionBody {
  const hit = versionBodies.get(data);
  if (hit !== undefined && hit.metadata === metadata) return hit.body;
  const body: VersionBody = shareFrozen({ data, metadata });
  versionBodies.set(data, { metadata, body });
  return body;
}

/**
 * Vault's check-and-set: with `options.cas` the write needs the current version to equal
 * it (0 = the key must not exist yet); without it, a mount or key that requires cas refuses.
 */
function checkAndSet(f: DataFields, config: KvConfig, meta: KeyMetadata): void {
  const options = f.getOk("options");
  if (options !== undefined && Object.hasOwn(options, "cas")) {
    const cas = weakInteger(options.cas);
    if (cas === undefined) throw badRequest("error parsing check-and-set parameter");
    if (cas !== meta.currentVersion) throw badRequest("check-and-set parameter did not match the current version");
  } else if (config.casRequired || meta.casRequired) {
    throw badRequest("check-and-set parameter required for this call");
  }
}

/** Stores a new version and its metadata in one transaction, dropping versions past the limit. */
async function commitNewVersion(
  store: KvStore,
  key: string,
  meta: KeyMetadata,
  config: KvConfig,
  data: Record<string, unknown>,
  nowMs: number,
): Promise<Response> {
  const vm = { createdMs: nowMs, deletionMs: scheduledDeletionMs(nowMs, config, meta), destroyed: false };
  const { version, dropped } = addVersion(meta, config, vm);
  await store.commit([
    store.putVersionOp(key, version, data),
    store.putMetaOp(key, meta),
    ...dropped.map((v) => store.deleteVersionOp(key, v)),
  ]);
  return { data: versionResponse(meta, version, vm) };
}
