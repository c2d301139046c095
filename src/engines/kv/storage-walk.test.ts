import { describe, expect, it } from "vitest";
import { InmemStorage } from "../../storage/inmem.js";
import { deleteTree, walkKeys } from "./storage-walk.js";

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const k of it) out.push(k);
  return out;
}

describe("walkKeys and deleteTree", () => {
  it("walks every leaf, depth first, across many pages, and prunes skipped folders", async () => {
    const s = new InmemStorage();
    const keys = ["a", "b/c", "b/d/e", "skip/x", "z"];
    for (let i = 0; i < 1200; i++) keys.push(`many/${String(i).padStart(4, "0")}`);
    for (const k of keys) await s.put(k, Buffer.from("1"));
    const walked = await collect(walkKeys(s, "", (f) => f === "skip/"));
    expect(walked.sort()).toEqual(keys.filter((k) => !k.startsWith("skip/")).sort());
  });

  it("deletes a whole subtree and nothing beside it", async () => {
    const s = new InmemStorage();
    for (let i = 0; i < 1100; i++) await s.put(`t/${i % 3}/${i}`, Buffer.from("1"));
    await s.put("t2/keep", Buffer.from("1"));
    await s.put("t", Buffer.from("1"));
    expect(await deleteTree(s, "t/")).toBe(1100);
    expect(await s.list("")).toEqual(["t", "t2/"]);
  });
});
