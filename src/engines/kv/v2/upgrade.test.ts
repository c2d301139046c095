import { describe, expect, it } from "vitest";
import { createKvBackend } from "../index.js";
import { Harness, makeMount } from "../test-helpers.js";

describe("KV v1 mount tuned to version 2", () => {
  it("turns every v1 entry into version 1 of the same key and removes the v1 copy", async () => {
    const v1 = await Harness.start(createKvBackend, makeMount("secret", { version: "1" }));
    await v1.ok("write", "app", { user: "u", n: 2 });
    await v1.ok("write", "dir/nested/deep", { a: true });
    const v2 = await Harness.start(createKvBackend, makeMount("secret", { version: "2" }), v1.storage);
    expect(await v2.data("read", "data/app")).toMatchObject({ data: { user: "u", n: 2 }, metadata: { version: 1 } });
    expect((await v2.data("read", "data/dir/nested/deep")).data).toEqual({ a: true });
    expect(await v2.data("list", "metadata/")).toEqual({ keys: ["app", "dir/"] });
    expect(await v2.data("read", "metadata/app")).toMatchObject({ current_version: 1, oldest_version: 1 });
    // Nothing of v1 is left at the mount's root: only the v2 folder.
    expect(await v1.storage.list("")).toEqual([`${v2.mount.uuid}/`]);
    // Later versions number on from 1.
    expect((await v2.data("write", "data/app", { data: { user: "u2" } })).version).toBe(2);
  });

  it("runs once: a restart does not touch data written since", async () => {
    const v2 = await Harness.start(createKvBackend, makeMount("secret", { version: "2" }));
    await v2.ok("write", "data/app", { data: { v: 1 } });
    const again = await Harness.start(createKvBackend, v2.mount, v2.storage);
    expect((await again.data("read", "metadata/app")).current_version).toBe(1);
    expect((await again.data("read", "data/app")).data).toEqual({ v: 1 });
  });
});
