/**
 * The encryption barrier: every value that passes through is sealed with AES-256-GCM under
 * the keyring's active key, bound to its storage path. The keyring sits at `core/keyring`,
 * itself encrypted under the root key (term 0 in its envelope marks that).
 *
 * Values that must be readable while sealed (the seal configuration) go through `raw`, the
 * underlying storage, and the keys they live at are reserved so the barrier never
 * overwrites or misreads them.
 */
import { badRequest, sealedError } from "../../framework/errors.js";
import { deepFreeze } from "../../storage/shared-values.js";
import type { Storage, StorageOp } from "../../storage/storage.js";
import { DecryptError, KEY_BYTES, decrypt, encrypt, envelopeTerm } from "./aead.js";
import { type BarrierKey, Keyring } from "./keyring.js";
import { PlaintextCache } from "./plaintext-cache.js";

export const KEYRING_PATH = "core/keyring";
export const ROOT_KEY_BYTES = KEY_BYTES;
/** Term written in the keyring's own envelope: it is sealed by the root key, not a data key. */
const ROOT_KEY_TERM = 0;
/**
 * Vault rotates automatically at about 3.86 billion encryptions: random 96-bit nonces keep
 * the collision risk acceptable up to roughly 2^32 uses of one key.
 */
export const ROTATION_ENCRYPTIONS = 3_865_470_566;

export interface KeyStatus {
  term: number;
  /** RFC 3339. */
  install_time: string;
  encryptions: number;
}

export interface BarrierOptions {
  nowMs?: () => number;
}

export class Barrier implements Storage {
  /** The storage beneath the barrier, for the few keys read before unseal. */
  readonly raw: Storage;
  private readonly nowMs: () => number;
  private readonly reserved = new Set<string>([KEYRING_PATH]);
  private keyring: Keyring | undefined;
  private rootKey: Buffer | undefined;
  /** Bumped by every seal, so a keyring write that finishes after a seal is discarded. */
  private epoch = 0;
  /** Keyring writes (rotate, counter flush, root key change) run one at a time. */
  private keyringWrites: Promise<unknown> = Promise.resolve();
  /**
   * Decrypted values of recent reads. Decryption dominates a hot read's cost; the cache
   * holds nothing the keyring in memory could not decrypt anyway, and is wiped on seal.
   */
  private readonly cache = new PlaintextCache();

  constructor(raw: Storage, options: BarrierOptions = {}) {
    this.raw = raw;
    this.nowMs = options.nowMs ?? Date.now;
  }

  get sealed(): boolean {
    return this.keyring === undefined;
  }

  /** Marks a key as raw-only: the barrier refuses to read, write or delete it. */
  reserveRawKey(key: string): void {
    this.reserved.add(key);
  }

  async initialized(): Promise<boolean> {
    return (await this.raw.get(KEYRING_PATH)) !== undefined;
  }

  /**
   * Creates the first keyring under `rootKey`. `rawOps` are written in the same underlying
   * transaction (the seal configuration), so a crash cannot leave one without the other.
   * Leaves the barrier sealed.
   */
  async initialize(rootKey: Buffer, rawOps: readonly StorageOp[] = []): Promise<void> {
    assertRootKey(rootKey);
    if (await this.initialized()) throw badRequest("Vault is already initialized");
    const keyring = Keyring.create(this.nowMs());
    try {
      await this.raw.transaction([...rawOps, { op: "put", key: KEYRING_PATH, value: sealKeyring(rootKey, keyring) }]);
    } finally {
      keyring.wipe();
    }
  }

  /** Loads the keyring with `rootKey`. A wrong key leaves the barrier sealed. */
  async unseal(rootKey: Buffer): Promise<void> {
    if (!this.sealed) return;
    const keyring = await this.openKeyring(rootKey);
    if (!this.sealed) {
      keyring.wipe(); // a concurrent unseal won
      return;
    }
    this.keyring = keyring;
    this.rootKey = Buffer.from(rootKey);
  }

  /** Whether `rootKey` opens the stored keyring, without unsealing (rekey, generate-root). */
  async verifyRootKey(rootKey: Buffer): Promise<boolean> {
    try {
      (await this.openKeyring(rootKey)).wipe();
      return true;
    } catch (e) {
      if (e instanceof Error && e.message === INVALID_KEY) return false;
      throw e;
    }
  }

