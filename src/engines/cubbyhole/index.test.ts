import { describe, expect, it } from "vitest";
import { Harness, makeCaller, makeMount } from "../kv/test-helpers.js";
import { createCubbyholeBackend, destroyCubbyhole } from "./index.js";

const alice = makeCaller("hash-alice");
const bob = makeCaller("hash-bob");

async function start(): Promise<Harness> {
  const h = await Harness.start(createCubbyholeBackend, makeMount("cubbyhole"));
  h.caller = alice;
  return h;
}

describe("cubbyhole", () => {
  it("reads, writes, lists and deletes like KV v1 for its own token", async () => {
    const h = await start();
    expect(await h.call("write", "notes/a", { text: "hi", n: 1, list: [true] })).toEqual({ ok: true, op: "create", response: undefined });
    expect((await h.call("write", "notes/a", { text: "again" })).op).toBe("update");
    await h.ok("write", "top", { x: "1" });
    expect(await h.data("read", "notes/a")).toEqual({ text: "again" });
    expect(await h.data("list", "")).toEqual({ keys: ["notes/", "top"] });
    expect(await h.data("list", "notes")).toEqual({ keys: ["a"] });
    expect(await h.ok("delete", "notes/a")).toBeUndefined();
    expect((await h.fail("read", "notes/a")).status).toBe(404);
    expect((await h.fail("list", "notes/")).status).toBe(404);
  });

  it("keeps each token's entries out of every other token's sight", async () => {
    const h = await start();
    await h.ok("write", "shared-name", { owner: "alice" });
    expect((await h.fail("read", "shared-name", {}, bob)).status).toBe(404);
    expect((await h.fail("list", "", {}, bob)).status).toBe(404);
    expect((await h.call("write", "shared-name", { owner: "bob" }, bob)).op).toBe("create");
    expect(await h.data("read", "shared-name", {}, bob)).toEqual({ owner: "bob" });
    expect(await h.data("read", "shared-name")).toEqual({ owner: "alice" });
    await h.ok("delete", "shared-name", {}, bob);
    expect(await h.data("read", "shared-name")).toEqual({ owner: "alice" });
  });

  it("stores entries under the token's hash, never the token itself", async () => {
    const h = await start();
    await h.ok("write", "k", { v: "1" });
    expect(await h.storage.list("")).toEqual(["hash-alice/"]);
  });

  it("refuses empty writes, the root path and a caller without a token", async () => {
    const h = await start();
    expect((await h.fail("write", "k", {})).errors).toEqual(["missing data fields"]);
    expect((await h.fail("write", "", { a: 1 })).errors).toEqual(["missing path"]);
    expect((await h.fail("read", "")).errors).toEqual(["missing path"]);
    expect((await h.fail("delete", "")).errors).toEqual(["missing path"]);
    const anonymous = makeCaller("");
    const err = await h.fail("read", "k", {}, anonymous);
    expect([err.status, err.errors]).toEqual([400, ["client token empty"]]);
  });

  it("destroyCubbyhole removes one token's entries and leaves the others", async () => {
    const h = await start();
    for (const k of ["a", "b/c", "b/d/e"]) await h.ok("write", k, { k });
    await h.ok("write", "mine", { k: "bob" }, bob);
    expect(await destroyCubbyhole(h.storage, alice.tokenHash)).toBe(3);
    expect((await h.fail("list", "")).status).toBe(404);
    expect(await h.data("read", "mine", {}, bob)).toEqual({ k: "bob" });
    expect(await destroyCubbyhole(h.storage, alice.tokenHash)).toBe(0);
  });

  it("destroyCubbyhole refuses a hash that would reach outside one token", async () => {
    const h = await start();
    await h.ok("write", "k", { v: "1" });
    await expect(destroyCubbyhole(h.storage, "")).rejects.toThrow();
    await expect(destroyCubbyhole(h.storage, "hash-alice/../")).rejects.toThrow();
    expect(await h.data("read", "k")).toEqual({ v: "1" });
  });
});

describe("cubbyhole reads", () => {
  it("carry no lease duration, whatever the data holds", async () => {
    const h = await start();
    await h.ok("write", "k", { ttl: "1h" });
    const resp = await h.ok("read", "k");
    expect(resp).toEqual({ data: { ttl: "1h" } });
  });
});
