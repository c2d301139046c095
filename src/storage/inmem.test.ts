import { describe, expect, it } from "vitest";
import { compareKeys, InmemStorage } from "./inmem.js";

describe("InmemStorage blocks", () => {
  it("agrees with a plain sorted array over random puts and deletes across many block splits", async () => {
    const s = new InmemStorage();
    const reference = new Set<string>();
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 20_000; i++) {
      const key = `k/${rand(5000).toString(36)}/${rand(10)}`;
      if (rand(4) === 0) {
        await s.delete(key);
        reference.delete(key);
      } else {
        await s.put(key, Buffer.from("v"));
        reference.add(key);
      }
    }
    const sorted = [...reference].sort(compareKeys);
    const folders = [...new Set(sorted.map((k) => k.split("/")[1] + "/"))];
    expect(await s.list("k/")).toEqual(folders);
    const firstFolder = folders[0] as string;
    const inFirst = sorted.filter((k) => k.startsWith(`k/${firstFolder}`)).map((k) => k.slice(`k/${firstFolder}`.length));
    expect(await s.list(`k/${firstFolder}`)).toEqual(inFirst);
    // Paging walks every folder exactly once, in order.
    const paged: string[] = [];
    let after = "";
    for (;;) {
      const page = await s.listPage("k/", after, 97);
      paged.push(...page);
      if (page.length < 97) break;
      after = page[page.length - 1] as string;
    }
    expect(paged).toEqual(folders);
  });
});