  /**
   * Forgets every key, zeroing the buffers that held them. Encryption counts not yet
   * written by `persistKeyring` are lost, as they are in Vault after a crash.
   */
  seal(): void {
    this.epoch++;
    this.cache.wipe();
    this.keyring?.wipe();
    this.keyring = undefined;
    this.rootKey?.fill(0);
    this.rootKey = undefined;
  }

  /** Installs a new key for new writes; older terms keep decrypting what they sealed. */
  rotate(): Promise<{ term: number; installTime: Date }> {
    return this.writeKeyring((keyring) => keyring.nextKey(this.nowMs())).then((k) => ({
      term: k.term,
      installTime: new Date(k.installTimeMs),
    }));
  }

  /** Writes the keyring back, recording the encryption counts. */
  async persistKeyring(): Promise<void> {
    await this.writeKeyring(() => undefined);
  }

  /**
   * Re-encrypts the keyring under a new root key (rekey). `rawOps` (the new seal
   * configuration) go in the same underlying transaction: a crash must not leave the new
   * key with the old share count, or the reverse.
   */
  async changeRootKey(newRootKey: Buffer, rawOps: readonly StorageOp[] = []): Promise<void> {
    assertRootKey(newRootKey);
    for (const o of rawOps) if (!this.reserved.has(o.key) || o.key === KEYRING_PATH) throw new Error(`barrier: ${o.key} is not a raw key`);
    const copy = Buffer.from(newRootKey);
    try {
      await this.writeKeyring(() => undefined, copy, rawOps);
    } catch (e) {
      copy.fill(0);
      throw e;
    }
  }

  keyStatus(): KeyStatus {
    const k = this.unsealedKeyring().active();
    return { term: k.term, install_time: new Date(k.installTimeMs).toISOString(), encryptions: k.encryptions };
  }

  /** The active key's use and age, for the rotation policy (sys/rotate/config). */
  activeKeyUse(): { encryptions: number; installTimeMs: number } {
    const k = this.unsealedKeyring().active();
    return { encryptions: k.encryptions, installTimeMs: k.installTimeMs };
  }

  async get(key: string): Promise<Buffer | undefined> {
    this.assertUsable(key);
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const read = this.cache.beginRead(key);
    try {
      const envelope = await this.raw.get(key);
      if (envelope === undefined) return undefined;
      const keyring = this.unsealedKeyring(); // may have been sealed while reading
      const term = envelopeTerm(envelope);
      if (term === undefined) throw new DecryptError("ciphertext too short");
      const k = keyring.byTerm(term);
      if (k === undefined) throw new DecryptError(`no key for term ${term}`);
      const plain = decrypt(k.key, key, envelope);
      // Only if no write to the key began while reading, and not across a seal.
      if (!this.sealed) this.cache.offer(read, plain);
      return plain;
    } finally {
      this.cache.endRead(read);
    }
  }

  /**
   * The value parsed as JSON and deeply frozen, shared by every caller until the key is
   * written: hot reads (a KV secret read again and again) skip the copy and the parse.
   * Callers must not change what they get (frozen: a change throws).
   */
  async getParsed(key: string): Promise<unknown> {
    const hit = this.peekParsed(key);
    if (hit !== undefined) return hit;
    const plain = await this.get(key);
    if (plain === undefined) return undefined;
    // The read above put the value in the cache unless a write raced it or it is too large;
    // a value cached since is at least as recent as the one just read.
    return this.cache.parsed(key) ?? deepFreeze(JSON.parse(plain.toString("utf8")));
  }

  /** getParsed's answer when the value is cached, without a promise; undefined otherwise. */
  peekParsed(key: string): unknown {
    this.assertUsable(key);
    return this.cache.parsed(key);
  }

  async put(key: string, value: Buffer): Promise<void> {
    this.assertUsable(key);
    this.cache.invalidate(key);
    try {
      await this.raw.put(key, this.seal1(key, value));
    } finally {
      this.afterWrite(key);
    }
  }

  async delete(key: string): Promise<void> {
    this.assertUsable(key);
    this.cache.invalidate(key);
    try {
      await this.raw.delete(key);
    } finally {
      this.afterWrite(key);
    }
  }

  async list(prefix: string): Promise<string[]> {
    this.unsealedKeyring();
    return this.raw.list(prefix);
  }

