import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { isMayflyError } from "../../framework/errors.js";
import { InmemStorage } from "../../storage/inmem.js";
import { getJson } from "../../storage/storage.js";
import { Barrier } from "../barrier/barrier.js";
import { RekeyManager } from "./rekey.js";
import { SEAL_CONFIG_PATH, SealManager } from "./seal.js";

async function unsealed(shares = 3, threshold = 2) {
  const raw = new InmemStorage();
  const barrier = new Barrier(raw);
  const seal = new SealManager(barrier);
  const rekey = new RekeyManager(seal);
  const { keys } = await seal.init({ secretShares: shares, secretThreshold: threshold });
  for (const k of keys.slice(0, threshold)) await seal.submitUnsealKey(k);
  expect(seal.sealed).toBe(false);
  return { raw, barrier, seal, rekey, keys };
}

async function rejection(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isMayflyError(e)) throw new Error(`expected a MayflyError, got ${String(e)}`);
  return { status: e.status, message: e.message };
}

/** A fresh barrier over the same storage, unsealed with `keys` (as after a restart). */
async function unsealsAfterRestart(raw: InmemStorage, keys: Buffer[]): Promise<boolean> {
  const seal = new SealManager(new Barrier(raw));
  try {
    for (const k of keys) await seal.submitUnsealKey(k);
  } catch {
    return false;
  }
  return !seal.sealed;
}

