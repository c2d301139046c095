/**
 * Shamir's secret sharing over GF(2^8), share layout compatible with Vault's: each share is
 * one y-value per secret byte followed by a single x-coordinate byte. Every byte of the
 * secret is the constant term of its own random polynomial of degree threshold-1.
 *
 * Field arithmetic avoids lookup tables indexed by secret bytes (cache-timing leaks) and
 * data-dependent branches. JavaScript gives no hard constant-time guarantee, but nothing
 * here branches on or indexes by a secret value.
 */
import crypto from "node:crypto";

/** Bytes a share adds to the secret: the x coordinate. */
export const SHARE_OVERHEAD = 1;

/** Multiplication in GF(2^8) modulo the AES polynomial x^8+x^4+x^3+x+1 (0x11b). */
export function gfMul(a: number, b: number): number {
  let product = 0;
  for (let i = 0; i < 8; i++) {
    product ^= a & -(b & 1); // add a when the low bit of b is set, without a branch
    b >>= 1;
    const carry = -((a >> 7) & 1);
    a = ((a << 1) ^ (0x1b & carry)) & 0xff;
  }
  return product;
}

/** a^254 = a^-1 for a != 0 (the multiplicative group has order 255); 0 maps to 0. */
export function gfInv(a: number): number {
  // Fixed square-and-multiply chain for the exponent 254 = 0b11111110.
  let result = 1;
  let base = a;
  for (let bit = 0; bit < 8; bit++) {
    const mask = -((254 >> bit) & 1);
    const withBase = gfMul(result, base);
    result = (withBase & mask) | (result & ~mask);
    base = gfMul(base, base);
  }
  return result & 0xff;
}

/**
 * Splits `secret` into `shares` parts of which any `threshold` rebuild it. Limits as
 * Vault's: 2 <= threshold <= shares <= 255 and a non-empty secret. (A single share with
 * threshold 1 is not Shamir at all; callers use the secret itself, as Vault does.)
 */
export function split(secret: Buffer, shares: number, threshold: number): Buffer[] {
  if (!Number.isInteger(shares) || !Number.isInteger(threshold)) throw new Error("parts and threshold must be integers");
  if (shares < threshold) throw new Error("parts cannot be less than threshold");
  if (shares > 255) throw new Error("parts cannot exceed 255");
  if (threshold < 2) throw new Error("threshold must be at least 2");
  if (threshold > 255) throw new Error("threshold cannot exceed 255");
  if (secret.length === 0) throw new Error("cannot split an empty secret");

  const xs = randomDistinctNonZero(shares);
  const out = xs.map((x) => {
    const share = Buffer.alloc(secret.length + SHARE_OVERHEAD);
    share[secret.length] = x;
    return share;
  });
  const coefficients = Buffer.alloc(threshold - 1);
  for (let byteIndex = 0; byteIndex < secret.length; byteIndex++) {
    crypto.randomFillSync(coefficients);
    const intercept = secret[byteIndex] as number;
    for (let s = 0; s < shares; s++) {
      (out[s] as Buffer)[byteIndex] = evaluate(intercept, coefficients, xs[s] as number);
    }
  }
  coefficients.fill(0);
  return out;
}

/**
 * Rebuilds the secret from shares. With fewer shares than the threshold used to split,
 * the result is a different value indistinguishable from random, not an error: only the
 * caller (the barrier, by failing to decrypt) can tell.
 */
export function combine(parts: readonly Buffer[]): Buffer {
  if (parts.length < 2) throw new Error("less than two parts cannot be used to reconstruct the secret");
  const first = parts[0] as Buffer;
  if (first.length < 2) throw new Error("parts must be at least two bytes");
  const secretLength = first.length - SHARE_OVERHEAD;
  const xs: number[] = [];
  const seen = new Set<number>();
  for (const p of parts) {
    if (!Buffer.isBuffer(p)) throw new Error("parts must be buffers");
    if (p.length !== first.length) throw new Error("all parts must be the same length");
    const x = p[secretLength] as number;
    // x = 0 would be the secret itself; split never makes one, so it marks a forged share.
    if (x === 0) throw new Error("part has an invalid x coordinate");
    if (seen.has(x)) throw new Error("duplicate part detected");
    seen.add(x);
    xs.push(x);
  }

  // Lagrange basis at 0: l_j = prod_{m != j} x_m / (x_m - x_j); subtraction is XOR.
  // The x coordinates are public, so computing these once is not a leak.
  const basis = xs.map((xj, j) => {
    let num = 1;
    let den = 1;
    xs.forEach((xm, m) => {
      if (m === j) return;
      num = gfMul(num, xm);
      den = gfMul(den, xm ^ xj);
    });
    return gfMul(num, gfInv(den));
  });

  const secret = Buffer.alloc(secretLength);
  for (let i = 0; i < secretLength; i++) {
    let value = 0;
    for (let j = 0; j < parts.length; j++) value ^= gfMul((parts[j] as Buffer)[i] as number, basis[j] as number);
    secret[i] = value;
  }
  return secret;
}

/** Horner's rule for intercept + c1·x + c2·x² + ... */
function evaluate(intercept: number, coefficients: Buffer, x: number): number {
  let acc = 0;
  for (let k = coefficients.length - 1; k >= 0; k--) acc = gfMul(acc, x) ^ (coefficients[k] as number);
  return gfMul(acc, x) ^ intercept;
}

/** `count` distinct values from 1..255: a Fisher-Yates shuffle driven by crypto randomness. */
function randomDistinctNonZero(count: number): number[] {
  const values = Array.from({ length: 255 }, (_, i) => i + 1);
  for (let i = values.length - 1; i > 0; i--) {
    const j = crypto.randomInt(i + 1);
    [values[i], values[j]] = [values[j] as number, values[i] as number];
  }
  return values.slice(0, count);
}
