import { describe, expect, it } from "vitest";
import { KeyedLock, mapLimit, Semaphore } from "./concurrency.js";
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
