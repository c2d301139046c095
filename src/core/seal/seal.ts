/**
 * Init, unseal and seal with Shamir shares of the root key, as Vault's `sys/init`,
 * `sys/unseal`, `sys/seal` and `sys/seal-status` behave.
 *
 * Unseal progress lives in memory only: a restart starts a new attempt, as in Vault.
 */
import crypto from "node:crypto";
import { badRequest, sealedError } from "../../framework/errors.js";
import { type Storage, getJson, jsonPut } from "../../storage/storage.js";
import { type Barrier, ROOT_KEY_BYTES } from "../barrier/barrier.js";
import { SHARE_OVERHEAD, combine, split } from "./shamir.js";

/** Written through `barrier.raw`: it must be readable while sealed. */
export const SEAL_CONFIG_PATH = "core/seal-config";

/** Vault's bounds on a submitted key: an AES-128 key at least, a 256-bit key's share at most. */
export const MIN_UNSEAL_KEY_BYTES = 16;
export const MAX_UNSEAL_KEY_BYTES = ROOT_KEY_BYTES + SHARE_OVERHEAD;

export interface SealConfig {
  type: "shamir";
  secret_shares: number;
  secret_threshold: number;
}

/** The seal-specific part of `sys/seal-status`; the HTTP layer adds version, cluster, etc. */
export interface SealStatus {
  type: "shamir";
  initialized: boolean;
  sealed: boolean;
  t: number;
  n: number;
  progress: number;
  /** Identifies the current unseal attempt; "" when no key has been submitted. */
  nonce: string;
}

export interface InitParams {
  secretShares: number;
  secretThreshold: number;
}

export type SealHook = () => void | Promise<void>;

export class SealManager {
  private readonly raw: Storage;
  private config: SealConfig | undefined;
  private parts: Buffer[] = [];
  private nonce = "";
  private readonly unsealedHooks: SealHook[] = [];
  private readonly sealedHooks: SealHook[] = [];
  /** init, unseal and seal run one at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  /** The seal config lives in `barrier.raw`, the storage beneath the barrier. */
  constructor(private readonly barrier: Barrier) {
    this.raw = barrier.raw;
    barrier.reserveRawKey(SEAL_CONFIG_PATH);
  }

  get sealed(): boolean {
    return this.barrier.sealed;
  }

  async initialized(): Promise<boolean> {
    return (await this.loadConfig()) !== undefined;
  }

  /**
   * Runs after every successful unseal, in registration order (load mount tables, start
   * expiration). If one throws, the sealed hooks run, the barrier seals again and the
   * unseal fails. Returns a function that removes the hook.
   */
  onUnsealed(hook: SealHook): () => void {
    return addHook(this.unsealedHooks, hook);
  }

  /**
   * Runs before every seal while the barrier is still unsealed, in reverse registration
   * order (teardown mirrors setup).
   */
  onSealing(hook: SealHook): () => void {
    return addHook(this.sealedHooks, hook);
  }

  /** The same as `onSealing`. */
  onSealed(hook: SealHook): () => void {
    return this.onSealing(hook);
  }

  /**
   * Generates the root key, initialises the barrier and returns the unseal keys (the root
   * key itself when there is one share, as Vault does). Leaves the barrier sealed. If
   * `setup` is given it runs in between with the barrier unsealed and the unseal hooks
   * run, which is where the root token gets created. `protect` (PGP encryption) turns the
   * shares into what is handed out before anything is stored, so a failure there leaves the
   * server uninitialised rather than initialised with keys nobody has.
   */
  init(
    params: InitParams,
    setup?: () => Promise<void>,
    protect?: (keys: Buffer[]) => Promise<Buffer[]>,
  ): Promise<{ keys: Buffer[] }> {
    return this.serialise(async () => {
      if (await this.initialized()) throw badRequest("Vault is already initialized");
      const config = validateSealConfig(params);
      const rootKey = crypto.randomBytes(ROOT_KEY_BYTES);
      try {
        let keys =
          config.secret_shares === 1 ? [Buffer.from(rootKey)] : split(rootKey, config.secret_shares, config.secret_threshold);
        if (protect !== undefined) {
          const plain = keys;
          try {
            keys = await protect(plain);
          } finally {
            for (const k of plain) k.fill(0);
          }
        }
        try {
          await this.barrier.initialize(rootKey, [jsonPut(SEAL_CONFIG_PATH, config)]);
        } catch (e) {
          for (const k of keys) k.fill(0);
          throw e;
        }
        this.config = config;
        if (setup !== undefined) {
          await this.barrier.unseal(rootKey);
          try {
            await this.runUnsealedHooks();
            await setup();
          } finally {
            await this.sealNow();
          }
        }
        return { keys };
      } finally {
        rootKey.fill(0);
      }
    });
  }

