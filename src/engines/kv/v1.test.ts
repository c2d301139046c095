import { describe, expect, it } from "vitest";
import { createKvBackend } from "./index.js";
import { Harness, makeMount } from "./test-helpers.js";
import { v1RefreshIntervalSeconds } from "./v1.js";

const start = (options: Record<string, string> = { version: "1" }) => Harness.start(createKvBackend, makeMount("kv", options));

describe("KV v1", () => {
  it("stores the body as-is and reads it back, all JSON types kept", async () => {
    const h = await start();
    const body = { s: "x", n: 1.5, b: false, nil: null, list: [1, "two", { three: 3 }], obj: { deep: { er: true } } };
    const write = await h.call("write", "app/config", body);
    expect(write).toEqual({ ok: true, op: "create", response: undefined });
    expect(await h.data("read", "app/config")).toEqual(body);
  });

  it("reports the ttl field, else the mount's default TTL, as a lease duration without a lease", async () => {
    const h = await Harness.start(createKvBackend, makeMount("kv", { version: "1" }, 3600));
    await h.ok("write", "with-ttl", { password: "p", ttl: "30m" });
    await h.ok("write", "plain", { password: "p" });
    expect((await h.ok("read", "with-ttl"))?.secret).toEqual({ leaseId: "", leaseDurationSeconds: 1800, renewable: false });
    expect((await h.ok("read", "plain"))?.secret).toEqual({ leaseId: "", leaseDurationSeconds: 3600, renewable: false });
    // The ttl stays part of the data.
    expect(await h.data("read", "with-ttl")).toEqual({ password: "p", ttl: "30m" });
  });

  it("serves v1 for version 1, an empty version and no version at all", async () => {
    for (const options of [{ version: "1" }, { version: "" }, {}] as Array<Record<string, string>>) {
      const h = await start(options);
      await h.ok("write", "k", { a: "1" });
      expect(await h.data("read", "k")).toEqual({ a: "1" });
    }
  });

  it("overwrites on a second write, and the existence check makes it an update", async () => {
    const h = await start();
    await h.ok("write", "k", { a: "1", b: "2" });
    const second = await h.call("write", "k", { c: "3" });
    expect(second.op).toBe("update");
    expect(await h.data("read", "k")).toEqual({ c: "3" });
  });

  it("answers 404 with no errors for an absent key", async () => {
    const h = await start();
    const err = await h.fail("read", "nope");
    expect(err.status).toBe(404);
    expect(err.errors).toEqual([]);
  });

  it("refuses a write without data, and one to the mount root", async () => {
    const h = await start();
    const empty = await h.fail("write", "k", {});
    expect([empty.status, empty.errors]).toEqual([400, ["missing data fields"]]);
    const root = await h.fail("write", "", { a: "1" });
    expect([root.status, root.errors]).toEqual([400, ["missing path"]]);
  });

  it("accepts any body key without the unknown-parameter warning (writes stay 204)", async () => {
    const h = await start();
    const resp = await h.ok("write", "k", { anything: "goes", path: "not-the-path" });
    expect(resp).toBeUndefined();
    // The URL decides the key, never a body field named "path".
    expect(await h.data("read", "k")).toEqual({ anything: "goes", path: "not-the-path" });
    expect((await h.fail("read", "not-the-path")).status).toBe(404);
  });

  it("deletes, and a delete of an absent key is still a success", async () => {
    const h = await start();
    await h.ok("write", "k", { a: "1" });
    expect(await h.ok("delete", "k")).toBeUndefined();
    expect((await h.fail("read", "k")).status).toBe(404);
    expect(await h.ok("delete", "k")).toBeUndefined();
    expect(await h.ok("delete", "")).toBeUndefined();
  });

  it("lists immediate children with folders ending in /, with or without the trailing slash", async () => {
    const h = await start();
    for (const k of ["a", "b/c", "b/d/e", "z"]) await h.ok("write", k, { v: k });
    expect(await h.data("list", "")).toEqual({ keys: ["a", "b/", "z"] });
    expect(await h.data("list", "/")).toEqual({ keys: ["a", "b/", "z"] });
    expect(await h.data("list", "b/")).toEqual({ keys: ["c", "d/"] });
    expect(await h.data("list", "b")).toEqual({ keys: ["c", "d/"] });
  });

  it("answers 404 for an empty listing", async () => {
    const h = await start();
    expect((await h.fail("list", "")).status).toBe(404);
    await h.ok("write", "a/b", { v: 1 });
    expect((await h.fail("list", "nothing/")).status).toBe(404);
    await h.ok("delete", "a/b");
    expect((await h.fail("list", "a/")).status).toBe(404);
  });

  it("reads of the root are a plain 404", async () => {
    const h = await start();
    expect((await h.fail("read", "")).status).toBe(404);
  });

  it("has no patch (405)", async () => {
    const h = await start();
    await h.ok("write", "k", { a: "1" });
    expect((await h.fail("patch", "k", { a: "2" })).status).toBe(405);
  });
});

describe("v1RefreshIntervalSeconds", () => {
  const mount = makeMount("kv", { version: "1" }, 3600);
  it("takes the secret's ttl as a duration", () => {
    expect(v1RefreshIntervalSeconds({ ttl: "1h30m" }, mount)).toBe(5400);
    expect(v1RefreshIntervalSeconds({ ttl: 90 }, mount)).toBe(90);
    expect(v1RefreshIntervalSeconds({ ttl: "2d" }, mount)).toBe(172800);
  });
  it("falls back to the legacy lease field, then to the mount's default", () => {
    expect(v1RefreshIntervalSeconds({ lease: "10m" }, mount)).toBe(600);
    expect(v1RefreshIntervalSeconds({ a: "b" }, mount)).toBe(3600);
    expect(v1RefreshIntervalSeconds({ ttl: "soon" }, mount)).toBe(3600);
    expect(v1RefreshIntervalSeconds({ ttl: "soon", lease: "10m" }, mount)).toBe(3600);
  });
});
