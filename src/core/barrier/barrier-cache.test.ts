import { describe, expect, it } from "vitest";
import { InmemStorage } from "../../storage/inmem.js";
import type { Storage } from "../../storage/storage.js";
import { b, expectStatus, unsealedBarrier } from "./barrier-fixtures.js";

describe("Barrier read cache", () => {
  it("serves repeated reads without the storage, and never a value older than the last write", async () => {
    const { barrier, raw } = await unsealedBarrier();
    await barrier.put("a", b("one"));
    expect((await barrier.get("a"))?.toString()).toBe("one");
    // Tamper below the barrier: a cached read does not go there.
    const envelope = await raw.get("a");
    await raw.put("a", Buffer.alloc(envelope?.length ?? 40, 1));
    expect((await barrier.get("a"))?.toString()).toBe("one");
    await barrier.put("a", b("two"));
    expect((await barrier.get("a"))?.toString()).toBe("two");
    await barrier.transaction([{ op: "put", key: "a", value: b("three") }]);
    expect((await barrier.get("a"))?.toString()).toBe("three");
    await barrier.delete("a");
    expect(await barrier.get("a")).toBeUndefined();
  });

  it("hands out copies: a caller wiping its buffer does not wipe the cache", async () => {
    const { barrier } = await unsealedBarrier();
    await barrier.put("k", b("secret"));
    (await barrier.get("k"))?.fill(0);
    const again = await barrier.get("k");
    again?.fill(0);
    expect((await barrier.get("k"))?.toString()).toBe("secret");
  });

  it("does not cache a read that raced a write", async () => {
    const slow = gatedStorage("race");
    const { barrier } = await unsealedBarrier(slow.storage);
    await barrier.put("race", b("old"));
    const reading = barrier.get("race"); // reads "old", then waits
    await barrier.put("race", b("new"));
    slow.release();
    expect((await reading)?.toString()).toBe("old");
    expect((await barrier.get("race"))?.toString()).toBe("new");
  });

  it("of overlapping reads around a write, only the one that began after it is cached", async () => {
    const slow = gatedStorage("race");
    const { barrier } = await unsealedBarrier(slow.storage);
    await barrier.put("race", b("old"));
    const before = barrier.get("race");
    await barrier.put("race", b("new"));
    const after = barrier.get("race");
    slow.release();
    expect((await before)?.toString()).toBe("old");
    expect((await after)?.toString()).toBe("new");
    const readsSoFar = slow.reads();
    expect((await barrier.get("race"))?.toString()).toBe("new");
    expect(slow.reads()).toBe(readsSoFar); // served from the cache
  });

  it("does not cache a read that raced a seal and unseal", async () => {
    const slow = gatedStorage("k");
    const { barrier, rootKey } = await unsealedBarrier(slow.storage);
    await barrier.put("k", b("v1"));
    const reading = barrier.get("k");
    barrier.seal();
    await barrier.unseal(rootKey);
    slow.release();
    expect((await reading)?.toString()).toBe("v1");
    expect((await barrier.get("k"))?.toString()).toBe("v1");
    expect(slow.reads()).toBe(2); // the second read went to storage: the first was not cached
    expect((await barrier.get("k"))?.toString()).toBe("v1");
    expect(slow.reads()).toBe(2); // and the second one was
  });

  it("is gone after seal", async () => {
    const { barrier, rootKey } = await unsealedBarrier();
    await barrier.put("k", b("v"));
    await barrier.get("k");
    barrier.seal();
    await expectStatus(barrier.get("k"), 503);
    await barrier.unseal(rootKey);
    expect((await barrier.get("k"))?.toString()).toBe("v");
  });

  it("parses a value once and shares it frozen until the key is written", async () => {
    const { barrier } = await unsealedBarrier();
    await barrier.put("j", b('{"a":{"b":[1,2]}}'));
    const first = (await barrier.getParsed("j")) as { a: { b: number[] } };
    expect(first).toEqual({ a: { b: [1, 2] } });
    expect(await barrier.getParsed("j")).toBe(first);
    expect(Object.isFrozen(first.a.b)).toBe(true);
    expect(() => first.a.b.push(3)).toThrow(TypeError);
    await barrier.put("j", b('{"a":2}'));
    expect(await barrier.getParsed("j")).toEqual({ a: 2 });
    await barrier.delete("j");
    expect(await barrier.getParsed("j")).toBeUndefined();
  });

  it("peeks at a cached parse without a promise, and at nothing else", async () => {
    const { barrier } = await unsealedBarrier();
    await barrier.put("p", b('{"n":1}'));
    expect(barrier.peekParsed("p")).toBeUndefined(); // not read yet, so not cached
    const read = await barrier.getParsed("p");
    expect(barrier.peekParsed("p")).toBe(read);
    await barrier.put("p", b('{"n":2}'));
    expect(barrier.peekParsed("p")).toBeUndefined(); // a write drops what was cached
    expect(await barrier.getParsed("p")).toEqual({ n: 2 });
    expect(barrier.peekParsed("p")).toEqual({ n: 2 });
    barrier.seal();
    expect(() => barrier.peekParsed("p")).toThrow();
  });

  it("never shares a parsed value older than a write that raced its read", async () => {
    const slow = gatedStorage("race");
    const { barrier } = await unsealedBarrier(slow.storage);
    await barrier.put("race", b('"old"'));
    const reading = barrier.getParsed("race");
    await barrier.put("race", b('"new"'));
    slow.release();
    expect(await reading).toBe("old");
    expect(await barrier.getParsed("race")).toBe("new");
  });

  it("does not keep a value read while the storage had not yet applied a write", async () => {
    // SQLite gathers a turn's writes into one later commit: a read in between sees the old value.
    const late = lateWriteStorage();
    const { barrier } = await unsealedBarrier(late.storage);
    await barrier.put("k", b("old"));
    const writes: Array<[() => Promise<void>, string | undefined, string | undefined]> = [
      [() => barrier.put("k", b("new")), "old", "new"],
      [() => barrier.transaction([{ op: "put", key: "k", value: b("newer") }]), "new", "newer"],
      [() => barrier.delete("k"), "newer", undefined],
    ];
    for (const [write, before, after] of writes) {
      late.hold();
      const writing = write();
      await new Promise((r) => setImmediate(r));
      // The value from before the write, still in storage.
      expect((await barrier.get("k"))?.toString()).toBe(before);
      late.apply();
      await writing;
      expect((await barrier.get("k"))?.toString()).toBe(after);
    }
    await barrier.put("k", b("last"));
    expect((await barrier.get("k"))?.toString()).toBe("last");
  });
});

