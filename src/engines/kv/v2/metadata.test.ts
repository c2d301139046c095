import { describe, expect, it } from "vitest";
import { createKvBackend } from "../index.js";
import { Harness, makeMount } from "../test-helpers.js";

const startV2 = () => Harness.start(createKvBackend, makeMount("secret", { version: "2" }));
const T0 = "2024-01-01T12:00:00.25Z";

describe("KV v2 metadata/", () => {
  it("reads the full metadata of a secret", async () => {
    const h = await startV2();
    await h.ok("write", "data/app", { data: { v: 1 } });
    h.nowMs += 2000;
    await h.ok("write", "data/app", { data: { v: 2 } });
    expect(await h.data("read", "metadata/app")).toEqual({
      cas_required: false,
      created_time: T0,
      current_version: 2,
      custom_metadata: null,
      delete_version_after: "0s",
      max_versions: 0,
      oldest_version: 0,
      updated_time: "2024-01-01T12:00:02.25Z",
      versions: {
        "1": { created_time: T0, deletion_time: "", destroyed: false },
        "2": { created_time: "2024-01-01T12:00:02.25Z", deletion_time: "", destroyed: false },
      },
    });
  });

  it("answers 404 for an unknown secret", async () => {
    const h = await startV2();
    const err = await h.fail("read", "metadata/nope");
    expect([err.status, err.errors]).toEqual([404, []]);
  });

  it("writes settings before any data exists, then they apply to writes", async () => {
    const h = await startV2();
    const first = await h.call("write", "metadata/app", {
      max_versions: "3",
      cas_required: "true",
      delete_version_after: "1h30m",
      custom_metadata: { owner: "team-a", n: 7 },
    });
    expect(first).toEqual({ ok: true, op: "create", response: undefined });
    const meta = await h.data("read", "metadata/app");
    expect(meta).toMatchObject({
      cas_required: true,
      current_version: 0,
      custom_metadata: { owner: "team-a", n: "7" },
      delete_version_after: "1h30m0s",
      max_versions: 3,
      oldest_version: 0,
      versions: {},
      created_time: T0,
      updated_time: T0,
    });
    const written = await h.data("write", "data/app", { data: { v: 1 }, options: { cas: 0 } });
    expect(written).toMatchObject({ custom_metadata: { owner: "team-a", n: "7" }, deletion_time: "2024-01-01T13:30:00.25Z" });
    expect((await h.call("write", "metadata/app", { max_versions: 4 })).op).toBe("update");
  });

  it("a write with no settings changes nothing and creates nothing", async () => {
    const h = await startV2();
    expect(await h.ok("write", "metadata/app", {})).toBeUndefined();
    expect((await h.fail("read", "metadata/app")).status).toBe(404);
  });

  it("a write replaces custom_metadata whole; settings not sent stay", async () => {
    const h = await startV2();
    await h.ok("write", "metadata/app", { max_versions: 5, custom_metadata: { a: "1", b: "2" } });
    await h.ok("write", "metadata/app", { custom_metadata: { c: "3" } });
    const meta = await h.data("read", "metadata/app");
    expect(meta.custom_metadata).toEqual({ c: "3" });
    expect(meta.max_versions).toBe(5);
  });

  it("warns when a key turns cas_required off while the mount requires it", async () => {
    const h = await startV2();
    await h.ok("write", "config", { cas_required: true });
    const resp = await h.ok("write", "metadata/app", { cas_required: false });
    expect(resp?.warnings).toEqual(['"cas_required" set to false, but is mandated by backend config. This value will be ignored.']);
  });

  it("refuses negative and malformed settings with a 400 naming the field", async () => {
    const h = await startV2();
    expect((await h.fail("write", "metadata/app", { max_versions: -1 })).errors).toEqual(["max_versions cannot be negative"]);
    expect((await h.fail("write", "metadata/app", { delete_version_after: "-5s" })).errors[0]).toContain("delete_version_after");
    const bad = await h.fail("write", "metadata/app", { delete_version_after: "soon" });
    expect(bad.status).toBe(400);
    expect(bad.errors[0]).toContain("delete_version_after");
    expect((await h.fail("write", "metadata/app", { cas_required: "maybe" })).status).toBe(400);
    expect((await h.fail("write", "metadata/app", { custom_metadata: ["a"] })).status).toBe(400);
  });

  describe("custom_metadata limits", () => {
    it("at most 64 keys", async () => {
      const h = await startV2();
      const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, "v"]));
      const err = await h.fail("write", "metadata/app", { custom_metadata: many });
      expect(err.errors).toEqual([
        "1 error occurred:\n\t* custom_metadata validation failed: payload must contain at most 64 keys, provided 65\n\n",
      ]);
      const enough = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, "v"]));
      await h.ok("write", "metadata/app", { custom_metadata: enough });
    });

    it("keys up to 128 bytes, values up to 512, neither empty, all printable; every problem reported", async () => {
      const h = await startV2();
      const err = await h.fail("write", "metadata/app", {
        custom_metadata: { ["k".repeat(129)]: "v", empty: "", long: "v".repeat(513), "tab\there": "x", ok: "bell\u0007" },
      });
      expect(err.status).toBe(400);
      const message = err.errors[0] ?? "";
      expect(message).toMatch(/^5 errors occurred:\n\t\* /);
      expect(message).toContain("is 129 but must be 0 < len(key) <= 128");
      expect(message).toContain('length of value for key "empty" is 0');
      expect(message).toContain('length of value for key "long" is 513 but must be 0 < len(value) <= 512');
      expect(message).toContain('key "tab\\there" contains unprintable characters');
      expect(message).toContain('value for key "ok" contains unprintable characters');
      await h.ok("write", "metadata/app", { custom_metadata: { ["k".repeat(128)]: "v".repeat(512), "ünïcødé key": "ok ✓" } });
    });

    it("refuses nested values", async () => {
      const h = await startV2();
      const err = await h.fail("write", "metadata/app", { custom_metadata: { a: { b: "c" } } });
      expect(err.errors[0]).toContain("custom_metadata validation failed");
    });
  });

  describe("patch", () => {
    it("changes only what it is given; null removes a custom_metadata key", async () => {
      const h = await startV2();
      await h.ok("write", "data/app", { data: { v: 1 } });
      await h.ok("write", "metadata/app", { max_versions: 5, cas_required: true, custom_metadata: { a: "1", b: "2" } });
      expect(await h.ok("patch", "metadata/app", { custom_metadata: { a: null, c: "3" }, delete_version_after: "10m" })).toBeUndefined();
      const meta = await h.data("read", "metadata/app");
      expect(meta).toMatchObject({
        max_versions: 5,
        cas_required: true,
        delete_version_after: "10m0s",
        custom_metadata: { b: "2", c: "3" },
        current_version: 1,
      });
      await h.ok("patch", "metadata/app", { cas_required: false, delete_version_after: 0 });
      expect(await h.data("read", "metadata/app")).toMatchObject({ cas_required: false, delete_version_after: "0s" });
    });

    it("answers 404 for an unknown secret and validates like a write", async () => {
      const h = await startV2();
      expect((await h.fail("patch", "metadata/nope", { max_versions: 1 })).status).toBe(404);
      await h.ok("write", "metadata/app", { max_versions: 2 });
      expect((await h.fail("patch", "metadata/app", { custom_metadata: { "": "x" } })).status).toBe(400);
    });
  });

  it("delete removes every version and the metadata", async () => {
    const h = await startV2();
    for (let i = 0; i < 3; i++) await h.ok("write", "data/app", { data: { i } });
    await h.ok("write", "data/other", { data: { keep: true } });
    expect(await h.ok("delete", "metadata/app")).toBeUndefined();
    expect((await h.fail("read", "metadata/app")).status).toBe(404);
    expect((await h.fail("read", "data/app", { version: 1 })).status).toBe(404);
    expect(await h.data("list", "metadata/")).toEqual({ keys: ["other"] });
    // Only "other": its metadata and its one version remain in storage.
    const all = await allKeys(h);
    expect(all.filter((k) => k.includes("/meta/"))).toHaveLength(1);
    expect(all.filter((k) => k.includes("/versions/"))).toHaveLength(1);
    // A new write starts again at version 1.
    expect((await h.data("write", "data/app", { data: { again: 1 } })).version).toBe(1);
    expect(await h.ok("delete", "metadata/never-existed")).toBeUndefined();
  });

  describe("list", () => {
    it("lists keys and folders, from the root and below, with or without a trailing slash", async () => {
      const h = await startV2();
      for (const k of ["a", "dir/x", "dir/sub/y", "z"]) await h.ok("write", `data/${k}`, { data: { k } });
      expect(await h.data("list", "metadata/")).toEqual({ keys: ["a", "dir/", "z"] });
      expect(await h.data("list", "metadata")).toEqual({ keys: ["a", "dir/", "z"] });
      expect(await h.data("list", "metadata/dir/")).toEqual({ keys: ["sub/", "x"] });
      expect(await h.data("list", "metadata/dir")).toEqual({ keys: ["sub/", "x"] });
    });

    it("keeps listing secrets whose versions are all deleted or destroyed", async () => {
      const h = await startV2();
      await h.ok("write", "data/gone", { data: { a: 1 } });
      await h.ok("write", "destroy/gone", { versions: [1] });
      expect(await h.data("list", "metadata/")).toEqual({ keys: ["gone"] });
    });

    it("answers 404 for an empty listing", async () => {
      const h = await startV2();
      expect((await h.fail("list", "metadata/")).status).toBe(404);
      await h.ok("write", "data/a/b", { data: { v: 1 } });
      expect((await h.fail("list", "metadata/nothing/")).status).toBe(404);
    });
  });
});

async function allKeys(h: Harness): Promise<string[]> {
  const out: string[] = [];
  const walk = async (prefix: string): Promise<void> => {
    for (const child of await h.storage.list(prefix)) {
      if (child.endsWith("/")) await walk(prefix + child);
      else out.push(prefix + child);
    }
  };
  await walk("");
  return out;
}