  async listPage(prefix: string, after: string, limit: number): Promise<string[]> {
    this.unsealedKeyring();
    return this.raw.listPage(prefix, after, limit);
  }

  async transaction(ops: readonly StorageOp[]): Promise<void> {
    for (const o of ops) this.assertUsable(o.key);
    for (const o of ops) this.cache.invalidate(o.key);
    const sealedOps = ops.map((o): StorageOp => (o.op === "put" ? { ...o, value: this.seal1(o.key, o.value) } : o));
    try {
      await this.raw.transaction(sealedOps);
    } finally {
      for (const o of ops) this.afterWrite(o.key);
    }
  }

  /**
   * Storage may apply a write later than it was asked for (SQLite gathers a turn's writes
   * into one commit): a read in between sees the old value, which must not stay cached.
   */
  private afterWrite(key: string): void {
    this.cache.invalidate(key);
  }

  /** Seals the barrier and closes the storage beneath it. */
  async close(): Promise<void> {
    this.seal();
    await this.raw.close();
  }

  private seal1(path: string, value: Buffer): Buffer {
    const k = this.unsealedKeyring().active();
    k.encryptions++;
    return encrypt(k.key, k.term, path, value);
  }

  private async openKeyring(rootKey: Buffer): Promise<Keyring> {
    const stored = await this.raw.get(KEYRING_PATH);
    if (stored === undefined) throw badRequest("Vault is not initialized");
    if (rootKey.length !== ROOT_KEY_BYTES || envelopeTerm(stored) !== ROOT_KEY_TERM) throw badRequest(INVALID_KEY);
    let plain: Buffer;
    try {
      plain = decrypt(rootKey, KEYRING_PATH, stored);
    } catch (e) {
      if (e instanceof DecryptError) throw badRequest(INVALID_KEY);
      throw e;
    }
    try {
      return Keyring.deserialize(plain);
    } finally {
      plain.fill(0);
    }
  }

  /**
   * Serialises keyring changes: `pending` may return a new key to install as active, and
   * `newRootKey` replaces the root key. Memory changes only after the write succeeded, and
   * not at all if the barrier was sealed meanwhile.
   */
  private writeKeyring(
    pending: (keyring: Keyring) => BarrierKey | undefined,
    newRootKey?: Buffer,
    rawOps: readonly StorageOp[] = [],
  ): Promise<BarrierKey> {
    const run = async (): Promise<BarrierKey> => {
      const keyring = this.unsealedKeyring();
      const epoch = this.epoch;
      const key = pending(keyring);
      try {
        const sealed = sealKeyring(newRootKey ?? (this.rootKey as Buffer), keyring, key);
        const put: StorageOp = { op: "put", key: KEYRING_PATH, value: sealed };
        if (rawOps.length === 0) await this.raw.put(KEYRING_PATH, sealed);
        else await this.raw.transaction([...rawOps, put]);
        if (this.epoch !== epoch) throw sealedError();
      } catch (e) {
        key?.key.fill(0);
        throw e;
      }
      if (key !== undefined) keyring.install(key);
      if (newRootKey !== undefined) {
        this.rootKey?.fill(0);
        this.rootKey = newRootKey;
      }
      return key ?? keyring.active();
    };
    const result = this.keyringWrites.then(run, run);
    this.keyringWrites = result.catch(() => undefined);
    return result;
  }

  private unsealedKeyring(): Keyring {
    if (this.keyring === undefined) throw sealedError();
    return this.keyring;
  }

  private assertUsable(key: string): void {
    this.unsealedKeyring();
    if (this.reserved.has(key)) throw new Error(`barrier: ${key} is stored outside the barrier`);
  }
}

const INVALID_KEY = "Unseal failed, invalid key";

function assertRootKey(rootKey: Buffer): void {
  if (!Buffer.isBuffer(rootKey) || rootKey.length !== ROOT_KEY_BYTES) {
    throw new Error(`barrier: root key must be ${ROOT_KEY_BYTES} bytes`);
  }
}

function sealKeyring(rootKey: Buffer, keyring: Keyring, pending?: BarrierKey): Buffer {
  const plain = keyring.serialize(pending);
  try {
    return encrypt(rootKey, ROOT_KEY_TERM, KEYRING_PATH, plain);
  } finally {
    plain.fill(0);
  }
}
