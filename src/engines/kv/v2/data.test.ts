import { describe, expect, it } from "vitest";
import { createKvBackend } from "../index.js";
import { InmemStorage } from "../../../storage/inmem.js";
import { Harness, makeMount } from "../test-helpers.js";

const startV2 = () => Harness.start(createKvBackend, makeMount("secret", { version: "2" }));
const T0 = "2024-01-01T12:00:00.25Z";

describe("KV v2 data/", () => {
  it("writes version 1 and answers with its metadata", async () => {
    const h = await startV2();
    const out = await h.call("write", "data/app", { data: { user: "u", n: 1 }, options: {} });
    expect(out).toEqual({
      ok: true,
      op: "create",
      response: {
        data: { created_time: T0, custom_metadata: null, deletion_time: "", destroyed: false, version: 1 },
      },
    });
  });

  it("reads the latest version with data and metadata", async () => {
    const h = await startV2();
    await h.ok("write", "data/app", { data: { user: "u1" } });
    h.nowMs += 1000;
    await h.ok("write", "data/app", { data: { user: "u2", nested: { a: [1, 2] } } });
    expect(await h.data("read", "data/app")).toEqual({
      data: { user: "u2", nested: { a: [1, 2] } },
      metadata: { created_time: "2024-01-01T12:00:01.25Z", custom_metadata: null, deletion_time: "", destroyed: false, version: 2 },
    });
  });

  it("reads a given version, numbers arriving as strings from query parameters too", async () => {
    const h = await startV2();
    await h.ok("write", "data/app", { data: { v: 1 } });
    await h.ok("write", "data/app", { data: { v: 2 } });
    expect((await h.data("read", "data/app", { version: 1 })).data).toEqual({ v: 1 });
    expect((await h.data("read", "data/app", { version: "2" })).data).toEqual({ v: 2 });
    expect((await h.data("read", "data/app", { version: 0 })).data).toEqual({ v: 2 });
  });

  it("answers a plain 404 for an unknown key or version", async () => {
    const h = await startV2();
    const missing = await h.fail("read", "data/nope");
    expect([missing.status, missing.errors, missing.data]).toEqual([404, [], undefined]);
    await h.ok("write", "data/app", { data: { v: 1 } });
    const noVersion = await h.fail("read", "data/app", { version: 7 });
    expect([noVersion.status, noVersion.data]).toEqual([404, undefined]);
  });

  it("refuses a bad version parameter", async () => {
    const h = await startV2();
    const err = await h.fail("read", "data/app", { version: "latest" });
    expect(err.status).toBe(400);
    expect(err.errors[0]).toContain('"version"');
  });

  it("the existence check makes the first write a create and later ones updates", async () => {
    const h = await startV2();
    expect((await h.call("write", "data/app", { data: { v: 1 } })).op).toBe("create");
    expect((await h.call("write", "data/app", { data: { v: 2 } })).op).toBe("update");
  });

  it("refuses a write without data, or with data that is not an object", async () => {
    const h = await startV2();
    const none = await h.fail("write", "data/app", { options: {} });
    expect([none.status, none.errors]).toEqual([400, ["no data provided"]]);
    const list = await h.fail("write", "data/app", { data: [1, 2] });
    expect(list.status).toBe(400);
    expect(list.errors[0]).toContain('"data"');
    expect((await h.fail("read", "data/app")).status).toBe(404);
  });

  it("accepts an empty data object as a version", async () => {
    const h = await startV2();
    await h.ok("write", "data/app", { data: {} });
    expect((await h.data("read", "data/app")).data).toEqual({});
  });

  it("warns about unknown top-level parameters, as Vault does", async () => {
    const h = await startV2();
    const resp = await h.ok("write", "data/app", { data: { a: 1 }, extra: true });
    expect(resp?.warnings).toEqual(["Endpoint ignored these unrecognized parameters: [extra]"]);
  });

  describe("check-and-set", () => {
    it("cas 0 creates only when the key does not exist (hashi-vault-js sends it always)", async () => {
      const h = await startV2();
      await h.ok("write", "data/app", { data: { v: 1 }, options: { cas: 0 } });
      const again = await h.fail("write", "data/app", { data: { v: 2 }, options: { cas: 0 } });
      expect([again.status, again.errors]).toEqual([400, ["check-and-set parameter did not match the current version"]]);
    });

    it("cas N writes only over version N, as a number or a string", async () => {
      const h = await startV2();
      await h.ok("write", "data/app", { data: { v: 1 } });
      await h.ok("write", "data/app", { data: { v: 2 } });
      expect((await h.fail("write", "data/app", { data: { v: 3 }, options: { cas: 1 } })).status).toBe(400);
      expect((await h.data("write", "data/app", { data: { v: 3 }, options: { cas: "2" } })).version).toBe(3);
      expect((await h.data("read", "data/app")).data).toEqual({ v: 3 });
    });

    it("refuses a cas that is not a number", async () => {
      const h = await startV2();
      const err = await h.fail("write", "data/app", { data: { v: 1 }, options: { cas: "x" } });
      expect([err.status, err.errors]).toEqual([400, ["error parsing check-and-set parameter"]]);
    });

    it("a mount that requires cas refuses writes without it", async () => {
      const h = await startV2();
      await h.ok("write", "config", { cas_required: true });
      const err = await h.fail("write", "data/app", { data: { v: 1 }, options: {} });
      expect([err.status, err.errors]).toEqual([400, ["check-and-set parameter required for this call"]]);
      await h.ok("write", "data/app", { data: { v: 1 }, options: { cas: 0 } });
    });

    it("a key that requires cas refuses writes without it, others do not", async () => {
      const h = await startV2();
      await h.ok("write", "metadata/locked", { cas_required: true });
      expect((await h.fail("write", "data/locked", { data: { v: 1 } })).errors).toEqual([
        "check-and-set parameter required for this call",
      ]);
      // The metadata exists with no version yet, so the current version is 0.
      await h.ok("write", "data/locked", { data: { v: 1 }, options: { cas: 0 } });
      await h.ok("write", "data/free", { data: { v: 1 } });
    });
  });

  describe("deleted and destroyed versions", () => {
    it("a deleted latest version reads 404 carrying the metadata (Vault's full body)", async () => {
      const h = await startV2();
      await h.ok("write", "data/app", { data: { v: 1 } });
      h.nowMs += 5000;
      expect(await h.ok("delete", "data/app")).toBeUndefined();
      const err = await h.fail("read", "data/app");
      expect(err.status).toBe(404);
      expect(err.errors).toEqual([]);
      expect(err.data).toEqual({
        data: null,
        metadata: {
          created_time: T0,
          custom_metadata: null,
          deletion_time: "2024-01-01T12:00:05.25Z",
          destroyed: false,
          version: 1,
        },
      });
    });

    it("deleting data/ removes only the latest version, once", async () => {
      const h = await startV2();
      await h.ok("write", "data/app", { data: { v: 1 } });
      await h.ok("write", "data/app", { data: { v: 2 } });
      await h.ok("delete", "data/app");
      h.nowMs += 1000;
      await h.ok("delete", "data/app"); // already deleted: the deletion time stays
      expect((await h.data("read", "data/app", { version: 1 })).data).toEqual({ v: 1 });
      const meta = await h.data("read", "metadata/app");
      expect((meta.versions as Record<string, { deletion_time: string }>)["2"]?.deletion_time).toBe(T0);
    });

    it("deleting an absent key succeeds quietly", async () => {
      const h = await startV2();
      expect(await h.ok("delete", "data/nope")).toBeUndefined();
    });

    it("a destroyed version reads 404 with destroyed: true", async () => {
      const h = await startV2();
      await h.ok("write", "data/app", { data: { v: 1 } });
      await h.ok("write", "destroy/app", { versions: [1] });
      const err = await h.fail("read", "data/app");
      expect(err.status).toBe(404);
      expect(err.data).toMatchObject({ data: null, metadata: { destroyed: true, version: 1, deletion_time: "" } });
    });
  });

  describe("patch", () => {
    it("merges into the latest version as a JSON merge patch and makes a new version", async () => {
      const h = await startV2();
      await h.ok("write", "data/app", { data: { keep: "k", change: "old", drop: "d", nested: { a: 1, b: 2 } } });
      h.nowMs += 1000;
      const resp = await h.data("patch", "data/app", { data: { change: "new", drop: null, nested: { b: null, c: 3 }, added: [1] } });
      expect(resp).toEqual({
        created_time: "2024-01-01T12:00:01.25Z",
        custom_metadata: null,
        deletion_time: "",
        destroyed: false,
        version: 2,
      });
      expect((await h.data("read", "data/app")).data).toEqual({ keep: "k", change: "new", nested: { a: 1, c: 3 }, added: [1] });
      expect((await h.data("read", "data/app", { version: 1 })).data).toMatchObject({ change: "old", drop: "d" });
    });

    it("keeps a key named __proto__ as a plain key", async () => {
      const h = await startV2();
      await h.ok("write", "data/app", { data: { a: 1 } });
      await h.ok("patch", "data/app", JSON.parse('{"data": {"__proto__": {"polluted": true}}}') as Record<string, unknown>);
      const data = (await h.data("read", "data/app")).data as Record<string, unknown>;
      expect(Object.keys(data)).toEqual(["a", "__proto__"]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it("answers 404 when there is nothing to patch", async () => {
      const h = await startV2();
      expect((await h.fail("patch", "data/nope", { data: { a: 1 } })).status).toBe(404);
      await h.ok("write", "metadata/empty", { max_versions: 3 });
      expect((await h.fail("patch", "data/empty", { data: { a: 1 } })).status).toBe(404);
    });

    it("answers 404 with the version block when the latest version is deleted", async () => {
      const h = await startV2();
      await h.ok("write", "data/app", { data: { a: 1 } });
      await h.ok("delete", "data/app");
      const err = await h.fail("patch", "data/app", { data: { a: 2 } });
      expect(err.status).toBe(404);
      expect(err.data).toEqual({ created_time: T0, custom_metadata: null, deletion_time: T0, destroyed: false, version: 1 });
    });

    it("requires data and honours cas", async () => {
      const h = await startV2();
      await h.ok("write", "data/app", { data: { a: 1 } });
      expect((await h.fail("patch", "data/app", {})).errors).toEqual(["no data provided"]);
      expect((await h.fail("patch", "data/app", { data: { a: 2 }, options: { cas: 0 } })).errors).toEqual([
        "check-and-set parameter did not match the current version",
      ]);
      await h.ok("patch", "data/app", { data: { a: 2 }, options: { cas: 1 } });
      await h.ok("write", "config", { cas_required: true });
      expect((await h.fail("patch", "data/app", { data: { a: 3 } })).errors).toEqual(["check-and-set parameter required for this call"]);
    });
  });

  it("serialises concurrent writes to one key: no version is lost", async () => {
    const h = await startV2();
    const writes = Array.from({ length: 25 }, (_, i) => h.data("write", "data/busy", { data: { i } }));
    const versions = (await Promise.all(writes)).map((d) => d.version as number).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    const meta = await h.data("read", "metadata/busy");
    expect(meta.current_version).toBe(25);
    expect(Object.keys(meta.versions as object)).toHaveLength(10);
  });

  it("concurrent check-and-set writes over the same version: exactly one wins", async () => {
    const h = await startV2();
    await h.ok("write", "data/race", { data: { v: 0 } });
    const outcomes = await Promise.all(Array.from({ length: 5 }, (_, i) => h.call("write", "data/race", { data: { i }, options: { cas: 1 } })));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
  });

  it("a read racing a destroy answers from settled state", async () => {
    // The destroy commits between the read's metadata get and its version get.
    let hook: (() => Promise<void>) | undefined;
    class RacingStorage extends InmemStorage {
      override async get(key: string): Promise<Buffer | undefined> {
        if (key.includes("/versions/") && hook) {
          const run = hook;
          hook = undefined;
          await run();
        }
        return super.get(key);
      }
    }
    const h = await Harness.start(createKvBackend, makeMount("secret", { version: "2" }), new RacingStorage());
    await h.ok("write", "data/app", { data: { v: 1 } });
    hook = async () => {
      await h.ok("write", "destroy/app", { versions: [1] });
    };
    const err = await h.fail("read", "data/app");
    expect(hook).toBeUndefined();
    expect(err.status).toBe(404);
    expect(err.data).toMatchObject({ data: null, metadata: { destroyed: true, version: 1 } });
  });
});
