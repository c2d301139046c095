import { describe, expect, it } from "vitest";
import { createKvBackend } from "../index.js";
import { Harness, makeMount } from "../test-helpers.js";

const startV2 = () => Harness.start(createKvBackend, makeMount("secret", { version: "2" }));

const GENERIC = (verb: string) =>
  "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. " +
  `If using the Vault CLI, use 'vault kv ${verb}' for this operation.`;
const ROOT = "Non-listing operations on the root of a K/V v2 mount are not supported.";

describe("KV v2 paths it does not serve", () => {
  it("a v1-style path answers 404 with Vault's warning naming the kv subcommand", async () => {
    const h = await startV2();
    const cases: Array<[Parameters<Harness["call"]>[0], string]> = [
      ["read", "get"],
      ["write", "put"],
      ["patch", "patch"],
      ["delete", "delete"],
      ["list", "list"],
    ];
    for (const [op, verb] of cases) {
      const resp = await h.ok(op, "foo/bar", { a: 1 });
      expect(resp?.status).toBe(404);
      expect(resp?.data).toBeNull();
      expect(resp?.warnings?.[0]).toBe(GENERIC(verb));
    }
    expect((await h.ok("list", ""))?.warnings).toEqual([GENERIC("list")]);
  });

  it("writes to a v1-style path store nothing", async () => {
    const h = await startV2();
    await h.ok("write", "foo", { a: 1 });
    expect((await h.fail("list", "metadata/")).status).toBe(404);
  });

  it("non-listing operations on a group root get the root warning", async () => {
    const h = await startV2();
    for (const root of ["data", "metadata", "delete", "undelete", "destroy"]) {
      const resp = await h.ok("read", root);
      expect([resp?.status, resp?.warnings]).toEqual([404, [ROOT]]);
    }
    expect((await h.ok("write", "data", { data: { a: 1 } }))?.warnings).toEqual([ROOT]);
    // Listing a bare group is not a "non-listing operation"; subkeys is not among Vault's roots.
    expect((await h.ok("list", "data"))?.warnings).toEqual([GENERIC("list")]);
    expect((await h.ok("read", "subkeys"))?.warnings).toEqual([GENERIC("get")]);
  });

  it("data/ with a trailing slash, or listed, points at kv list", async () => {
    const h = await startV2();
    expect((await h.ok("read", "data/dir/"))?.warnings).toEqual([GENERIC("get")]);
    expect((await h.ok("write", "data/dir/", { data: { a: 1 } }))?.warnings).toEqual([GENERIC("put")]);
    expect((await h.ok("list", "data/dir/"))?.warnings).toEqual([GENERIC("list")]);
    expect((await h.ok("read", "data/"))?.status).toBe(404);
  });

  it("metadata/ itself: read 404, write missing path, delete quietly", async () => {
    const h = await startV2();
    expect((await h.fail("read", "metadata/")).status).toBe(404);
    expect((await h.fail("write", "metadata/", { max_versions: 1 })).errors).toEqual(["missing path"]);
    expect(await h.ok("delete", "metadata/")).toBeUndefined();
  });

  it("a body field named path never redirects a write", async () => {
    const h = await startV2();
    await h.ok("write", "data/real", { data: { a: 1 }, path: "other" });
    expect((await h.fail("read", "data/other")).status).toBe(404);
    expect((await h.data("read", "data/real")).data).toEqual({ a: 1 });
  });
});

describe("KV v2 subkeys/", () => {
  it("returns the structure with every value null", async () => {
    const h = await startV2();
    await h.ok("write", "data/app", { data: { a: "x", b: { c: 1, d: { e: [1] } }, empty: {}, list: [1, 2] } });
    expect(await h.data("read", "subkeys/app")).toEqual({
      subkeys: { a: null, b: { c: null, d: { e: null } }, empty: null, list: null },
      metadata: { created_time: "2024-01-01T12:00:00.25Z", custom_metadata: null, deletion_time: "", destroyed: false, version: 1 },
    });
  });

  it("stops at the requested depth and reads a given version", async () => {
    const h = await startV2();
    await h.ok("write", "data/app", { data: { a: { b: { c: 1 } } } });
    await h.ok("write", "data/app", { data: { z: 1 } });
    expect((await h.data("read", "subkeys/app", { depth: 1, version: 1 })).subkeys).toEqual({ a: null });
    expect((await h.data("read", "subkeys/app", { depth: "2", version: 1 })).subkeys).toEqual({ a: { b: null } });
    expect((await h.data("read", "subkeys/app")).subkeys).toEqual({ z: null });
    expect((await h.fail("read", "subkeys/app", { depth: -1 })).status).toBe(400);
  });

  it("answers 404 for unknown keys and 404 with metadata for deleted versions", async () => {
    const h = await startV2();
    expect((await h.fail("read", "subkeys/nope")).data).toBeUndefined();
    await h.ok("write", "data/app", { data: { a: 1 } });
    await h.ok("delete", "data/app");
    const err = await h.fail("read", "subkeys/app");
    expect(err.status).toBe(404);
    expect(err.data).toMatchObject({ subkeys: null, metadata: { version: 1 } });
  });
});
