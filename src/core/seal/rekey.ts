/**
 * Rekey, as Vault's `sys/rekey/*`: a quorum of the current unseal keys buys a new root key
 * split into new shares, optionally held back until a quorum of the new shares has been
 * given back (verification).
 *
 * As in Vault, the root key itself is replaced, not only its shares: the keyring is
 * re-encrypted under a fresh key, so the old shares reconstruct a key that opens nothing.
 * (Vault splits a key-encryption key that wraps its root key; Mayfly splits the root key
 * itself, so replacing the root key is the whole of it.)
 *
 * Everything lives in memory: a restart or a seal drops the attempt, and a rekey that was
 * awaiting verification leaves the old shares in force.
 */
import crypto from "node:crypto";
import { badRequest, sealedError } from "../../framework/errors.js";
import { ROOT_KEY_BYTES } from "../barrier/barrier.js";
import { encryptShares, type PgpRecipient } from "./pgp.js";
import type { RekeyBackupStore } from "./rekey-backup.js";
import { type SealConfig, type SealManager, validateSealConfig } from "./seal.js";
import { ShareProgress, checkShareLength } from "./share-progress.js";
import { split } from "./shamir.js";

export interface RekeyParams {
  secretShares: number;
  secretThreshold: number;
  requireVerification: boolean;
  /** One per new share, in order: each share comes back encrypted to its key. */
  pgpRecipients?: readonly PgpRecipient[];
  /** Keep the encrypted new shares on the server too (sys/rekey/backup); needs PGP keys. */
  backup?: boolean;
}

export interface RekeyStatus {
  started: boolean;
  nonce: string;
  /** The new threshold and share count; 0 when no rekey is started. */
  t: number;
  n: number;
  progress: number;
  /** Current shares needed: the threshold of the configuration in force. */
  required: number;
  verificationRequired: boolean;
  /** Set once the new shares are out and await verification. */
  verificationNonce: string;
  /** Of the PGP keys the new shares will be encrypted to; empty without. */
  pgpFingerprints: string[];
  backup: boolean;
}

export interface RekeyVerificationStatus {
  /** True once the new shares exist and await verification. */
  started: boolean;
  nonce: string;
  t: number;
  n: number;
  progress: number;
}

export interface RekeyResult {
  nonce: string;
  /** The new shares (PGP messages when keys were given); the caller zeroes them once encoded. */
  keys: Buffer[];
  pgpFingerprints: string[];
  backup: boolean;
  verificationRequired: boolean;
  verificationNonce: string;
}

interface Attempt {
  config: SealConfig;
  nonce: string;
  requireVerification: boolean;
  pgpRecipients: readonly PgpRecipient[];
  backup: boolean;
  progress: ShareProgress;
  /** The new root key while it awaits verification. */
  pendingRootKey: Buffer | undefined;
  verificationNonce: string;
  verification: ShareProgress;
}

