import { describe, expect, it } from "vitest";
import { isShared } from "../../storage/shared-values.js";
import { PlaintextCache } from "./plaintext-cache.js";

const json = (n: number) => Buffer.from(JSON.stringify({ v: "x".repeat(n) }), "utf8");

function put(cache: PlaintextCache, key: string, value: Buffer): void {
  const read = cache.beginRead(key);
  cache.offer(read, value);
  cache.endRead(read);
}

describe("PlaintextCache", () => {
  it("keeps to its entry limit, dropping the oldest first", () => {
    const cache = new PlaintextCache(3, 1 << 20);
    for (const k of ["a", "b", "c", "d"]) put(cache, k, json(10));
    expect(cache.get("a")).toBeUndefined();
    for (const k of ["b", "c", "d"]) expect(cache.get(k)).toBeDefined();
  });

  it("keeps to its byte budget, counting a shared parse and its renderings", () => {
    const one = json(1000).length;
    const cache = new PlaintextCache(100, 6 * one);
    for (const k of ["a", "b", "c", "d", "e", "f"]) put(cache, k, json(1000));
    expect(cache.get("a")).toBeDefined();
    put(cache, "g", json(1000));
    expect(cache.get("a")).toBeUndefined();
    // Sharing "g" counts it four times over: the three oldest left make room.
    const parsed = cache.parsed("g");
    expect(isShared(parsed)).toBe(true);
    expect(["b", "c", "d"].map((k) => cache.get(k))).toEqual([undefined, undefined, undefined]);
    expect(["e", "f", "g"].every((k) => cache.get(k) !== undefined)).toBe(true);
    // A rewrite of a cached key replaces its entry without counting it twice.
    put(cache, "e", json(1000));
    put(cache, "e", json(1000));
    expect(cache.get("f")).toBeDefined();
  });

  it("forgets everything, and what it counted, on wipe", () => {
    const cache = new PlaintextCache(10, 3 * json(10).length);
    for (const k of ["a", "b", "c"]) put(cache, k, json(10));
    cache.wipe();
    for (const k of ["d", "e", "f"]) put(cache, k, json(10));
    expect(["d", "e", "f"].every((k) => cache.get(k) !== undefined)).toBe(true);
  });
});
