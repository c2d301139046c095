/**
 * Root token generation, as Vault's `sys/generate-root/*`: a quorum of unseal key holders
 * mints a new root token, handed out XORed with a one-time password so that only whoever
 * started the attempt (and holds the OTP) can read it.
 *
 * The attempt lives in memory; a seal or restart drops it, as in Vault.
 */
import crypto from "node:crypto";
import { badRequest, sealedError } from "../../framework/errors.js";
import { randomBase62 } from "../../framework/random.js";
import type { SealConfig, SealManager } from "./seal.js";
import { encryptFor, type PgpRecipient } from "./pgp.js";
import { ShareProgress, checkShareLength } from "./share-progress.js";

/**
 * The OTP is XORed byte for byte with the token, so it is as long as a root token:
 * "hvs." and 24 base62 characters (the token store's format, Vault's too).
 */
export const ROOT_TOKEN_OTP_LENGTH = 28;

export interface RootTokenIssuer {
  /** Creates a root token: policy root, no TTL, no parent. */
  create(): Promise<string>;
  /** Undoes `create` when the token cannot be handed out. */
  revoke(token: string): Promise<void>;
}

export interface GenerateRootStatus {
  started: boolean;
  nonce: string;
  progress: number;
  required: number;
  otpLength: number;
  /** Of the PGP key the token will be encrypted to; "" with an OTP. */
  pgpFingerprint: string;
}

export interface GenerateRootProgress {
  progress: number;
  required: number;
  /**
   * Set on the share that completes the attempt: base64 (unpadded) of token XOR OTP, or
   * base64 of a PGP message holding the token.
   */
  encodedToken: string;
  pgpFingerprint: string;
}

interface Attempt {
  nonce: string;
  otp: string;
  pgp: PgpRecipient | undefined;
  progress: ShareProgress;
}

export class RootGenerationManager {
  private attempt: Attempt | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly seal: SealManager,
    private readonly issuer: RootTokenIssuer,
  ) {
    seal.onSealing(() => this.discard());
  }

  status(): Promise<GenerateRootStatus> {
    return this.serialise(async () => this.statusOf(await this.seal.unsealedConfig()));
  }

  /**
   * Starts an attempt. With a PGP key the token will be encrypted to it; otherwise without
   * an OTP one is generated and returned (Vault 1.10 and later); a given OTP must be
   * exactly as long as a root token.
   */
  init(otp: string | undefined, pgp?: PgpRecipient): Promise<{ status: GenerateRootStatus; generatedOtp: string }> {
    return this.serialise(async () => {
      let generatedOtp = "";
      if (pgp !== undefined) {
        if (otp !== undefined && otp !== "") throw badRequest("only one of OTP or PGP key may be specified");
        otp = "";
      } else if (otp === undefined || otp === "") {
        generatedOtp = randomBase62(ROOT_TOKEN_OTP_LENGTH);
        otp = generatedOtp;
      } else if (otp.length !== ROOT_TOKEN_OTP_LENGTH) {
        throw badRequest("OTP string is wrong length");
      }
      const current = await this.seal.unsealedConfig();
      if (this.attempt !== undefined) throw badRequest("root generation already in progress");
      this.attempt = { nonce: crypto.randomUUID(), otp, pgp, progress: new ShareProgress() };
      return { status: this.statusOf(current), generatedOtp };
    });
  }

  cancel(): Promise<void> {
    return this.serialise(async () => {
      await this.seal.unsealedConfig();
      this.discard();
    });
  }

  /** Adds one unseal key share; the one reaching the threshold gets the encoded token. */
  update(key: Buffer, nonce: string): Promise<GenerateRootProgress> {
    return this.serialise(async () => {
      const current = await this.seal.unsealedConfig();
      checkShareLength(key);
      const attempt = this.attempt;
      if (attempt === undefined) throw badRequest("no root generation in progress");
      if (nonce !== attempt.nonce) {
        throw badRequest(`incorrect nonce supplied; nonce for this root generation operation is "${attempt.nonce}"`);
      }
      if (!attempt.progress.add(key)) throw badRequest("given key has already been provided during this generation operation");
      const progress = attempt.progress.count;
      const required = current.secret_threshold;
      const pgpFingerprint = attempt.pgp?.fingerprint ?? "";
      if (progress < required) return { progress, required, encodedToken: "", pgpFingerprint };

      let rootKey: Buffer;
      try {
        rootKey = attempt.progress.combine(required);
      } catch (e) {
        throw badRequest(`failed to compute root key: ${(e as Error).message}`);
      }
      try {
        if (!(await this.seal.verifyRootKey(rootKey))) {
          throw badRequest("root generation aborted: root key verification failed: Unseal failed, invalid key");
        }
      } finally {
        rootKey.fill(0);
      }
      // A seal while the key was checked discards the attempt; no token for a sealed server.
      if (this.attempt !== attempt || this.seal.sealed) throw sealedError();
      const token = await this.issuer.create();
      let encodedToken: string;
      try {
        encodedToken = attempt.pgp
          ? (await encryptFor(attempt.pgp, Buffer.from(token, "utf8"))).toString("base64")
          : encodeToken(token, attempt.otp);
      } catch (e) {
        await this.issuer.revoke(token);
        throw e;
      }
      this.discard();
      return { progress, required, encodedToken, pgpFingerprint };
    });
  }

  private statusOf(current: SealConfig): GenerateRootStatus {
    const attempt = this.attempt;
    return {
      started: attempt !== undefined,
      nonce: attempt?.nonce ?? "",
      progress: attempt?.progress.count ?? 0,
      required: current.secret_threshold,
      otpLength: ROOT_TOKEN_OTP_LENGTH,
      pgpFingerprint: attempt?.pgp?.fingerprint ?? "",
    };
  }

  private discard(): void {
    this.attempt?.progress.clear();
    this.attempt = undefined;
  }

  private serialise<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task, task);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

/** Vault's roottoken.EncodeToken: token XOR OTP, base64 without padding. */
export function encodeToken(token: string, otp: string): string {
  const t = Buffer.from(token, "utf8");
  const o = Buffer.from(otp, "utf8");
  if (t.length === 0) throw new Error("no token provided");
  if (t.length !== o.length) throw new Error(`length of byte slices is not equivalent: ${o.length} != ${t.length}`);
  return xor(t, o).toString("base64").replace(/=+$/, "");
}

/** Vault's roottoken.DecodeToken for OTPs of a token's length (Vault 1.10 and later). */
export function decodeToken(encoded: string, otp: string): string {
  const t = Buffer.from(encoded, "base64");
  const o = Buffer.from(otp, "utf8");
  if (t.length !== o.length) throw new Error(`length of byte slices is not equivalent: ${t.length} != ${o.length}`);
  return xor(t, o).toString("utf8");
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) ^ (b[i] as number);
  return out;
}