describe("RekeyManager", () => {
  it("reports no attempt, then the new configuration once started", async () => {
    const { rekey } = await unsealed();
    expect(await rekey.status()).toEqual({
      started: false, nonce: "", t: 0, n: 0, progress: 0, required: 2, verificationRequired: false, verificationNonce: "", pgpFingerprints: [], backup: false,
    });
    const s = await rekey.init({ secretShares: 5, secretThreshold: 3, requireVerification: false });
    expect(s).toMatchObject({ started: true, t: 3, n: 5, progress: 0, required: 2 });
    expect(s.nonce).toMatch(/^[0-9a-f-]{36}$/);
    expect(await rejection(rekey.init({ secretShares: 5, secretThreshold: 3, requireVerification: false }))).toEqual({
      status: 400, message: "rekey already in progress",
    });
  });

  it("refuses bad configurations with Vault's messages", async () => {
    const { rekey } = await unsealed();
    expect(await rejection(rekey.init({ secretShares: 2, secretThreshold: 3, requireVerification: false }))).toEqual({
      status: 400, message: "provided threshold greater than the total shares",
    });
    expect(await rejection(rekey.init({ secretShares: 3, secretThreshold: 1, requireVerification: false }))).toEqual({
      status: 400, message: "invalid rekey seal configuration: threshold must be greater than one for multiple shares",
    });
    expect(await rejection(rekey.init({ secretShares: 0, secretThreshold: 0, requireVerification: false }))).toMatchObject({ status: 400 });
    expect((await rekey.status()).started).toBe(false);
  });

  it("replaces the root key: old shares stop working, new ones unseal, config stored", async () => {
    const { raw, rekey, keys } = await unsealed(3, 2);
    const { nonce } = await rekey.init({ secretShares: 5, secretThreshold: 3, requireVerification: false });
    expect(await rekey.update(keys[0] as Buffer, nonce)).toBeUndefined();
    expect((await rekey.status()).progress).toBe(1);
    const done = await rekey.update(keys[2] as Buffer, nonce);
    expect(done).toMatchObject({ nonce, verificationRequired: false, verificationNonce: "" });
    expect(done?.keys).toHaveLength(5);
    expect((await rekey.status()).started).toBe(false);
    expect((await rekey.status()).required).toBe(3);
    expect(await getJson(raw, SEAL_CONFIG_PATH)).toEqual({ type: "shamir", secret_shares: 5, secret_threshold: 3 });
    const fresh = done?.keys as Buffer[];
    expect(await unsealsAfterRestart(raw, keys.slice(0, 2))).toBe(false);
    expect(await unsealsAfterRestart(raw, fresh.slice(0, 2))).toBe(false); // below the new threshold
    expect(await unsealsAfterRestart(raw, [fresh[4], fresh[1], fresh[3]] as Buffer[])).toBe(true);
  });

  it("checks the nonce, refuses a repeated share and rejects shares of another key", async () => {
    const { rekey, keys } = await unsealed(3, 2);
    const { nonce } = await rekey.init({ secretShares: 1, secretThreshold: 1, requireVerification: false });
    expect(await rejection(rekey.update(keys[0] as Buffer, "wrong"))).toEqual({
      status: 400, message: `incorrect nonce supplied; nonce for this rekey operation is "${nonce}"`,
    });
    await rekey.update(keys[0] as Buffer, nonce);
    expect(await rejection(rekey.update(keys[0] as Buffer, nonce))).toMatchObject({
      status: 400, message: "given key has already been provided during this generation operation",
    });
    // Shares of some other key combine into a key that opens nothing.
    const other = await unsealed(3, 2);
    expect(await rejection(rekey.update(other.keys[1] as Buffer, nonce))).toMatchObject({ status: 400, message: /^failed to compute root key|^root key verification failed/ });
    // The attempt survives with no progress; the right shares still finish it.
    expect(await rekey.status()).toMatchObject({ started: true, nonce, progress: 0 });
    await rekey.update(keys[1] as Buffer, nonce);
    const done = await rekey.update(keys[2] as Buffer, nonce);
    expect(done?.keys).toHaveLength(1);
    expect(done?.keys[0]).toHaveLength(32); // a single share is the root key itself
  });

  it("holds the new key until a quorum of new shares verifies it", async () => {
    const { raw, rekey, keys } = await unsealed(3, 2);
    const { nonce } = await rekey.init({ secretShares: 3, secretThreshold: 2, requireVerification: true });
    expect(await rekey.verificationStatus()).toEqual({ started: false, nonce: "", t: 2, n: 3, progress: 0 });
    await rekey.update(keys[0] as Buffer, nonce);
    const out = await rekey.update(keys[1] as Buffer, nonce);
    expect(out?.verificationRequired).toBe(true);
    const vnonce = out?.verificationNonce as string;
    expect(vnonce).toMatch(/^[0-9a-f-]{36}$/);
    const fresh = out?.keys as Buffer[];
    expect(await rekey.status()).toMatchObject({ started: true, verificationRequired: true, verificationNonce: vnonce });
    expect(await rejection(rekey.update(keys[2] as Buffer, nonce))).toMatchObject({
      status: 400, message: `rekey operation already finished; verification must be performed; nonce for the verification operation is "${vnonce}"`,
    });
    // Not yet in force: the old shares still unseal a restarted server.
    expect(await unsealsAfterRestart(raw, keys.slice(1, 3))).toBe(true);
    expect(await unsealsAfterRestart(raw, fresh.slice(0, 2))).toBe(false);

    expect(await rejection(rekey.verify(fresh[0] as Buffer, nonce))).toMatchObject({ status: 400, message: /^incorrect nonce supplied; nonce for this verify operation/ });
    expect(await rekey.verify(fresh[0] as Buffer, vnonce)).toBeUndefined();
    expect((await rekey.verificationStatus()).progress).toBe(1);
    // A restart of verification forgets the share and changes the nonce.
    const restarted = await rekey.restartVerification();
    expect(restarted).toMatchObject({ started: true, progress: 0 });
    expect(restarted.nonce).not.toBe(vnonce);
    // Old shares do not verify the new key; the nonce turns over.
    await rekey.verify(keys[0] as Buffer, restarted.nonce);
    expect(await rejection(rekey.verify(keys[1] as Buffer, restarted.nonce))).toMatchObject({ status: 400 });
    const after = await rekey.verificationStatus();
    expect(after.nonce).not.toBe(restarted.nonce);
    expect(after.progress).toBe(0);

    await rekey.verify(fresh[2] as Buffer, after.nonce);
    expect(await rekey.verify(fresh[1] as Buffer, after.nonce)).toEqual({ complete: true, nonce: after.nonce });
    expect((await rekey.status()).started).toBe(false);
    expect(await unsealsAfterRestart(raw, keys.slice(0, 2))).toBe(false);
    expect(await unsealsAfterRestart(raw, [fresh[1], fresh[0]] as Buffer[])).toBe(true);
  });

  it("cancels (a given nonce must match) and a seal discards the attempt", async () => {
    const { seal, rekey, keys } = await unsealed(3, 2);
    const { nonce } = await rekey.init({ secretShares: 3, secretThreshold: 2, requireVerification: false });
    await rekey.update(keys[0] as Buffer, nonce);
    expect(await rejection(rekey.cancel("not-the-nonce"))).toEqual({ status: 400, message: "invalid request" });
    await rekey.cancel(nonce);
    expect((await rekey.status()).started).toBe(false);
    await rekey.cancel(); // nothing to cancel is fine

    await rekey.init({ secretShares: 3, secretThreshold: 2, requireVerification: false });
    await seal.seal();
    expect(await rejection(rekey.status())).toEqual({ status: 503, message: "Vault is sealed" });
    expect(await rejection(rekey.init({ secretShares: 3, secretThreshold: 2, requireVerification: false }))).toMatchObject({ status: 503 });
    for (const k of keys.slice(0, 2)) await seal.submitUnsealKey(k);
    expect((await rekey.status()).started).toBe(false);
  });

  it("answers 400 before init", async () => {
    const seal = new SealManager(new Barrier(new InmemStorage()));
    const rekey = new RekeyManager(seal);
    expect(await rejection(rekey.status())).toEqual({ status: 400, message: "server is not yet initialized" });
    expect(await rejection(rekey.update(crypto.randomBytes(33), "n"))).toMatchObject({ status: 400 });
  });
});
