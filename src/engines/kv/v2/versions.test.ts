import { describe, expect, it } from "vitest";
import { createKvBackend } from "../index.js";
import { Harness, makeMount } from "../test-helpers.js";

const startV2 = () => Harness.start(createKvBackend, makeMount("secret", { version: "2" }));

type Versions = Record<string, { created_time: string; deletion_time: string; destroyed: boolean }>;
const versionsOf = async (h: Harness, key: string): Promise<Versions> => (await h.data("read", `metadata/${key}`)).versions as Versions;

async function withVersions(count: number): Promise<Harness> {
  const h = await startV2();
  for (let i = 1; i <= count; i++) {
    await h.ok("write", "data/app", { data: { v: i } });
    h.nowMs += 1000;
  }
  return h;
}

describe("KV v2 delete/ and undelete/", () => {
  it("soft-deletes the given versions, which read as 404 until undeleted", async () => {
    const h = await withVersions(3);
    expect(await h.ok("write", "delete/app", { versions: [1, 3] })).toBeUndefined();
    expect((await h.fail("read", "data/app")).data).toMatchObject({ metadata: { version: 3 } });
    expect((await h.fail("read", "data/app", { version: 1 })).status).toBe(404);
    expect((await h.data("read", "data/app", { version: 2 })).data).toEqual({ v: 2 });
    expect(await h.ok("write", "undelete/app", { versions: [3] })).toBeUndefined();
    expect(await h.data("read", "data/app")).toMatchObject({ data: { v: 3 }, metadata: { deletion_time: "" } });
    expect((await h.fail("read", "data/app", { version: 1 })).status).toBe(404);
  });

  it("takes versions as strings (the CLI) or a comma-separated string", async () => {
    const h = await withVersions(3);
    await h.ok("write", "delete/app", { versions: ["1", "2"] });
    await h.ok("write", "delete/app", { versions: "3" });
    const v = await versionsOf(h, "app");
    expect([v["1"]?.deletion_time, v["2"]?.deletion_time, v["3"]?.deletion_time].every((t) => t !== "")).toBe(true);
    await h.ok("write", "undelete/app", { versions: "1, 3" });
    const after = await versionsOf(h, "app");
    expect([after["1"]?.deletion_time, after["2"]?.deletion_time, after["3"]?.deletion_time]).toEqual(["", expect.any(String), ""]);
    expect(after["2"]?.deletion_time).not.toBe("");
  });

  it("refuses missing or non-integer versions with a 400", async () => {
    const h = await withVersions(1);
    expect((await h.fail("write", "delete/app", {})).errors).toEqual(["No version number provided"]);
    expect((await h.fail("write", "undelete/app", { versions: [] })).errors).toEqual(["No version number provided"]);
    const bad = await h.fail("write", "delete/app", { versions: ["one"] });
    expect(bad.status).toBe(400);
    expect(bad.errors).toEqual(['error converting input for field "versions": expected a list of integers']);
    expect((await h.fail("write", "delete/app", { versions: [1.5] })).status).toBe(400);
    expect((await h.fail("write", "delete/app", { versions: { a: 1 } })).status).toBe(400);
  });

  it("ignores unknown versions and unknown keys", async () => {
    const h = await withVersions(1);
    expect(await h.ok("write", "delete/app", { versions: [9, -1, 0] })).toBeUndefined();
    expect((await h.data("read", "data/app")).data).toEqual({ v: 1 });
    expect(await h.ok("write", "delete/nope", { versions: [1] })).toBeUndefined();
    expect(await h.ok("write", "undelete/nope", { versions: [1] })).toBeUndefined();
    expect((await h.fail("read", "metadata/nope")).status).toBe(404);
  });

  it("keeps the first deletion time when a version is deleted again", async () => {
    const h = await withVersions(1);
    await h.ok("write", "delete/app", { versions: [1] });
    const first = (await versionsOf(h, "app"))["1"]?.deletion_time;
    h.nowMs += 60_000;
    await h.ok("write", "delete/app", { versions: [1] });
    expect((await versionsOf(h, "app"))["1"]?.deletion_time).toBe(first);
  });

  it("are writes only (405 on read)", async () => {
    const h = await withVersions(1);
    expect((await h.fail("read", "delete/app")).status).toBe(405);
    expect((await h.fail("read", "undelete/app")).status).toBe(405);
    expect((await h.fail("read", "destroy/app")).status).toBe(405);
  });
});