export class RekeyManager {
  private attempt: Attempt | undefined;
  /** Operations run one at a time: the last share's work awaits storage. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly seal: SealManager,
    /** Where `backup=true` keeps the encrypted new shares (absent: backups refused). */
    private readonly backups?: RekeyBackupStore,
  ) {
    // Sealing forgets every key in memory, a pending new root key and given shares too.
    seal.onSealing(() => this.discard());
  }

  status(): Promise<RekeyStatus> {
    return this.serialise(async () => this.statusOf(await this.seal.unsealedConfig()));
  }

  init(params: RekeyParams): Promise<RekeyStatus> {
    return this.serialise(async () => {
      const current = await this.seal.unsealedConfig();
      if (params.secretThreshold > params.secretShares) throw badRequest("provided threshold greater than the total shares");
      const config = validateSealConfig(
        { secretShares: params.secretShares, secretThreshold: params.secretThreshold },
        "rekey seal configuration",
      );
      if (this.attempt !== undefined) throw badRequest("rekey already in progress");
      const pgpRecipients = params.pgpRecipients ?? [];
      if (pgpRecipients.length > 0 && pgpRecipients.length !== config.secret_shares) {
        throw badRequest("incorrect number of PGP keys for rekey");
      }
      if (params.backup && pgpRecipients.length === 0) {
        throw badRequest("cannot request a backup of the new keys without providing PGP keys for encryption");
      }
      if (params.backup && this.backups === undefined) throw badRequest("rekey backups are not available");
      this.attempt = {
        config,
        nonce: crypto.randomUUID(),
        requireVerification: params.requireVerification,
        pgpRecipients,
        backup: params.backup ?? false,
        progress: new ShareProgress(),
        pendingRootKey: undefined,
        verificationNonce: "",
        verification: new ShareProgress(),
      };
      return this.statusOf(current);
    });
  }

  /**
   * Drops the attempt. A nonce, when given, must be the attempt's: a client that names the
   * attempt it means cannot cancel someone else's newer one.
   */
  cancel(nonce?: string): Promise<void> {
    return this.serialise(async () => {
      await this.seal.unsealedConfig();
      if (this.attempt !== undefined && nonce !== undefined && nonce !== "" && nonce !== this.attempt.nonce) {
        throw badRequest("invalid request");
      }
      this.discard();
    });
  }

  /**
   * Adds one current share. Below the threshold the result is undefined (the caller shows
   * the status); at the threshold the shares must rebuild the root key in force, and the
   * new shares come back.
   */
  update(key: Buffer, nonce: string): Promise<RekeyResult | undefined> {
    return this.serialise(async () => {
      const current = await this.seal.unsealedConfig();
      checkShareLength(key);
      const attempt = this.attempt;
      if (attempt === undefined) throw badRequest("no barrier rekey in progress");
      if (attempt.pendingRootKey !== undefined) {
        throw badRequest(
          `rekey operation already finished; verification must be performed; nonce for the verification operation is "${attempt.verificationNonce}"`,
        );
      }
      if (nonce !== attempt.nonce) throw badRequest(`incorrect nonce supplied; nonce for this rekey operation is "${attempt.nonce}"`);
      if (!attempt.progress.add(key)) throw badRequest("given key has already been provided during this generation operation");
      if (attempt.progress.count < current.secret_threshold) return undefined;

      await this.authenticate(attempt.progress, current.secret_threshold);
      const newRootKey = crypto.randomBytes(ROOT_KEY_BYTES);
      let keys =
        attempt.config.secret_shares === 1
          ? [Buffer.from(newRootKey)]
          : split(newRootKey, attempt.config.secret_shares, attempt.config.secret_threshold);
      // Encrypted before the new key is installed: a failure here leaves the old shares in force.
      if (attempt.pgpRecipients.length > 0) {
        const plain = keys;
        try {
          keys = await encryptShares(plain, attempt.pgpRecipients);
        } catch (e) {
          newRootKey.fill(0);
          throw e;
        } finally {
          for (const k of plain) k.fill(0);
        }
      }
      const pgpFingerprints = attempt.pgpRecipients.map((r) => r.fingerprint);
      // Stored before the new key can take effect: the shares are never only in one answer.
      if (attempt.backup) {
        try {
          await this.backups?.put(attempt.nonce, pgpFingerprints, keys);
        } catch (e) {
          newRootKey.fill(0);
          throw e;
        }
      }
      if (attempt.requireVerification) {
        attempt.pendingRootKey = newRootKey;
        attempt.verificationNonce = crypto.randomUUID();
        return {
          nonce: attempt.nonce,
          keys,
          pgpFingerprints,
          backup: attempt.backup,
          verificationRequired: true,
          verificationNonce: attempt.verificationNonce,
        };
      }
      try {
        await this.install(attempt, newRootKey);
      } catch (e) {
        for (const k of keys) k.fill(0);
        throw e;
      } finally {
        newRootKey.fill(0);
      }
      return { nonce: attempt.nonce, keys, pgpFingerprints, backup: attempt.backup, verificationRequired: false, verificationNonce: "" };
    });
  }

  verificationStatus(): Promise<RekeyVerificationStatus> {
    return this.serialise(async () => {
      await this.seal.unsealedConfig();
      return this.verificationStatusOf();
    });
  }

  /**
   * Adds one of the new shares. At the new threshold they must rebuild the pending key; then
   * it replaces the root key. A wrong set starts verification over with a new nonce.
   */
  verify(key: Buffer, nonce: string): Promise<{ complete: true; nonce: string } | undefined> {
    return this.serialise(async () => {
      await this.seal.unsealedConfig();
      checkShareLength(key);
      const attempt = this.attempt;
      if (attempt === undefined) throw badRequest("no rekey in progress");
      const pending = attempt.pendingRootKey;
      if (pending === undefined) throw badRequest("no rekey verification in progress");
      if (nonce !== attempt.verificationNonce) {
        throw badRequest(`incorrect nonce supplied; nonce for this verify operation is "${attempt.verificationNonce}"`);
      }
      if (!attempt.verification.add(key)) throw badRequest("given key has already been provided during this verify operation");
      if (attempt.verification.count < attempt.config.secret_threshold) return undefined;

      let rebuilt: Buffer;
      try {
        rebuilt = attempt.verification.combine(attempt.config.secret_threshold);
      } catch (e) {
        attempt.verificationNonce = crypto.randomUUID();
        throw badRequest(`failed to compute key for verification: ${(e as Error).message}`);
      }
      try {
        if (rebuilt.length !== pending.length || !crypto.timingSafeEqual(rebuilt, pending)) {
          attempt.verificationNonce = crypto.randomUUID();
          throw badRequest("rekey verification failed; incorrect key shares supplied");
        }
      } finally {
        rebuilt.fill(0);
      }
      const verificationNonce = attempt.verificationNonce;
      await this.install(attempt, pending);
      return { complete: true, nonce: verificationNonce };
    });
  }

  /** Discards the new shares given so far and issues a new verification nonce. */
  restartVerification(): Promise<RekeyVerificationStatus> {
    return this.serialise(async () => {
      await this.seal.unsealedConfig();
      const attempt = this.attempt;
      if (attempt !== undefined) {
        attempt.verification.clear();
        if (attempt.pendingRootKey !== undefined) attempt.verificationNonce = crypto.randomUUID();
      }
      return this.verificationStatusOf();
    });
  }

  private verificationStatusOf(): RekeyVerificationStatus {
    const attempt = this.attempt;
    if (attempt === undefined) throw badRequest("no rekey configuration found");
    return {
      started: attempt.pendingRootKey !== undefined,
      nonce: attempt.verificationNonce,
      t: attempt.config.secret_threshold,
      n: attempt.config.secret_shares,
      progress: attempt.verification.count,
    };
  }

  private statusOf(current: SealConfig): RekeyStatus {
    const attempt = this.attempt;
    if (attempt === undefined) {
      return {
        started: false,
        nonce: "",
        t: 0,
        n: 0,
        progress: 0,
        required: current.secret_threshold,
        verificationRequired: false,
        verificationNonce: "",
        pgpFingerprints: [],
        backup: false,
      };
    }
    return {
      started: true,
      nonce: attempt.nonce,
      t: attempt.config.secret_threshold,
      n: attempt.config.secret_shares,
      progress: attempt.progress.count,
      required: current.secret_threshold,
      verificationRequired: attempt.requireVerification,
      verificationNonce: attempt.verificationNonce,
      pgpFingerprints: attempt.pgpRecipients.map((r) => r.fingerprint),
      backup: attempt.backup,
    };
  }

  /** The current shares must rebuild the root key in force; they are forgotten either way. */
  private async authenticate(progress: ShareProgress, threshold: number): Promise<void> {
    let rootKey: Buffer;
    try {
      rootKey = progress.combine(threshold);
    } catch (e) {
      throw badRequest(`failed to compute root key: ${(e as Error).message}`);
    }
    try {
      if (!(await this.seal.verifyRootKey(rootKey))) throw badRequest("root key verification failed: Unseal failed, invalid key");
    } finally {
      rootKey.fill(0);
    }
  }

  private async install(attempt: Attempt, newRootKey: Buffer): Promise<void> {
    await this.seal.replaceRootKey(newRootKey, attempt.config);
    // A seal during the write discards the attempt itself; only end the one we finished.
    if (this.attempt === attempt) this.discard();
  }

  private discard(): void {
    const attempt = this.attempt;
    if (attempt === undefined) return;
    attempt.progress.clear();
    attempt.verification.clear();
    attempt.pendingRootKey?.fill(0);
    this.attempt = undefined;
  }

  private serialise<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task, task);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
