import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { combine, gfInv, gfMul, split } from "./shamir.js";

/** Textbook log/exp tables for the AES field with generator 3, as an independent oracle. */
function tables(): { exp: number[]; log: number[] } {
  const exp: number[] = [];
  const log: number[] = new Array(256).fill(0);
  let v = 1;
  for (let i = 0; i < 255; i++) {
    exp[i] = v;
    log[v] = i;
    // v *= 3: v*2 (xtime) xor v
    const doubled = ((v << 1) ^ (v & 0x80 ? 0x1b : 0)) & 0xff;
    v = doubled ^ v;
  }
  return { exp, log };
}

function pick<T>(items: readonly T[], n: number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = crypto.randomInt(i + 1);
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy.slice(0, n);
}

describe("GF(256) arithmetic", () => {
  it("multiplies as the log/exp tables of generator 3 over 0x11b say", () => {
    const { exp, log } = tables();
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        const expected = a === 0 || b === 0 ? 0 : (exp[((log[a] as number) + (log[b] as number)) % 255] as number);
        if (gfMul(a, b) !== expected) throw new Error(`mul(${a}, ${b}) = ${gfMul(a, b)}, want ${expected}`);
      }
    }
    expect(gfMul(0x57, 0x83)).toBe(0xc1); // FIPS-197 §4.2 example
  });

  it("inverts every non-zero element", () => {
    for (let a = 1; a < 256; a++) expect(gfMul(a, gfInv(a))).toBe(1);
    expect(gfInv(0)).toBe(0);
  });
});

describe("split/combine", () => {
  it("lays shares out as y-values then one x byte, with distinct non-zero x", () => {
    const secret = crypto.randomBytes(32);
    const shares = split(secret, 255, 3);
    expect(shares).toHaveLength(255);
    const xs = new Set(shares.map((s) => s[32]));
    expect(xs.size).toBe(255);
    expect(xs.has(0)).toBe(false);
    for (const s of shares) expect(s).toHaveLength(33);
  });

  it("rebuilds random secrets from random subsets of at least threshold shares", () => {
    for (let round = 0; round < 200; round++) {
      const secret = crypto.randomBytes(1 + crypto.randomInt(64));
      const n = 2 + crypto.randomInt(20);
      const t = 2 + crypto.randomInt(n - 1);
      const shares = split(secret, n, t);
      const k = t + crypto.randomInt(n - t + 1);
      expect(combine(pick(shares, k))).toEqual(secret);
    }
  });

  it("handles the extremes: 255 shares, threshold 255, one-byte secrets", () => {
    const secret = crypto.randomBytes(32);
    expect(combine(pick(split(secret, 255, 255), 255))).toEqual(secret);
    const tiny = Buffer.from([0x00]);
    expect(combine(split(tiny, 2, 2))).toEqual(tiny);
  });

  it("gives something other than the secret below the threshold", () => {
    for (let round = 0; round < 50; round++) {
      const secret = crypto.randomBytes(32);
      const shares = split(secret, 5, 3);
      const wrong = combine(pick(shares, 2));
      expect(wrong).toHaveLength(32);
      expect(wrong.equals(secret)).toBe(false);
    }
  });

  it("does not produce the same shares twice (coefficients and x are random)", () => {
    const secret = crypto.randomBytes(16);
    const a = split(secret, 3, 2).map((s) => s.toString("hex"));
    const b = split(secret, 3, 2).map((s) => s.toString("hex"));
    expect(a).not.toEqual(b);
  });

  it("rejects duplicate shares", () => {
    const shares = split(crypto.randomBytes(32), 5, 3);
    const [s0, s1] = shares as [Buffer, Buffer];
    expect(() => combine([s0, s1, s0])).toThrow("duplicate part detected");
    // A different y under an already used x is caught the same way.
    const forged = Buffer.from(s1);
    forged[32] = s0[32] as number;
    expect(() => combine([s0, forged])).toThrow("duplicate part detected");
  });

  it("rejects malformed shares", () => {
    const shares = split(crypto.randomBytes(32), 5, 3);
    const [s0, s1] = shares as [Buffer, Buffer];
    expect(() => combine([s0])).toThrow(/less than two parts/);
    expect(() => combine([])).toThrow(/less than two parts/);
    expect(() => combine([s0, s1.subarray(1)])).toThrow(/same length/);
    expect(() => combine([Buffer.from([1]), Buffer.from([2])])).toThrow(/at least two bytes/);
    const zeroX = Buffer.from(s1);
    zeroX[32] = 0;
    expect(() => combine([s0, zeroX])).toThrow(/x coordinate/);
  });

  it("enforces Vault's limits on split", () => {
    const s = crypto.randomBytes(8);
    expect(() => split(s, 2, 3)).toThrow(/less than threshold/);
    expect(() => split(s, 256, 3)).toThrow(/exceed 255/);
    expect(() => split(s, 1, 1)).toThrow(/at least 2/);
    expect(() => split(s, 5, 1)).toThrow(/at least 2/);
    expect(() => split(Buffer.alloc(0), 3, 2)).toThrow(/empty secret/);
    expect(() => split(s, 2.5, 2)).toThrow(/integers/);
  });
});