  /**
   * Adds one unseal key. A key already submitted in this attempt is ignored; at the
   * threshold the shares are combined and the barrier unsealed. A failed combination
   * ends the attempt, so the next key starts a new one.
   */
  submitUnsealKey(key: Buffer): Promise<SealStatus> {
    return this.serialise(async () => {
      const config = await this.loadConfig();
      if (config === undefined) throw badRequest("Vault is not initialized");
      if (key.length < MIN_UNSEAL_KEY_BYTES) throw badRequest(`key is shorter than minimum ${MIN_UNSEAL_KEY_BYTES} bytes`);
      if (key.length > MAX_UNSEAL_KEY_BYTES) throw badRequest(`key is longer than maximum ${MAX_UNSEAL_KEY_BYTES} bytes`);
      if (!this.barrier.sealed) return this.statusFor(config);
      if (this.parts.some((p) => p.length === key.length && crypto.timingSafeEqual(p, key))) {
        return this.statusFor(config);
      }
      if (this.parts.length === 0) this.nonce = crypto.randomUUID();
      this.parts.push(Buffer.from(key));
      if (this.parts.length < config.secret_threshold) return this.statusFor(config);

      let rootKey: Buffer;
      try {
        rootKey = config.secret_threshold === 1 ? Buffer.from(this.parts[0] as Buffer) : combine(this.parts);
      } catch (e) {
        throw badRequest(`failed to compute combined key: ${(e as Error).message}`);
      } finally {
        this.clearProgress();
      }
      try {
        await this.barrier.unseal(rootKey);
      } finally {
        rootKey.fill(0);
      }
      try {
        await this.runUnsealedHooks();
      } catch (e) {
        await this.sealNow().catch(() => undefined); // the hook's error is the one to report
        throw e;
      }
      return this.statusFor(config);
    });
  }

  /** The stored seal configuration; undefined before init. */
  sealConfig(): Promise<SealConfig | undefined> {
    return this.loadConfig();
  }

  /**
   * The seal configuration for operations that need an initialised, unsealed server
   * (rekey, generate-root): Vault's 400 before init and 503 while sealed otherwise.
   */
  async unsealedConfig(): Promise<SealConfig> {
    const config = await this.sealConfig();
    if (config === undefined) throw badRequest("server is not yet initialized");
    if (this.sealed) throw sealedError();
    return config;
  }

  /** Whether `rootKey` is the key the keyring is sealed with (rekey, generate-root). */
  verifyRootKey(rootKey: Buffer): Promise<boolean> {
    return this.barrier.verifyRootKey(rootKey);
  }

  /**
   * Rekey's last step: the keyring is re-encrypted under `newRootKey` and the new share
   * configuration stored with it, in one write. Only while unsealed, and never in the middle
   * of a seal or unseal.
   */
  replaceRootKey(newRootKey: Buffer, config: SealConfig): Promise<void> {
    return this.serialise(async () => {
      if (this.barrier.sealed) throw sealedError();
      await this.barrier.changeRootKey(newRootKey, [jsonPut(SEAL_CONFIG_PATH, config)]);
      this.config = { ...config };
    });
  }

