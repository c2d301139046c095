import { describe, expect, it } from "vitest";
import { isMayflyError } from "../../framework/errors.js";
import { InmemStorage } from "../../storage/inmem.js";
import { Barrier } from "../barrier/barrier.js";
import { ROOT_TOKEN_OTP_LENGTH, RootGenerationManager, decodeToken, encodeToken } from "./generate-root.js";
import { SealManager } from "./seal.js";

async function rejection(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isMayflyError(e)) throw new Error(`expected a MayflyError, got ${String(e)}`);
  return { status: e.status, message: e.message };
}

async function unsealed(shares = 3, threshold = 2) {
  const seal = new SealManager(new Barrier(new InmemStorage()));
  const issued: string[] = [];
  const revoked: string[] = [];
  let next = "hvs.ABCDEFGHIJKLMNOPQRSTUVWX";
  const gen = new RootGenerationManager(seal, {
    create: async () => {
      issued.push(next);
      return next;
    },
    revoke: async (t) => {
      revoked.push(t);
    },
  });
  const { keys } = await seal.init({ secretShares: shares, secretThreshold: threshold });
  for (const k of keys.slice(0, threshold)) await seal.submitUnsealKey(k);
  return { seal, gen, keys, issued, revoked, setNext: (t: string) => (next = t) };
}

describe("encodeToken / decodeToken", () => {
  it("round-trips and matches Vault's encoding (XOR, unpadded base64)", () => {
    const token = "hvs.ABCDEFGHIJKLMNOPQRSTUVWX";
    const otp = "0123456789abcdefghijklmnopqr";
    const encoded = encodeToken(token, otp);
    expect(encoded).not.toContain("=");
    const expected = Buffer.from(token).map((b, i) => b ^ otp.charCodeAt(i));
    expect(Buffer.from(encoded, "base64")).toEqual(Buffer.from(expected));
    expect(decodeToken(encoded, otp)).toBe(token);
    expect(() => encodeToken(token, "short")).toThrow(/not equivalent/);
  });
});

describe("RootGenerationManager", () => {
  it("generates an OTP of a root token's length when none is given", async () => {
    const { gen } = await unsealed();
    expect(await gen.status()).toEqual({ started: false, nonce: "", progress: 0, required: 2, otpLength: ROOT_TOKEN_OTP_LENGTH, pgpFingerprint: "" });
    const { status, generatedOtp } = await gen.init(undefined);
    expect(generatedOtp).toMatch(/^[0-9A-Za-z]{28}$/);
    expect(status).toMatchObject({ started: true, progress: 0, required: 2 });
    expect(await rejection(gen.init(undefined))).toEqual({ status: 400, message: "root generation already in progress" });
  });

  it("refuses an OTP of the wrong length", async () => {
    const { gen } = await unsealed();
    expect(await rejection(gen.init("tooshort"))).toEqual({ status: 400, message: "OTP string is wrong length" });
    expect((await gen.status()).started).toBe(false);
  });

  it("mints a root token once the threshold is reached, encoded with the OTP", async () => {
    const { gen, keys, issued } = await unsealed(3, 2);
    const otp = "ZYXWVUTSRQPONMLKJIHGFEDCBA98";
    const { status } = await gen.init(otp);
    expect(await rejection(gen.update(keys[0] as Buffer, "wrong"))).toEqual({
      status: 400, message: `incorrect nonce supplied; nonce for this root generation operation is "${status.nonce}"`,
    });
    expect(await gen.update(keys[0] as Buffer, status.nonce)).toEqual({ progress: 1, required: 2, encodedToken: "", pgpFingerprint: "" });
    expect(issued).toHaveLength(0);
    expect(await rejection(gen.update(keys[0] as Buffer, status.nonce))).toMatchObject({ status: 400, message: /already been provided/ });
    const done = await gen.update(keys[2] as Buffer, status.nonce);
    expect(done.progress).toBe(2);
    expect(decodeToken(done.encodedToken, otp)).toBe(issued[0]);
    expect((await gen.status()).started).toBe(false);
  });

  it("refuses shares of another key and keeps the attempt", async () => {
    const { gen, keys, issued } = await unsealed(3, 2);
    const other = await unsealed(3, 2);
    const { status } = await gen.init(undefined);
    await gen.update(other.keys[0] as Buffer, status.nonce);
    expect(await rejection(gen.update(other.keys[1] as Buffer, status.nonce))).toMatchObject({ status: 400 });
    expect(issued).toHaveLength(0);
    expect(await gen.status()).toMatchObject({ started: true, nonce: status.nonce, progress: 0 });
    await gen.update(keys[1] as Buffer, status.nonce);
    expect((await gen.update(keys[0] as Buffer, status.nonce)).encodedToken).not.toBe("");
  });

  it("revokes a token that cannot be encoded with the OTP", async () => {
    const { gen, keys, revoked, setNext } = await unsealed(1, 1);
    setNext("hvs.a-token-of-another-length");
    const { status } = await gen.init(undefined);
    await expect(gen.update(keys[0] as Buffer, status.nonce)).rejects.toThrow(/not equivalent/);
    expect(revoked).toEqual(["hvs.a-token-of-another-length"]);
  });

  it("cancels, and a seal discards the attempt", async () => {
    const { seal, gen, keys } = await unsealed(3, 2);
    const { status } = await gen.init(undefined);
    await gen.update(keys[0] as Buffer, status.nonce);
    await gen.cancel();
    expect(await gen.status()).toMatchObject({ started: false, progress: 0 });
    await gen.init(undefined);
    await seal.seal();
    expect(await rejection(gen.status())).toEqual({ status: 503, message: "Vault is sealed" });
    expect(await rejection(gen.update(keys[0] as Buffer, status.nonce))).toMatchObject({ status: 503 });
    for (const k of keys.slice(0, 2)) await seal.submitUnsealKey(k);
    expect((await gen.status()).started).toBe(false);
  });
});
