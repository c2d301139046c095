/**
 * The barrier's ciphertext envelope:
 *
 *   term (uint32 BE) | version (1 byte) | nonce (12 bytes) | AES-256-GCM ciphertext | tag (16)
 *
 * The term names the keyring key that sealed the value, so old values stay readable after a
 * rotation. Version 2 binds the storage path as additional authenticated data, so a value
 * copied to another path does not decrypt (Vault's barrier uses the same numbering).
 */
import crypto from "node:crypto";
import { RandomPool } from "../../framework/random-pool.js";

export const AEAD_VERSION_PATH_BOUND = 2;
export const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 4 + 1 + NONCE_BYTES;

/** Random 96-bit nonces, from the CSPRNG in blocks (one draw per ~340 encryptions). */
const nonces = new RandomPool(NONCE_BYTES * 341);

export function encrypt(key: Buffer, term: number, path: string, plaintext: Buffer): Buffer {
  const nonce = nonces.take(NONCE_BYTES);
  const cipher = crypto.createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(path, "utf8"));
  const header = Buffer.alloc(5);
  header.writeUInt32BE(term, 0);
  header[4] = AEAD_VERSION_PATH_BOUND;
  return Buffer.concat([header, nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** The key term an envelope was sealed under, or undefined if it is too short to be one. */
export function envelopeTerm(envelope: Buffer): number | undefined {
  return envelope.length < HEADER_BYTES + TAG_BYTES ? undefined : envelope.readUInt32BE(0);
}

/** Throws `DecryptError` on any tampering, wrong key, or wrong path. */
export function decrypt(key: Buffer, path: string, envelope: Buffer): Buffer {
  if (envelope.length < HEADER_BYTES + TAG_BYTES) throw new DecryptError("ciphertext too short");
  const version = envelope[4];
  if (version !== AEAD_VERSION_PATH_BOUND) throw new DecryptError(`unsupported ciphertext version ${String(version)}`);
  const nonce = envelope.subarray(5, HEADER_BYTES);
  const body = envelope.subarray(HEADER_BYTES, envelope.length - TAG_BYTES);
  const tag = envelope.subarray(envelope.length - TAG_BYTES);
  const decipher = crypto.createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(path, "utf8"));
  decipher.setAuthTag(tag);
  const partial = decipher.update(body);
  try {
    const last = decipher.final();
    if (last.length === 0) return partial;
    const whole = Buffer.concat([partial, last]);
    partial.fill(0);
    return whole;
  } catch {
    // GCM hands out plaintext before checking the tag; do not leave unauthenticated bytes around.
    partial.fill(0);
    throw new DecryptError("message authentication failed");
  }
}

export class DecryptError extends Error {
  constructor(reason: string) {
    super(`barrier: decryption failed: ${reason}`);
    this.name = "DecryptError";
  }
}
