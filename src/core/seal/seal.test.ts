import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isMayflyError } from "../../framework/errors.js";
import { InmemStorage } from "../../storage/inmem.js";
import { SqliteStorage } from "../../storage/sqlite.js";
import { getJson } from "../../storage/storage.js";
import { Barrier } from "../barrier/barrier.js";
import { SEAL_CONFIG_PATH, SealManager, decodeUnsealKey, validateSealConfig } from "./seal.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function fresh() {
  const barrier = new Barrier(new InmemStorage());
  return { barrier, seal: new SealManager(barrier) };
}

async function rejection(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isMayflyError(e)) throw new Error(`expected a MayflyError, got ${String(e)}`);
  return { status: e.status, message: e.message };
}

const tmpDirs: string[] = [];
afterEach(() => {
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe("SealManager", () => {
  it("reports an uninitialised, sealed state before init", async () => {
    const { seal } = fresh();
    expect(await seal.initialized()).toBe(false);
    expect(await seal.status()).toEqual({
      type: "shamir",
      initialized: false,
      sealed: true,
      t: 0,
      n: 0,
      progress: 0,
      nonce: "",
    });
    expect(await rejection(seal.submitUnsealKey(crypto.randomBytes(33)))).toEqual({
      status: 400,
      message: "Vault is not initialized",
    });
  });

  it("initialises, stays sealed, and unseals with threshold shares", async () => {
    const { barrier, seal } = fresh();
    const { keys } = await seal.init({ secretShares: 5, secretThreshold: 3 });
    expect(keys).toHaveLength(5);
    for (const k of keys) expect(k).toHaveLength(33);
    expect(await seal.initialized()).toBe(true);
    expect(await getJson(barrier.raw, SEAL_CONFIG_PATH)).toEqual({ type: "shamir", secret_shares: 5, secret_threshold: 3 });
    expect(barrier.sealed).toBe(true);

    const s1 = await seal.submitUnsealKey(keys[4] as Buffer);
    expect(s1).toMatchObject({ sealed: true, t: 3, n: 5, progress: 1 });
    expect(s1.nonce).toMatch(UUID);
    const s2 = await seal.submitUnsealKey(keys[1] as Buffer);
    expect(s2).toMatchObject({ sealed: true, progress: 2, nonce: s1.nonce });
    const s3 = await seal.submitUnsealKey(keys[2] as Buffer);
    expect(s3).toEqual({ type: "shamir", initialized: true, sealed: false, t: 3, n: 5, progress: 0, nonce: "" });
    expect(barrier.sealed).toBe(false);

    await barrier.put("secret/x", Buffer.from("y"));
    // Already unsealed: more keys change nothing.
    expect(await seal.submitUnsealKey(keys[0] as Buffer)).toMatchObject({ sealed: false, progress: 0 });
  });

  it("refuses a second init", async () => {
    const { seal } = fresh();
    await seal.init({ secretShares: 1, secretThreshold: 1 });
    expect(await rejection(seal.init({ secretShares: 1, secretThreshold: 1 }))).toEqual({
      status: 400,
      message: "Vault is already initialized",
    });
    // Also from a second manager that has no cached config.
    const barrier = (seal as unknown as { barrier: Barrier }).barrier;
    const other = new SealManager(barrier);
    expect((await rejection(other.init({ secretShares: 3, secretThreshold: 2 }))).message).toBe(
      "Vault is already initialized",
    );
  });

  it("with one share, hands out the root key itself and unseals with it", async () => {
    const { barrier, seal } = fresh();
    const { keys } = await seal.init({ secretShares: 1, secretThreshold: 1 });
    expect(keys).toHaveLength(1);
    expect(keys[0]).toHaveLength(32);
    expect(await barrier.verifyRootKey(keys[0] as Buffer)).toBe(true);
    expect(await seal.submitUnsealKey(keys[0] as Buffer)).toMatchObject({ sealed: false, t: 1, n: 1 });
  });

  it("ignores a key submitted twice in one attempt", async () => {
    const { seal } = fresh();
    const { keys } = await seal.init({ secretShares: 3, secretThreshold: 2 });
    const first = await seal.submitUnsealKey(keys[0] as Buffer);
    const again = await seal.submitUnsealKey(Buffer.from(keys[0] as Buffer));
    expect(again).toMatchObject({ progress: 1, sealed: true, nonce: first.nonce });
    expect(await seal.submitUnsealKey(keys[2] as Buffer)).toMatchObject({ sealed: false });
  });

  it("resets progress after a wrong combination, then accepts a right one", async () => {
    const { barrier, seal } = fresh();
    const { keys } = await seal.init({ secretShares: 3, secretThreshold: 2 });
    const other = await fresh().seal.init({ secretShares: 3, secretThreshold: 2 });
    const first = await seal.submitUnsealKey(keys[0] as Buffer);
    // Another vault's share at a different x: combinable, but to the wrong root key.
    const foreign = other.keys.find((k) => k[32] !== (keys[0] as Buffer)[32]) as Buffer;
    expect(await rejection(seal.submitUnsealKey(foreign))).toEqual({
      status: 400,
      message: "Unseal failed, invalid key",
    });
    expect(barrier.sealed).toBe(true);
    const after = await seal.status();
    expect(after).toMatchObject({ progress: 0, nonce: "", sealed: true });

    // A share whose x collides with one already given cannot be combined.
    const forged = Buffer.from(keys[1] as Buffer);
    forged[32] = (keys[0] as Buffer)[32] as number;
    const attempt = await seal.submitUnsealKey(keys[0] as Buffer);
    expect(attempt.nonce).not.toBe(first.nonce); // a new attempt, a new nonce
    expect(await rejection(seal.submitUnsealKey(forged))).toEqual({
      status: 400,
      message: "failed to compute combined key: duplicate part detected",
    });
    expect((await seal.status()).progress).toBe(0);

    await seal.submitUnsealKey(keys[2] as Buffer);
    expect(await seal.submitUnsealKey(keys[1] as Buffer)).toMatchObject({ sealed: false });
  });

  it("rejects keys of impossible length before counting them", async () => {
    const { seal } = fresh();
    await seal.init({ secretShares: 3, secretThreshold: 2 });
    expect(await rejection(seal.submitUnsealKey(Buffer.alloc(15)))).toEqual({
      status: 400,
      message: "key is shorter than minimum 16 bytes",
    });
    expect(await rejection(seal.submitUnsealKey(Buffer.alloc(34)))).toEqual({
      status: 400,
      message: "key is longer than maximum 33 bytes",
    });
    expect((await seal.status()).progress).toBe(0);
  });

  it("resets an attempt on request, and refuses to while unsealed", async () => {
    const { seal } = fresh();
    const { keys } = await seal.init({ secretShares: 3, secretThreshold: 3 });
    await seal.submitUnsealKey(keys[0] as Buffer);
    await seal.submitUnsealKey(keys[1] as Buffer);
    seal.resetUnseal();
    expect(await seal.status()).toMatchObject({ progress: 0, nonce: "" });
    // The two keys given before the reset no longer count.
    expect(await seal.submitUnsealKey(keys[2] as Buffer)).toMatchObject({ progress: 1, sealed: true });
    await seal.submitUnsealKey(keys[0] as Buffer);
    await seal.submitUnsealKey(keys[1] as Buffer);
    expect(seal.sealed).toBe(false);
    expect(() => seal.resetUnseal()).toThrow("vault is unsealed");
  });

  it("seals, running teardown hooks first and in reverse order", async () => {
    const { barrier, seal } = fresh();
    const { keys } = await seal.init({ secretShares: 1, secretThreshold: 1 });
    const events: string[] = [];
    seal.onUnsealed(async () => {
      events.push(`mounts up (sealed=${barrier.sealed})`);
      await barrier.put("core/mounts", Buffer.from("[]"));
    });
    seal.onUnsealed(() => void events.push("expiration up"));
    seal.onSealed(() => void events.push("mounts down"));
    const off = seal.onSealing(async () => {
      events.push(`expiration down (sealed=${barrier.sealed})`);
      await barrier.get("core/mounts"); // still readable during teardown
    });
    await seal.submitUnsealKey(keys[0] as Buffer);
    await seal.seal();
    expect(barrier.sealed).toBe(true);
    expect(events).toEqual(["mounts up (sealed=false)", "expiration up", "expiration down (sealed=false)", "mounts down"]);
    await seal.seal(); // sealing a sealed vault is a no-op
    expect(events).toHaveLength(4);

    off();
    await seal.submitUnsealKey(keys[0] as Buffer);
    await seal.seal();
    expect(events.slice(4)).toEqual(["mounts up (sealed=false)", "expiration up", "mounts down"]);
  });

  it("seals even when a teardown hook fails, then reports the failure", async () => {
    const { barrier, seal } = fresh();
    const { keys } = await seal.init({ secretShares: 1, secretThreshold: 1 });
    seal.onSealed(() => {
      throw new Error("flush failed");
    });
    await seal.submitUnsealKey(keys[0] as Buffer);
    await expect(seal.seal()).rejects.toThrow("flush failed");
    expect(barrier.sealed).toBe(true);
  });

  it("stays sealed when an unseal hook fails", async () => {
    const { barrier, seal } = fresh();
    const { keys } = await seal.init({ secretShares: 1, secretThreshold: 1 });
    let tornDown = false;
    seal.onUnsealed(() => {
      throw new Error("mount table corrupt");
    });
    seal.onSealed(() => void (tornDown = true));
    await expect(seal.submitUnsealKey(keys[0] as Buffer)).rejects.toThrow("mount table corrupt");
    expect(barrier.sealed).toBe(true);
    expect(tornDown).toBe(true);
    expect((await seal.status()).progress).toBe(0);
  });

  it("runs init's setup while unsealed, then seals again", async () => {
    const { barrier, seal } = fresh();
    let hooked = 0;
    seal.onUnsealed(() => void hooked++);
    const { keys } = await seal.init({ secretShares: 3, secretThreshold: 2 }, async () => {
      await barrier.put("auth/token/id/root", Buffer.from("root token"));
    });
    expect(hooked).toBe(1);
    expect(barrier.sealed).toBe(true);
    await seal.submitUnsealKey(keys[0] as Buffer);
    await seal.submitUnsealKey(keys[1] as Buffer);
    expect((await barrier.get("auth/token/id/root"))?.toString()).toBe("root token");
  });

  it("serialises concurrent submissions so the threshold is crossed once", async () => {
    const { seal } = fresh();
    const { keys } = await seal.init({ secretShares: 5, secretThreshold: 3 });
    let unsealedRuns = 0;
    seal.onUnsealed(() => void unsealedRuns++);
    const results = await Promise.all(keys.map((k) => seal.submitUnsealKey(k)));
    expect(results.map((r) => r.sealed)).toEqual([true, true, false, false, false]);
    expect(unsealedRuns).toBe(1);
  });

  it("comes up sealed after a restart and unseals with the first run's shares", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mayfly-seal-"));
    tmpDirs.push(dir);
    const file = path.join(dir, "mayfly.db");

    const barrier1 = new Barrier(new SqliteStorage(file));
    const seal1 = new SealManager(barrier1);
    const { keys } = await seal1.init({ secretShares: 5, secretThreshold: 3 });
    for (const k of keys.slice(0, 3)) await seal1.submitUnsealKey(k);
    await barrier1.put("secret/data/app", Buffer.from("persisted"));
    await barrier1.rotate();
    await barrier1.put("secret/data/after-rotate", Buffer.from("also persisted"));
    await seal1.seal();
    await barrier1.close();

    const barrier2 = new Barrier(new SqliteStorage(file));
    const seal2 = new SealManager(barrier2);
    expect(await seal2.status()).toEqual({
      type: "shamir",
      initialized: true,
      sealed: true,
      t: 3,
      n: 5,
      progress: 0,
      nonce: "",
    });
    await expect(barrier2.get("secret/data/app")).rejects.toThrow("Vault is sealed");
    // A different subset from the one used before, and given as the HTTP layer would decode it.
    await seal2.submitUnsealKey(decodeUnsealKey((keys[4] as Buffer).toString("hex")));
    await seal2.submitUnsealKey(decodeUnsealKey((keys[2] as Buffer).toString("base64")));
    expect(await seal2.submitUnsealKey(decodeUnsealKey((keys[0] as Buffer).toString("hex")))).toMatchObject({
      sealed: false,
    });
    expect((await barrier2.get("secret/data/app"))?.toString()).toBe("persisted");
    expect((await barrier2.get("secret/data/after-rotate"))?.toString()).toBe("also persisted");
    expect(barrier2.keyStatus()).toMatchObject({ term: 2, encryptions: 1 });
    await barrier2.close();
  });
});

describe("validateSealConfig", () => {
  it("applies Vault's rules and messages", () => {
    const msg = (secretShares: number, secretThreshold: number) => {
      try {
        validateSealConfig({ secretShares, secretThreshold });
        return "ok";
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(msg(5, 3)).toBe("ok");
    expect(msg(1, 1)).toBe("ok");
    expect(msg(255, 255)).toBe("ok");
    expect(msg(0, 1)).toBe("invalid seal configuration: shares must be at least one");
    expect(msg(1, 0)).toBe("invalid seal configuration: threshold must be at least one");
    expect(msg(2, 1)).toBe("invalid seal configuration: threshold must be greater than one for multiple shares");
    expect(msg(256, 3)).toBe("invalid seal configuration: shares must be less than 256");
    expect(msg(3, 5)).toBe("invalid seal configuration: threshold cannot be larger than shares");
    expect(msg(2.5, 2)).toMatch(/integers/);
  });
});

describe("decodeUnsealKey", () => {
  it("accepts hex and base64, hex first", () => {
    const key = crypto.randomBytes(33);
    expect(decodeUnsealKey(key.toString("hex"))).toEqual(key);
    expect(decodeUnsealKey(key.toString("hex").toUpperCase())).toEqual(key);
    expect(decodeUnsealKey(key.toString("base64"))).toEqual(key);
    expect(decodeUnsealKey(`${key.toString("base64")}\n`)).toEqual(key);
    const root = crypto.randomBytes(32);
    expect(decodeUnsealKey(root.toString("base64"))).toEqual(root);
  });

  it("reads a string that is valid hex but of implausible length as base64", () => {
    // 48 hex digits = 24 bytes as hex (plausible); 88 digits = 44 bytes (too long), so base64.
    const ambiguous = "ab".repeat(44);
    expect(decodeUnsealKey(ambiguous)).toEqual(Buffer.from(ambiguous, "base64"));
    expect(decodeUnsealKey("ab".repeat(24))).toEqual(Buffer.from("ab".repeat(24), "hex"));
  });

  it("rejects what is neither", () => {
    for (const bad of ["not a key!", "url-safe_base64-", "abc", "YWJj=", "%%%%", "YW Jj"]) {
      expect(() => decodeUnsealKey(bad)).toThrow("'key' must be a valid hex or base64 string");
    }
  });
});
