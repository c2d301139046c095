import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InmemStorage, compareKeys } from "./inmem.js";
import { openStorage } from "./open.js";
import { SqliteStorage } from "./sqlite.js";
import { PrefixedStorage, type Storage, type StorageOp } from "./storage.js";

const tmpDirs: string[] = [];
function tmpFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mayfly-storage-"));
  tmpDirs.push(dir);
  return path.join(dir, "mayfly.db");
}
afterEach(() => {
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const backends: Array<[string, () => Storage]> = [
  ["inmem", () => new InmemStorage()],
  ["sqlite", () => new SqliteStorage(tmpFile())],
];

const b = (s: string) => Buffer.from(s, "utf8");

async function putAll(s: Storage, keys: string[]): Promise<void> {
  await s.transaction(keys.map((key): StorageOp => ({ op: "put", key, value: b(key) })));
}

describe.each(backends)("Storage contract: %s", (_name, make) => {
  let s: Storage;
  beforeEach(() => {
    s = make();
  });
  afterEach(async () => {
    await s.close();
  });

  it("gets what was put, overwrites, deletes", async () => {
    expect(await s.get("a")).toBeUndefined();
    await s.put("a", b("one"));
    expect((await s.get("a"))?.toString()).toBe("one");
    await s.put("a", b("two"));
    expect((await s.get("a"))?.toString()).toBe("two");
    await s.delete("a");
    expect(await s.get("a")).toBeUndefined();
    await s.delete("a"); // deleting an absent key is not an error
  });

  it("stores arbitrary bytes, including empty values and NULs", async () => {
    const bytes = Buffer.from([0, 255, 0, 1, 2, 0]);
    await s.put("bin", bytes);
    expect(await s.get("bin")).toEqual(bytes);
    await s.put("empty", Buffer.alloc(0));
    expect(await s.get("empty")).toEqual(Buffer.alloc(0));
  });

  it("does not let a caller's buffer mutation reach stored data", async () => {
    const v = b("secret");
    await s.put("k", v);
    v.fill(0);
    const got = await s.get("k");
    expect(got?.toString()).toBe("secret");
    got?.fill(0);
    expect((await s.get("k"))?.toString()).toBe("secret");
  });

  it("lists immediate children, folders once, sorted", async () => {
    await putAll(s, ["a/x", "a/y/z", "a/y/w", "b", "c/d/e/f", "a-b", "a0", "ab"]);
    expect(await s.list("")).toEqual(["a-b", "a/", "a0", "ab", "b", "c/"]);
    expect(await s.list("a/")).toEqual(["x", "y/"]);
    expect(await s.list("a/y/")).toEqual(["w", "z"]);
    expect(await s.list("c/")).toEqual(["d/"]);
    expect(await s.list("nothing/")).toEqual([]);
  });

  it("lists a key and a folder of the same name as two entries", async () => {
    await putAll(s, ["p/a", "p/a/b", "p/a/c"]);
    expect(await s.list("p/")).toEqual(["a", "a/"]);
  });

  it("does not leak keys that merely share the prefix's characters", async () => {
    await putAll(s, ["ab/c", "a/b", "a0", "a.x/y"]);
    expect(await s.list("a/")).toEqual(["b"]);
    expect(await s.list("ab/")).toEqual(["c"]);
  });

  it("rejects a prefix that is neither empty nor ends in /", async () => {
    await expect(s.list("a")).rejects.toThrow(/end in/);
  });

  it("handles unicode keys, in code point order on every backend", async () => {
    const keys = ["ü/1", "日本/語", "e\u0301", "😀", "\uffff", "\ue000", "z", "Ä"];
    await putAll(s, keys);
    const expected = [...new Set(keys.map((k) => (k.includes("/") ? k.slice(0, k.indexOf("/") + 1) : k)))].sort(
      compareKeys,
    );
    expect(await s.list("")).toEqual(expected);
    // Astral characters come after U+FFFF in UTF-8/code point order, not before as in UTF-16.
    expect(expected.indexOf("😀")).toBeGreaterThan(expected.indexOf("\uffff"));
    expect((await s.get("日本/語"))?.toString()).toBe("日本/語");
    expect(await s.list("日本/")).toEqual(["語"]);
  });

  it("rejects keys with lone surrogates rather than mangling them", async () => {
    await expect(s.put("bad\ud800", b("x"))).rejects.toThrow(/Unicode/);
  });

  it("pages through 10,000 keys, folders included, without loss or repetition", async () => {
    const keys: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const n = String(i).padStart(5, "0");
      // Every 10th entry is a folder holding three keys; it must appear once.
      if (i % 10 === 0) keys.push(`big/${n}/x`, `big/${n}/y`, `big/${n}/z/deep`);
      else keys.push(`big/${n}`);
    }
    await putAll(s, keys);
    const expected = await s.list("big/");
    expect(expected).toHaveLength(10_000);
    expect(expected[0]).toBe("00000/");
    expect(expected[1]).toBe("00001");

    for (const limit of [1_000, 333]) {
      const seen: string[] = [];
      let after = "";
      for (;;) {
        const page = await s.listPage("big/", after, limit);
        seen.push(...page);
        if (page.length < limit) break;
        after = page[page.length - 1] as string;
      }
      expect(seen).toEqual(expected);
    }
  });

  it("pages past a plain key into the folder of the same name", async () => {
    await putAll(s, ["q/a", "q/a/1", "q/b"]);
    expect(await s.listPage("q/", "a", 10)).toEqual(["a/", "b"]);
    expect(await s.listPage("q/", "a/", 10)).toEqual(["b"]);
    expect(await s.listPage("q/", "", 1)).toEqual(["a"]);
    expect(await s.listPage("q/", "zzz", 10)).toEqual([]);
    expect(await s.listPage("q/", "", 0)).toEqual([]);
  });

  it("applies a transaction whole", async () => {
    await s.put("t/gone", b("x"));
    await s.transaction([
      { op: "put", key: "t/a", value: b("1") },
      { op: "delete", key: "t/gone" },
      { op: "put", key: "t/b", value: b("2") },
    ]);
    expect(await s.list("t/")).toEqual(["a", "b"]);
  });

  it("applies nothing when an operation fails midway", async () => {
    await s.put("t/keep", b("old"));
    const bad = [
      { op: "put", key: "t/keep", value: b("new") },
      { op: "delete", key: "t/keep2" },
      { op: "put", key: "t/new", value: b("x") },
      { op: "put", key: "t/broken", value: "not a buffer" as unknown as Buffer },
      { op: "put", key: "t/after", value: b("y") },
    ] satisfies StorageOp[];
    await expect(s.transaction(bad)).rejects.toThrow(TypeError);
    expect((await s.get("t/keep"))?.toString()).toBe("old");
    expect(await s.get("t/new")).toBeUndefined();
    expect(await s.list("t/")).toEqual(["keep"]);
    // The storage is still usable afterwards.
    await s.put("t/after", b("ok"));
    expect(await s.list("t/")).toEqual(["after", "keep"]);
  });

  it("works under a PrefixedStorage view", async () => {
    const view = new PrefixedStorage(s, "logical/abc/");
    await view.put("x/y", b("1"));
    await view.transaction([{ op: "put", key: "z", value: b("2") }]);
    expect(await s.list("logical/abc/")).toEqual(["x/", "z"]);
    expect(await view.list("")).toEqual(["x/", "z"]);
    expect(await view.listPage("", "x/", 5)).toEqual(["z"]);
  });
});

describe("openStorage", () => {
  it("opens each backend type", async () => {
    const m = openStorage({ type: "inmem" });
    expect(m).toBeInstanceOf(InmemStorage);
    const file = tmpFile();
    const q = openStorage({ type: "sqlite", path: file });
    expect(q).toBeInstanceOf(SqliteStorage);
    await q.put("k", b("v"));
    await q.close();
    await m.close();
    expect(fs.existsSync(file)).toBe(true);
  });
});