  /** Discards the keys submitted so far (`sys/unseal` with `reset: true`). */
  resetUnseal(): void {
    if (!this.barrier.sealed) throw badRequest("vault is unsealed");
    this.clearProgress();
  }

  /**
   * Runs the sealed hooks and seals. The barrier seals even when a hook fails; the first
   * failure is thrown afterwards.
   */
  seal(): Promise<void> {
    return this.serialise(() => (this.barrier.sealed ? Promise.resolve() : this.sealNow()));
  }

  async status(): Promise<SealStatus> {
    const config = await this.loadConfig();
    if (config === undefined) {
      return { type: "shamir", initialized: false, sealed: true, t: 0, n: 0, progress: 0, nonce: "" };
    }
    return this.statusFor(config);
  }

  private statusFor(config: SealConfig): SealStatus {
    return {
      type: "shamir",
      initialized: true,
      sealed: this.barrier.sealed,
      t: config.secret_threshold,
      n: config.secret_shares,
      progress: this.parts.length,
      nonce: this.nonce,
    };
  }

  private async sealNow(): Promise<void> {
    let firstError: unknown;
    for (const hook of [...this.sealedHooks].reverse()) {
      try {
        await hook();
      } catch (e) {
        firstError ??= e;
      }
    }
    // Encryption counts are advisory (they drive rotation advice); a storage error here
    // must not keep the barrier from sealing.
    await this.barrier.persistKeyring().catch(() => undefined);
    this.barrier.seal();
    this.clearProgress();
    if (firstError !== undefined) throw firstError;
  }

  private async runUnsealedHooks(): Promise<void> {
    for (const hook of [...this.unsealedHooks]) await hook();
  }

  private clearProgress(): void {
    for (const p of this.parts) p.fill(0);
    this.parts = [];
    this.nonce = "";
  }

  private async loadConfig(): Promise<SealConfig | undefined> {
    // The config changes only through init and rekey (replaceRootKey), both via this class.
    this.config ??= await getJson<SealConfig>(this.raw, SEAL_CONFIG_PATH);
    return this.config;
  }

  private serialise<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task, task);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

/** Vault's seal configuration rules, with its messages ("invalid rekey seal configuration: ..." for rekey). */
export function validateSealConfig(params: InitParams, what = "seal configuration"): SealConfig {
  const shares = params.secretShares;
  const threshold = params.secretThreshold;
  const invalid = (why: string) => badRequest(`invalid ${what}: ${why}`);
  if (!Number.isInteger(shares) || !Number.isInteger(threshold)) throw invalid("shares and threshold must be integers");
  if (shares < 1) throw invalid("shares must be at least one");
  if (threshold < 1) throw invalid("threshold must be at least one");
  if (shares > 1 && threshold === 1) throw invalid("threshold must be greater than one for multiple shares");
  if (shares > 255) throw invalid("shares must be less than 256");
  if (threshold > 255) throw invalid("threshold must be less than 256");
  if (threshold > shares) throw invalid("threshold cannot be larger than shares");
  return { type: "shamir", secret_shares: shares, secret_threshold: threshold };
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes an unseal key as `sys/unseal` receives it. Like Vault, hex is tried first but only
 * kept when its length is plausible for a key, since many base64 strings are also valid hex.
 * Go's base64 decoder skips line breaks, so pasted keys with a trailing newline still work.
 */
export function decodeUnsealKey(s: string): Buffer {
  if (HEX.test(s)) {
    const key = Buffer.from(s, "hex");
    if (key.length >= MIN_UNSEAL_KEY_BYTES && key.length <= MAX_UNSEAL_KEY_BYTES) return key;
  }
  const b64 = s.replace(/[\r\n]/g, "");
  if (BASE64.test(b64)) return Buffer.from(b64, "base64");
  throw badRequest("'key' must be a valid hex or base64 string");
}

function addHook(list: SealHook[], hook: SealHook): () => void {
  list.push(hook);
  return () => {
    const i = list.indexOf(hook);
    if (i !== -1) list.splice(i, 1);
  };
}
