import { describe, expect, it } from "vitest";
import { InmemStorage } from "../../storage/inmem.js";
import type { StorageOp } from "../../storage/storage.js";
import { GroupCommit } from "../../storage/group-commit.js";
import { KeyedLock, mapLimit, Semaphore } from "./concurrency.js";
import { keys } from "./lease-record.js";
import { deferred, makeHarness, settle } from "./test-harness.js";

describe("KeyedLock", () => {
  it("runs one holder per key at a time, other keys alongside, and releases on a throw", async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    const gate = deferred();
    const a1 = lock.run("a", async () => {
      order.push("a1 in");
      await gate.promise;
      order.push("a1 out");
      throw new Error("a1 failed");
    });
    const a2 = lock.run("a", async () => {
      order.push("a2 in");
    });
    const b = lock.run("b", async () => {
      order.push("b in");
    });
    await b;
    expect(order).toEqual(["a1 in", "b in"]);
    gate.resolve();
    await expect(a1).rejects.toThrow("a1 failed");
    await a2;
    expect(order).toEqual(["a1 in", "b in", "a1 out", "a2 in"]);
  });
});

describe("Semaphore", () => {
  it("lets at most n in, first come first served", async () => {
    const sem = new Semaphore(2);
    let inside = 0;
    let most = 0;
    const entered: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        sem.run(async () => {
          entered.push(i);
          inside++;
          most = Math.max(most, inside);
          await settle();
          inside--;
        }),
      ),
    );
    expect(most).toBe(2);
    expect(entered).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

describe("GroupCommit", () => {
  class CountingStorage extends InmemStorage {
    batches: StorageOp[][] = [];
    failNext = false;
    failWhen: (ops: readonly StorageOp[]) => boolean = () => false;
    override async transaction(ops: readonly StorageOp[]): Promise<void> {
      this.batches.push([...ops]);
      if (this.failWhen(ops)) throw new Error("bad key");
      if (this.failNext) {
        this.failNext = false;
        throw new Error("disk full");
      }
      return super.transaction(ops);
    }
  }
  const put = (key: string): StorageOp => ({ op: "put", key, value: Buffer.from(key) });

  it("applies transactions submitted together as one, each whole and in order", async () => {
    const s = new CountingStorage();
    const gc = new GroupCommit(s);
    await Promise.all([gc.transaction([put("a"), put("b")]), gc.transaction([put("c")]), gc.transaction([{ op: "delete", key: "a" }])]);
    expect(s.batches.map((b) => b.map((o) => o.key))).toEqual([["a", "b", "c", "a"]]);
    expect(await s.get("a")).toBeUndefined();
    expect(await s.get("b")).toBeDefined();
    await gc.transaction([put("d")]);
    expect(s.batches).toHaveLength(2);
  });

  it("a failed combined commit is retried caller by caller, so only the failing caller fails", async () => {
    const s = new CountingStorage();
    const gc = new GroupCommit(s);
    s.failWhen = (ops) => ops.some((o) => o.key === "bad");
    const results = await Promise.allSettled([gc.transaction([put("a")]), gc.transaction([put("bad")]), gc.transaction([put("b")])]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(s.batches.map((b) => b.map((o) => o.key))).toEqual([["a", "bad", "b"], ["a"], ["bad"], ["b"]]);
    expect(await s.list("")).toEqual(["a", "b"]);
  });

  it("a caller alone in a failed commit fails, and the next batch goes on", async () => {
    const s = new CountingStorage();
    const gc = new GroupCommit(s);
    s.failNext = true;
    await expect(gc.transaction([put("a")])).rejects.toThrow("disk full");
    await gc.transaction([put("c")]);
    expect(await s.list("")).toEqual(["c"]);
  });

  it("issuances side by side share commits", async () => {
    const s = new CountingStorage();
    const h = makeHarness({}, s);
    await Promise.all(Array.from({ length: 16 }, () => h.issue({ ttlSeconds: 60 })));
    // Without sharing: an intent and an activation each, 32 commits.
    expect(s.batches.length).toBeLessThanOrEqual(4);
    expect(await h.storage.list(keys.pendingPrefix)).toEqual([]);
  });

  it("revocations that finish together share commits", async () => {
    const s = new CountingStorage();
    const h = makeHarness({ concurrency: 16 }, s);
    for (let i = 0; i < 64; i++) await h.issue({ ttlSeconds: 1 });
    s.batches = [];
    h.clock.advance(1_000);
    expect(await h.manager.runDue()).toBe(64);
    expect(h.target.revoked).toHaveLength(64);
    expect(await h.allKeys()).toEqual([]);
    expect(s.batches.length).toBeLessThanOrEqual(8);
  });
});

describe("mapLimit", () => {
  it("stops taking items once halted", async () => {
    const seen: number[] = [];
    let halted = false;
    await mapLimit(
      [1, 2, 3, 4, 5, 6],
      2,
      async (n) => {
        seen.push(n);
        if (n === 3) halted = true;
        await settle();
      },
      () => halted,
    );
    expect(seen).toEqual([1, 2, 3]);
  });
});

describe("targets are called with bounded concurrency", () => {
  it("the schedule and API calls together stay within `concurrency`", async () => {
    const h = makeHarness({ concurrency: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await h.issue({ ttlSeconds: i < 8 ? 1 : 3600 })).secret?.leaseId ?? "");
    // The fake records a call before waiting on the gate: calls so far = calls inside the target.
    const gate = deferred();
    h.target.revokeGate = gate.promise;
    h.clock.advance(1_000);
    const run = h.manager.runDue();
    const api = Promise.all(ids.slice(8).map((id) => h.manager.revoke(id, { sync: true })));
    for (let i = 0; i < 5; i++) await settle();
    expect(h.target.revokeCalls).toHaveLength(3);
    gate.resolve();
    await Promise.all([run, api]);
    expect(h.target.revoked).toHaveLength(12);
  });
});