describe("KV v2 destroy/", () => {
  it("removes the data for good and marks the versions destroyed; undelete cannot bring them back", async () => {
    const h = await withVersions(2);
    await h.ok("write", "delete/app", { versions: [1] });
    expect(await h.ok("write", "destroy/app", { versions: ["1", "2"] })).toBeUndefined();
    const v = await versionsOf(h, "app");
    expect(v["1"]).toMatchObject({ destroyed: true });
    expect(v["2"]).toMatchObject({ destroyed: true, deletion_time: "" });
    await h.ok("write", "undelete/app", { versions: [1, 2] });
    expect((await h.fail("read", "data/app", { version: 2 })).data).toMatchObject({ metadata: { destroyed: true } });
    const stored = await h.storage.list(`${h.mount.uuid}/versions/`);
    expect(stored).toHaveLength(0);
  });

  it("needs versions", async () => {
    const h = await withVersions(1);
    expect((await h.fail("write", "destroy/app", {})).errors).toEqual(["no version number provided"]);
  });

  it("a new write after destroying every version gets the next number", async () => {
    const h = await withVersions(1);
    await h.ok("write", "destroy/app", { versions: [1] });
    expect((await h.data("write", "data/app", { data: { v: 2 } })).version).toBe(2);
  });
});

describe("KV v2 max_versions", () => {
  it("keeps 10 versions by default and drops the oldest from storage", async () => {
    const h = await withVersions(12);
    const meta = await h.data("read", "metadata/app");
    expect(meta.current_version).toBe(12);
    expect(meta.oldest_version).toBe(3);
    expect(Object.keys(meta.versions as object)).toEqual(["3", "4", "5", "6", "7", "8", "9", "10", "11", "12"]);
    expect((await h.fail("read", "data/app", { version: 2 })).data).toBeUndefined();
    const folders = await h.storage.list(`${h.mount.uuid}/versions/`);
    expect(folders).toHaveLength(1);
    expect(await h.storage.list(`${h.mount.uuid}/versions/${folders[0]}`)).toHaveLength(10);
  });

  it("oldest_version stays 0 until the first trim, as in Vault", async () => {
    const h = await withVersions(9);
    expect((await h.data("read", "metadata/app")).oldest_version).toBe(0);
    await h.ok("write", "data/app", { data: { v: 10 } });
    expect((await h.data("read", "metadata/app")).oldest_version).toBe(1);
  });

  it("a key's max_versions applies, and lowering it trims several at the next write", async () => {
    const h = await withVersions(6);
    await h.ok("write", "metadata/app", { max_versions: 2 });
    await h.ok("write", "data/app", { data: { v: 7 } });
    const meta = await h.data("read", "metadata/app");
    expect(Object.keys(meta.versions as object)).toEqual(["6", "7"]);
    expect(meta.oldest_version).toBe(6);
  });

  it("the larger of the mount's and the key's limits wins", async () => {
    const h = await startV2();
    await h.ok("write", "config", { max_versions: 4 });
    await h.ok("write", "metadata/low", { max_versions: 2 });
    await h.ok("write", "metadata/high", { max_versions: 6 });
    for (let i = 0; i < 8; i++) {
      await h.ok("write", "data/low", { data: { i } });
      await h.ok("write", "data/high", { data: { i } });
      await h.ok("write", "data/plain", { data: { i } });
    }
    expect(Object.keys((await h.data("read", "metadata/low")).versions as object)).toHaveLength(4);
    expect(Object.keys((await h.data("read", "metadata/high")).versions as object)).toHaveLength(6);
    expect(Object.keys((await h.data("read", "metadata/plain")).versions as object)).toHaveLength(4);
  });
});

