import { describe, expect, it } from "vitest";
import { GroupCommit } from "./group-commit.js";
import { InmemStorage } from "./inmem.js";
import type { StorageOp } from "./storage.js";

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

describe("GroupCommit", () => {
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

  it("runs one commit at a time; what arrives meanwhile waits for the next, and flush lands it all", async () => {
    const s = new CountingStorage();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = { transaction: async (ops: readonly StorageOp[]) => (s.batches.length === 0 ? gate : Promise.resolve()).then(() => s.transaction(ops)) };
    const gc = new GroupCommit(slow);
    const first = gc.transaction([put("a")]);
    await new Promise((r) => setImmediate(r));
    const later = [gc.transaction([put("b")]), gc.transaction([put("c")])];
    await new Promise((r) => setImmediate(r));
    expect(s.batches).toEqual([]); // the first commit is still under way
    const flushed = gc.flush();
    release();
    await flushed;
    expect(s.batches.map((b) => b.map((o) => o.key))).toEqual([["a"], ["b", "c"]]);
    await Promise.all([first, ...later]);
  });
});