/** Storage whose writes, while held, wait (unapplied) until `apply()`; reads go straight through. */
function lateWriteStorage(): { storage: Storage; hold: () => void; apply: () => void } {
  const inner = new InmemStorage();
  let gate: Promise<void> | undefined;
  let open: () => void = () => undefined;
  const later = async () => {
    if (gate) await gate;
  };
  const storage: Storage = Object.assign(Object.create(inner) as Storage, {
    async put(k: string, v: Buffer) {
      await later();
      return inner.put(k, v);
    },
    async delete(k: string) {
      await later();
      return inner.delete(k);
    },
    async transaction(ops: Parameters<Storage["transaction"]>[0]) {
      await later();
      return inner.transaction(ops);
    },
  });
  return {
    storage,
    hold: () => (gate = new Promise<void>((r) => (open = r))),
    apply: () => {
      gate = undefined;
      open();
    },
  };
}

/** Storage whose reads of `key` are counted and wait until `release()` is called. */
function gatedStorage(key: string): { storage: Storage; release: () => void; reads: () => number } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const inner = new InmemStorage();
  let reads = 0;
  const storage: Storage = Object.assign(Object.create(inner) as Storage, {
    async get(k: string) {
      const v = await inner.get(k);
      if (k === key) {
        reads++;
        await gate;
      }
      return v;
    },
  });
  return { storage, release, reads: () => reads };
}