describe("KV v2 delete_version_after", () => {
  it("a version reads as deleted once its time has passed (moving clock)", async () => {
    const h = await startV2();
    await h.ok("write", "metadata/app", { delete_version_after: "30s" });
    const written = await h.data("write", "data/app", { data: { v: 1 } });
    expect(written.deletion_time).toBe("2024-01-01T12:00:30.25Z");
    h.nowMs += 29_999;
    expect((await h.data("read", "data/app")).data).toEqual({ v: 1 });
    h.nowMs += 1;
    const err = await h.fail("read", "data/app");
    expect(err.status).toBe(404);
    expect(err.data).toMatchObject({ data: null, metadata: { deletion_time: "2024-01-01T12:00:30.25Z" } });
  });

  it("takes the smaller of the mount's and the key's settings", async () => {
    const h = await startV2();
    await h.ok("write", "config", { delete_version_after: "1h" });
    await h.ok("write", "metadata/short", { delete_version_after: "10m" });
    await h.ok("write", "metadata/long", { delete_version_after: "2h" });
    expect((await h.data("write", "data/short", { data: { a: 1 } })).deletion_time).toBe("2024-01-01T12:10:00.25Z");
    expect((await h.data("write", "data/long", { data: { a: 1 } })).deletion_time).toBe("2024-01-01T13:00:00.25Z");
    expect((await h.data("write", "data/plain", { data: { a: 1 } })).deletion_time).toBe("2024-01-01T13:00:00.25Z");
  });

  it("a negative mount setting disables it everywhere", async () => {
    const h = await startV2();
    await h.ok("write", "metadata/app", { delete_version_after: "10m" });
    await h.ok("write", "config", { delete_version_after: "-1s" });
    expect((await h.data("read", "config")).delete_version_after).toBe("-1s");
    expect((await h.data("write", "data/app", { data: { a: 1 } })).deletion_time).toBe("");
  });

  it("deleting a version scheduled for later deletes it now", async () => {
    const h = await startV2();
    await h.ok("write", "metadata/app", { delete_version_after: "1h" });
    await h.ok("write", "data/app", { data: { a: 1 } });
    h.nowMs += 1000;
    await h.ok("delete", "data/app");
    expect((await h.fail("read", "data/app")).data).toMatchObject({ metadata: { deletion_time: "2024-01-01T12:00:01.25Z" } });
  });

  it("undelete schedules the deletion again from the time of the undelete", async () => {
    const h = await startV2();
    await h.ok("write", "metadata/app", { delete_version_after: "1m" });
    await h.ok("write", "data/app", { data: { a: 1 } });
    h.nowMs += 120_000;
    expect((await h.fail("read", "data/app")).status).toBe(404);
    await h.ok("write", "undelete/app", { versions: [1] });
    const read = await h.data("read", "data/app");
    expect(read).toMatchObject({ data: { a: 1 }, metadata: { deletion_time: "2024-01-01T12:03:00.25Z" } });
    h.nowMs += 60_000;
    expect((await h.fail("read", "data/app")).status).toBe(404);
  });
});

describe("KV v2 config", () => {
  it("reads Vault's defaults on a new mount", async () => {
    const h = await startV2();
    expect(await h.data("read", "config")).toEqual({ cas_required: false, delete_version_after: "0s", max_versions: 0 });
  });

  it("writes each setting independently and keeps the others", async () => {
    const h = await startV2();
    expect(await h.ok("write", "config", { max_versions: "7" })).toBeUndefined();
    await h.ok("write", "config", { cas_required: true });
    await h.ok("write", "config", { delete_version_after: 3600 });
    expect(await h.data("read", "config")).toEqual({ cas_required: true, delete_version_after: "1h0m0s", max_versions: 7 });
    await h.ok("write", "config", { delete_version_after: "0s" });
    expect((await h.data("read", "config")).delete_version_after).toBe("0s");
    expect(await h.ok("write", "config", {})).toBeUndefined();
    expect((await h.data("read", "config")).max_versions).toBe(7);
  });

  it("survives a restart of the backend", async () => {
    const h = await startV2();
    await h.ok("write", "config", { max_versions: 3, cas_required: true });
    const again = await Harness.start(createKvBackend, h.mount, h.storage);
    expect(await again.data("read", "config")).toMatchObject({ max_versions: 3, cas_required: true });
  });

  it("refuses bad values", async () => {
    const h = await startV2();
    expect((await h.fail("write", "config", { max_versions: -2 })).errors).toEqual(["max_versions cannot be negative"]);
    expect((await h.fail("write", "config", { max_versions: "ten" })).status).toBe(400);
    expect((await h.fail("write", "config", { delete_version_after: "forever" })).status).toBe(400);
    expect((await h.fail("delete", "config")).status).toBe(405);
  });
});
