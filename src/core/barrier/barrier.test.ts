import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { InmemStorage } from "../../storage/inmem.js";
import { SqliteStorage } from "../../storage/sqlite.js";
import { PrefixedStorage, type Storage } from "../../storage/storage.js";
import { Barrier, KEYRING_PATH, ROTATION_ENCRYPTIONS } from "./barrier.js";
import { DecryptError } from "./aead.js";
import { b, expectStatus, unsealedBarrier } from "./barrier-fixtures.js";

const tmpDirs: string[] = [];
afterEach(() => {
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe("Barrier", () => {
  it("starts sealed and uninitialised; initialize leaves it sealed", async () => {
    const barrier = new Barrier(new InmemStorage());
    expect(barrier.sealed).toBe(true);
    expect(await barrier.initialized()).toBe(false);
    await barrier.initialize(crypto.randomBytes(32));
    expect(await barrier.initialized()).toBe(true);
    expect(barrier.sealed).toBe(true);
    await expectStatus(barrier.initialize(crypto.randomBytes(32)), 400, "Vault is already initialized");
  });

  it("round-trips values and stores only ciphertext beneath", async () => {
    const { barrier, raw } = await unsealedBarrier();
    await barrier.put("secret/a", b("hunter2"));
    expect((await barrier.get("secret/a"))?.toString()).toBe("hunter2");
    const stored = (await raw.get("secret/a")) as Buffer;
    expect(stored.includes(b("hunter2"))).toBe(false);
    expect(stored.readUInt32BE(0)).toBe(1); // term
    expect(stored[4]).toBe(2); // version: path-bound
    expect(stored.length).toBe(4 + 1 + 12 + 7 + 16);
    expect(await barrier.get("secret/missing")).toBeUndefined();
    await barrier.put("secret/empty", Buffer.alloc(0));
    expect(await barrier.get("secret/empty")).toEqual(Buffer.alloc(0));
    await barrier.delete("secret/a");
    expect(await barrier.get("secret/a")).toBeUndefined();
    expect(await raw.get("secret/a")).toBeUndefined();
  });

  it("uses a fresh nonce for every write", async () => {
    const { barrier, raw } = await unsealedBarrier();
    await barrier.put("x", b("same"));
    const first = await raw.get("x");
    await barrier.put("x", b("same"));
    expect((await raw.get("x"))?.equals(first as Buffer)).toBe(false);
  });

  it("detects tampering anywhere in the ciphertext", async () => {
    const { barrier, raw } = await unsealedBarrier();
    await barrier.put("k", b("some value"));
    const good = (await raw.get("k")) as Buffer;
    for (let i = 5; i < good.length; i++) {
      const bad = Buffer.from(good);
      bad[i] = (bad[i] as number) ^ 0x01;
      await raw.put("k", bad);
      await expect(barrier.get("k")).rejects.toThrow(DecryptError);
    }
    const badVersion = Buffer.from(good);
    badVersion[4] = 1;
    await raw.put("k", badVersion);
    await expect(barrier.get("k")).rejects.toThrow(/version/);
    await raw.put("k", good.subarray(0, 20));
    await expect(barrier.get("k")).rejects.toThrow(DecryptError);
    await raw.put("k", good);
    expect((await barrier.get("k"))?.toString()).toBe("some value");
  });

  it("refuses a value moved to another path (path is authenticated)", async () => {
    const { barrier, raw } = await unsealedBarrier();
    await barrier.put("auth/token/id/alice", b('{"policies":["root"]}'));
    await raw.put("auth/token/id/mallory", (await raw.get("auth/token/id/alice")) as Buffer);
    await expect(barrier.get("auth/token/id/mallory")).rejects.toThrow(/authentication failed/);
  });

  it("rotates: new writes use the new term, old values still decrypt", async () => {
    let now = Date.parse("2026-01-02T03:04:05.678Z");
    const { barrier, raw, rootKey } = await unsealedBarrier(new InmemStorage(), () => now);
    await barrier.put("old", b("v1"));
    expect(barrier.keyStatus()).toEqual({ term: 1, install_time: "2026-01-02T03:04:05.678Z", encryptions: 1 });
    now += 60_000;
    const rotated = await barrier.rotate();
    expect(rotated).toEqual({ term: 2, installTime: new Date(now) });
    await barrier.put("new", b("v2"));
    expect(((await raw.get("new")) as Buffer).readUInt32BE(0)).toBe(2);
    expect(((await raw.get("old")) as Buffer).readUInt32BE(0)).toBe(1);
    expect((await barrier.get("old"))?.toString()).toBe("v1");
    expect(barrier.keyStatus()).toEqual({ term: 2, install_time: "2026-01-02T03:05:05.678Z", encryptions: 1 });
    await barrier.rotate();
    expect(barrier.keyStatus().term).toBe(3);

    // The rotation is durable: a fresh barrier over the same storage knows every term.
    const again = new Barrier(raw);
    await again.unseal(rootKey);
    expect(again.keyStatus().term).toBe(3);
    expect((await again.get("old"))?.toString()).toBe("v1");
    expect((await again.get("new"))?.toString()).toBe("v2");
  });

  it("serialises concurrent rotations into distinct terms", async () => {
    const { barrier, raw, rootKey } = await unsealedBarrier();
    const terms = await Promise.all([barrier.rotate(), barrier.rotate(), barrier.rotate()]);
    expect(terms.map((t) => t.term).sort()).toEqual([2, 3, 4]);
    const again = new Barrier(raw);
    await again.unseal(rootKey);
    expect(again.keyStatus().term).toBe(4);
  });

  it("persists encryption counts when asked", async () => {
    const { barrier, raw, rootKey } = await unsealedBarrier();
    for (let i = 0; i < 5; i++) await barrier.put(`n/${i}`, b("x"));
    await barrier.transaction([
      { op: "put", key: "n/a", value: b("1") },
      { op: "put", key: "n/b", value: b("2") },
      { op: "delete", key: "n/0" },
    ]);
    expect(barrier.keyStatus().encryptions).toBe(7);
    await barrier.persistKeyring();
    const again = new Barrier(raw);
    await again.unseal(rootKey);
    expect(again.keyStatus().encryptions).toBe(7);
    expect(again.activeKeyUse().encryptions).toBeLessThan(ROTATION_ENCRYPTIONS);
  });

  it("stays sealed on a wrong root key with a clear error", async () => {
    const raw = new InmemStorage();
    const barrier = new Barrier(raw);
    const rootKey = crypto.randomBytes(32);
    await barrier.initialize(rootKey);
    await expectStatus(barrier.unseal(crypto.randomBytes(32)), 400, "Unseal failed, invalid key");
    await expectStatus(barrier.unseal(rootKey.subarray(0, 16)), 400, "Unseal failed, invalid key");
    expect(barrier.sealed).toBe(true);
    expect(await barrier.verifyRootKey(crypto.randomBytes(32))).toBe(false);
    expect(await barrier.verifyRootKey(rootKey)).toBe(true);
    expect(barrier.sealed).toBe(true);
    await barrier.unseal(rootKey);
    expect(barrier.sealed).toBe(false);
    await expectStatus(new Barrier(new InmemStorage()).unseal(rootKey), 400, "Vault is not initialized");
  });

  it("refuses everything while sealed, with the 503 sealed error", async () => {
    const { barrier } = await unsealedBarrier();
    await barrier.put("k", b("v"));
    barrier.seal();
    expect(barrier.sealed).toBe(true);
    await expectStatus(barrier.get("k"), 503, "Vault is sealed");
    await expectStatus(barrier.put("k", b("v")), 503);
    await expectStatus(barrier.delete("k"), 503);
    await expectStatus(barrier.list(""), 503);
    await expectStatus(barrier.listPage("", "", 10), 503);
    await expectStatus(barrier.transaction([{ op: "delete", key: "k" }]), 503);
    await expectStatus(barrier.rotate(), 503);
    await expectStatus(barrier.persistKeyring(), 503);
    expect(() => barrier.keyStatus()).toThrow("Vault is sealed");
  });

  it("wipes key material on seal", async () => {
    const { barrier, rootKey } = await unsealedBarrier();
    await barrier.rotate();
    const internals = barrier as unknown as { keyring: { byTerm(t: number): { key: Buffer } }; rootKey: Buffer };
    const held = [internals.keyring.byTerm(1).key, internals.keyring.byTerm(2).key, internals.rootKey];
    expect(held.every((k) => k.some((byte) => byte !== 0))).toBe(true);
    expect(internals.rootKey).not.toBe(rootKey); // the barrier holds its own copy
    barrier.seal();
    for (const k of held) expect(k.every((byte) => byte === 0)).toBe(true);
    expect(rootKey.some((byte) => byte !== 0)).toBe(true); // the caller's buffer is the caller's
  });

  it("fails a read that was in flight when the barrier sealed", async () => {
    const { barrier, raw } = await unsealedBarrier();
    await barrier.put("k", b("v"));
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const slowGet = raw.get.bind(raw);
    raw.get = async (key: string) => {
      await gate;
      return slowGet(key);
    };
    const pending = barrier.get("k");
    barrier.seal();
    release();
    await expectStatus(pending, 503);
  });

  it("discards a rotation whose write finished after a seal", async () => {
    const { barrier, raw, rootKey } = await unsealedBarrier();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const put = raw.put.bind(raw);
    let writing = false;
    raw.put = async (key: string, value: Buffer) => {
      writing = true;
      await gate;
      return put(key, value);
    };
    const pending = barrier.rotate();
    await new Promise((r) => setImmediate(r));
    expect(writing).toBe(true);
    barrier.seal();
    release();
    await expectStatus(pending, 503);
    raw.put = put;
    // The write itself landed, so the next unseal sees the new term.
    await barrier.unseal(rootKey);
    expect(barrier.keyStatus().term).toBe(2);
  });

  it("keeps the keyring and reserved raw keys out of reach", async () => {
    const { barrier, raw } = await unsealedBarrier();
    barrier.reserveRawKey("core/seal-config");
    await raw.put("core/seal-config", b("{}"));
    await expect(barrier.put(KEYRING_PATH, b("x"))).rejects.toThrow(/outside the barrier/);
    await expect(barrier.get("core/seal-config")).rejects.toThrow(/outside the barrier/);
    await expect(barrier.delete("core/seal-config")).rejects.toThrow(/outside the barrier/);
    await expect(barrier.transaction([{ op: "delete", key: KEYRING_PATH }])).rejects.toThrow(/outside the barrier/);
    expect((await raw.get("core/seal-config"))?.toString()).toBe("{}");
  });

  it("encrypts every put of a transaction, atomically", async () => {
    const { barrier, raw } = await unsealedBarrier();
    await barrier.put("t/gone", b("x"));
    await barrier.transaction([
      { op: "put", key: "t/a", value: b("alpha") },
      { op: "delete", key: "t/gone" },
    ]);
    expect((await barrier.get("t/a"))?.toString()).toBe("alpha");
    expect(((await raw.get("t/a")) as Buffer).includes(b("alpha"))).toBe(false);
    expect(await barrier.list("t/")).toEqual(["a"]);
  });

  it("binds the full path when seen through a prefixed view", async () => {
    const { barrier, raw } = await unsealedBarrier();
    const mount = new PrefixedStorage(barrier, "logical/1234/");
    await mount.put("config", b("c"));
    expect((await mount.get("config"))?.toString()).toBe("c");
    await raw.put("logical/9999/config", (await raw.get("logical/1234/config")) as Buffer);
    await expect(new PrefixedStorage(barrier, "logical/9999/").get("config")).rejects.toThrow(DecryptError);
  });

  it("changes the root key: the old one stops working, data stays readable", async () => {
    const { barrier, raw, rootKey } = await unsealedBarrier();
    await barrier.put("k", b("v"));
    const newRoot = crypto.randomBytes(32);
    await barrier.changeRootKey(newRoot);
    expect(await barrier.verifyRootKey(rootKey)).toBe(false);
    expect(await barrier.verifyRootKey(newRoot)).toBe(true);
    const again = new Barrier(raw);
    await again.unseal(newRoot);
    expect((await again.get("k"))?.toString()).toBe("v");
  });

  it("changes the root key and raw values in one transaction, and only reserved raw keys", async () => {
    const { barrier, raw } = await unsealedBarrier();
    barrier.reserveRawKey("core/seal-config");
    const ops: unknown[] = [];
    const transaction = raw.transaction.bind(raw);
    raw.transaction = async (o) => {
      ops.push(o.map((x) => x.key));
      await transaction(o);
    };
    const newRoot = crypto.randomBytes(32);
    await barrier.changeRootKey(newRoot, [{ op: "put", key: "core/seal-config", value: b("{}") }]);
    expect(ops).toEqual([["core/seal-config", KEYRING_PATH]]);
    expect(await barrier.verifyRootKey(newRoot)).toBe(true);
    await expect(barrier.changeRootKey(crypto.randomBytes(32), [{ op: "put", key: "secret/x", value: b("x") }])).rejects.toThrow(/not a raw key/);
    expect(await barrier.verifyRootKey(newRoot)).toBe(true);
  });

  it("leaves no plaintext in the SQLite file or its WAL", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mayfly-barrier-"));
    tmpDirs.push(dir);
    const file = path.join(dir, "mayfly.db");
    const sqlite = new SqliteStorage(file);
    const { barrier, rootKey } = await unsealedBarrier(sqlite);
    const secret = `needle-${crypto.randomBytes(12).toString("hex")}`;
    await barrier.put("secret/data/app", b(JSON.stringify({ password: secret })));
    await barrier.transaction([{ op: "put", key: "secret/data/app2", value: b(secret) }]);
    // A control: the same bytes written raw must be found, or the grep proves nothing.
    const control = `control-${crypto.randomBytes(12).toString("hex")}`;
    await sqlite.put("control", b(control));

    const filesNow = () =>
      fs
        .readdirSync(dir)
        .map((f) => fs.readFileSync(path.join(dir, f)))
        .reduce((all, bytes) => Buffer.concat([all, bytes]), Buffer.alloc(0));
    const live = filesNow();
    expect(fs.existsSync(`${file}-wal`)).toBe(true);
    expect(live.includes(b(control))).toBe(true);
    expect(live.includes(b(secret))).toBe(false);
    expect(live.includes(rootKey)).toBe(false);

    await barrier.close(); // checkpoints the WAL into the main file
    const closed = filesNow();
    expect(closed.includes(b(control))).toBe(true);
    expect(closed.includes(b(secret))).toBe(false);
    expect(closed.includes(rootKey)).toBe(false);
  });
});
