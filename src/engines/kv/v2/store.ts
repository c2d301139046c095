/**
 * Where KV v2 keeps things, under the mount's storage and a per-backend prefix:
 *   <prefix>config                  mount-wide settings
 *   <prefix>meta/<key>              one secret's metadata (version list, settings)
 *   <prefix>versions/<h>/<n>        data of version n, h = SHA-256 of the key
 * Version data sits apart from the metadata so a read fetches one version, and a write
 * adds one entry instead of rewriting the whole history. Metadata keys keep the secret's
 * path in clear (as KV v1 and Vault's storage keys do) so that listing is a prefix scan;
 * values are encrypted by the barrier beneath.
 */
import { createHash } from "node:crypto";
import { type DeepReadonly, getFrozenJson, getJson, jsonPut, peekFrozenJson, type Storage, type StorageOp } from "../../../storage/storage.js";
import { KeyedLock } from "../keyed-lock.js";
import { walkKeys } from "../storage-walk.js";
import { emptyConfig, type KeyMetadata, type KvConfig } from "./model.js";

const KEY_NAMES_CACHE_SIZE = 4096;
const MAX_REMEMBERED_KEY_LENGTH = 512;

/** A secret's storage keys: metadata, its versions' folder, and the last version key asked for. */
interface KeyNames {
  readonly meta: string;
  folder: string | undefined;
  version: number;
  versionKey: string;
}

export class KvStore {
  /** Serialises every change to one secret (data, metadata, delete, destroy). */
  readonly keyLock = new KeyedLock();
  private readonly configLock = new KeyedLock();
  private cachedConfig: KvConfig | undefined;

  constructor(
    readonly storage: Storage,
    /** "" or ends in "/". */
    readonly prefix: string,
  ) {}

  get upgradeMarkerKey(): string {
    return `${this.prefix}upgraded`;
  }

  private metaKey(key: string): string {
    return this.namesOf(key).meta;
  }

  private versionFolder(key: string): string {
    return this.folderOf(key, this.namesOf(key));
  }

  private folderOf(key: string, names: KeyNames): string {
    // A SHA-256 costs more than the rest of a read's key handling.
    names.folder ??= `${this.prefix}versions/${createHash("sha256").update(key, "utf8").digest("hex")}/`;
    return names.folder;
  }

  private versionKey(key: string, version: number): string {
    const names = this.namesOf(key);
    if (names.version !== version) {
      names.versionKey = this.folderOf(key, names) + String(version);
      names.version = version;
    }
    return names.versionKey;
  }

  /**
   * The storage keys of a secret, made once while it is read again and again: the same
   * string each time also keeps its hash for the maps below this layer.
   */
  private namesOf(key: string): KeyNames {
    let names = this.keyNames.get(key);
    if (names === undefined) {
      names = { meta: `${this.prefix}meta/${key}`, folder: undefined, version: -1, versionKey: "" };
      // Long keys are not kept: a reader could otherwise fill the map with megabytes of them.
      if (key.length > MAX_REMEMBERED_KEY_LENGTH) return names;
      if (this.keyNames.size >= KEY_NAMES_CACHE_SIZE) this.keyNames.clear();
      this.keyNames.set(key, names);
    }
    return names;
  }

  private readonly keyNames = new Map<string, KeyNames>();

  withKey<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.keyLock.run(key, work);
  }

  async getConfig(): Promise<KvConfig> {
    // One backend instance owns the mount's storage, so the cache cannot go stale.
    if (this.cachedConfig === undefined) {
      this.cachedConfig = { ...emptyConfig(), ...(await getJson<KvConfig>(this.storage, `${this.prefix}config`)) };
    }
    return { ...this.cachedConfig };
  }

  /** Applies `change` to the current config and persists it, one change at a time. */
  updateConfig(change: (config: KvConfig) => void): Promise<void> {
    return this.configLock.run("config", async () => {
      const config = await this.getConfig();
      change(config);
      await this.storage.put(`${this.prefix}config`, Buffer.from(JSON.stringify(config), "utf8"));
      this.cachedConfig = config;
    });
  }

  getMeta(key: string): Promise<KeyMetadata | undefined> {
    return getJson<KeyMetadata>(this.storage, this.metaKey(key));
  }

  getVersionData(key: string, version: number): Promise<Record<string, unknown> | undefined> {
    return getJson<Record<string, unknown>>(this.storage, this.versionKey(key, version));
  }

  /** For reads that change nothing: frozen, and shared with other reads until the key is written. */
  readMeta(key: string): Promise<DeepReadonly<KeyMetadata> | undefined> {
    return getFrozenJson<KeyMetadata>(this.storage, this.metaKey(key));
  }

  readVersionData(key: string, version: number): Promise<DeepReadonly<Record<string, unknown>> | undefined> {
    return getFrozenJson<Record<string, unknown>>(this.storage, this.versionKey(key, version));
  }

  /** readMeta's answer when it is at hand at once (a cached record); undefined otherwise. */
  peekMeta(key: string): DeepReadonly<KeyMetadata> | undefined {
    return peekFrozenJson<KeyMetadata>(this.storage, this.metaKey(key));
  }

  /** readVersionData's answer when it is at hand at once; undefined otherwise. */
  peekVersionData(key: string, version: number): DeepReadonly<Record<string, unknown>> | undefined {
    return peekFrozenJson<Record<string, unknown>>(this.storage, this.versionKey(key, version));
  }

  /** Children of a metadata folder ("" or ending in "/"), as Vault lists them. */
  listMeta(folder: string): Promise<string[]> {
    return this.storage.list(this.metaKey(folder));
  }

  putMetaOp(key: string, meta: KeyMetadata): StorageOp {
    return jsonPut(this.metaKey(key), meta);
  }

  putVersionOp(key: string, version: number, data: Record<string, unknown>): StorageOp {
    return jsonPut(this.versionKey(key, version), data);
  }

  deleteVersionOp(key: string, version: number): StorageOp {
    return { op: "delete", key: this.versionKey(key, version) };
  }

  /** Ops that remove a secret entirely: every stored version, whatever the metadata says, and the metadata. */
  async deleteAllOps(key: string): Promise<StorageOp[]> {
    const ops: StorageOp[] = [];
    for await (const versionKey of walkKeys(this.storage, this.versionFolder(key))) {
      ops.push({ op: "delete", key: versionKey });
    }
    ops.push({ op: "delete", key: this.metaKey(key) });
    return ops;
  }

  commit(ops: readonly StorageOp[]): Promise<void> {
    return this.storage.transaction(ops);
  }
}
