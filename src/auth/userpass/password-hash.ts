import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

/**
 * A password as stored: scrypt's output with the parameters and salt that produced it, so
 * the cost can be raised later without invalidating existing users.
 */
export interface PasswordHash {
  readonly algorithm: "scrypt";
  /** CPU/memory cost (a power of two). */
  readonly n: number;
  readonly r: number;
  readonly p: number;
  /** Base64. */
  readonly salt: string;
  /** Base64. */
  readonly hash: string;
}

export interface ScryptParams {
  readonly n: number;
  readonly r: number;
  readonly p: number;
}

/**
 * 2^15 with r=8 takes 32 MiB and roughly the time of Vault's bcrypt at its default cost on
 * the same machine; the work runs on libuv's pool, so the event loop stays free.
 */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { n: 2 ** 15, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;

function derive(password: string, salt: Buffer, params: ScryptParams, keyBytes: number): Promise<Buffer> {
  // Node refuses costs above its default 32 MiB ceiling unless told the real need.
  const options: ScryptOptions = { N: params.n, r: params.r, p: params.p, maxmem: 256 * params.n * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyBytes, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<PasswordHash> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params, KEY_BYTES);
  return { algorithm: "scrypt", n: params.n, r: params.r, p: params.p, salt: salt.toString("base64"), hash: key.toString("base64") };
}

/** Derives with the stored parameters and compares in constant time. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, "base64");
  const key = await derive(password, Buffer.from(stored.salt, "base64"), stored, expected.length);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * A hash no password matches, with the cost of a real one: logins for unknown users verify
 * against it so they take as long as a wrong password for a known user.
 */
export function dummyPasswordHash(params: ScryptParams = DEFAULT_SCRYPT_PARAMS): PasswordHash {
  return {
    algorithm: "scrypt",
    ...params,
    salt: randomBytes(SALT_BYTES).toString("base64"),
    hash: randomBytes(KEY_BYTES).toString("base64"),
  };
}
