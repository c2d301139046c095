/**
 * A KV v1 mount tuned to version 2 keeps its secrets: each v1 entry becomes version 1 of
 * the same key, as Vault's upgrade does. Runs when the v2 backend starts, before it serves.
 */
import type { Storage } from "../../../storage/storage.js";
import { walkKeys } from "../storage-walk.js";
import { addVersion, newKeyMetadata } from "./model.js";
import type { KvStore } from "./store.js";

export async function upgradeFromV1(store: KvStore, nowMs: number): Promise<number> {
  const storage: Storage = store.storage;
  if ((await storage.get(store.upgradeMarkerKey)) !== undefined) return 0;
  let upgraded = 0;
  // The v2 data lives under its own prefix; everything else in the mount is v1 entries.
  const v2Folder = store.prefix;
  for await (const key of walkKeys(storage, "", (folder) => folder === v2Folder)) {
    const raw = await storage.get(key);
    if (raw === undefined) continue;
    let data: unknown;
    try {
      data = JSON.parse(raw.toString("utf8"));
    } catch {
      continue; // not a KV entry; leave it where it is
    }
    if (typeof data !== "object" || data === null || Array.isArray(data)) continue;
    const meta = newKeyMetadata(nowMs);
    // Vault adds the upgraded version with a limit of one, so oldest_version reads 1.
    addVersion(meta, { maxVersions: 1, casRequired: false, deleteVersionAfterSeconds: 0 }, {
      createdMs: nowMs,
      deletionMs: null,
      destroyed: false,
    });
    // Each key moves atomically, so an interrupted upgrade resumes where it stopped.
    await store.commit([
      store.putVersionOp(key, 1, data as Record<string, unknown>),
      store.putMetaOp(key, meta),
      { op: "delete", key },
    ]);
    upgraded++;
  }
  await storage.put(store.upgradeMarkerKey, Buffer.from("1"));
  return upgraded;
}
