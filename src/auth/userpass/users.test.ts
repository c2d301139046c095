import { beforeEach, describe, expect, it } from "vitest";
import { UserpassHarness } from "./test-harness.js";
import { readUser } from "./user-store.js";

let h: UserpassHarness;
beforeEach(async () => {
  h = await UserpassHarness.start();
});

describe("users/:username", () => {
  it("creates, reads without any trace of the password, lists and deletes", async () => {
    await h.ok("write", "users/bob", { password: "s3cret-pw", token_policies: "dev,ops", token_ttl: "1h" });
    const read = await h.ok("read", "users/bob");
    expect(read?.data).toEqual({
      token_bound_cidrs: [],
      token_explicit_max_ttl: 0,
      token_max_ttl: 0,
      token_no_default_policy: false,
      token_num_uses: 0,
      token_period: 0,
      token_policies: ["dev", "ops"],
      token_type: "default",
      token_ttl: 3600,
    });
    expect(JSON.stringify(read)).not.toMatch(/password|s3cret/);

    await h.ok("write", "users/alice", { password: "pw" });
    expect((await h.ok("list", "users/"))?.data).toEqual({ keys: ["alice", "bob"] });

    await h.ok("delete", "users/bob");
    expect((await h.fail("read", "users/bob")).status).toBe(404);
    expect((await h.ok("list", "users"))?.data).toEqual({ keys: ["alice"] });
  });

  it("stores only a salted hash", async () => {
    await h.ok("write", "users/bob", { password: "s3cret-pw" });
    const stored = await readUser(h.storage, "bob");
    expect(stored?.passwordHash).toMatchObject({ algorithm: "scrypt" });
    const raw = (await h.storage.get("user/bob"))?.toString("utf8") ?? "";
    expect(raw).not.toContain("s3cret-pw");
  });

  it("lowercases usernames everywhere", async () => {
    await h.ok("write", "users/Bob", { password: "pw", token_policies: "dev" });
    expect((await h.ok("list", "users/"))?.data).toEqual({ keys: ["bob"] });
    expect((await h.ok("read", "users/BOB"))?.data).toMatchObject({ token_policies: ["dev"] });
    await h.ok("write", "users/BOB/policies", { token_policies: "ops" });
    expect((await h.ok("read", "users/bob"))?.data).toMatchObject({ token_policies: ["ops"] });
    await h.ok("delete", "users/bOb");
    expect((await h.fail("list", "users/")).status).toBe(404);
  });

  it("a create needs a password; an update keeps the old one", async () => {
    const e = await h.fail("write", "users/bob", { token_policies: "dev" });
    expect([e.status, e.errors]).toEqual([400, ["missing password"]]);
    await h.ok("write", "users/bob", { password: "pw" });
    const before = (await readUser(h.storage, "bob"))?.passwordHash;
    await h.ok("write", "users/bob", { token_policies: "dev" });
    expect((await readUser(h.storage, "bob"))?.passwordHash).toEqual(before);
    expect((await h.fail("write", "users/bob", { password: "" })).errors).toEqual(["missing password"]);
  });

  it("an empty listing is Vault's 404", async () => {
    expect((await h.fail("list", "users/")).status).toBe(404);
  });

  it("names Vault's path pattern would not match are unsupported paths", async () => {
    expect((await h.fail("write", "users/bob@corp", { password: "pw" })).status).toBe(404);
    expect((await h.fail("write", "users/-bob", { password: "pw" })).status).toBe(404);
  });

  it("refuses bad token fields with Vault's messages and stores nothing", async () => {
    const e = await h.fail("write", "users/bob", { password: "pw", token_ttl: "2h", token_max_ttl: "1h" });
    expect([e.status, e.errors]).toEqual([400, ["'token_ttl' cannot be greater than 'token_max_ttl'"]]);
    expect(await readUser(h.storage, "bob")).toBeUndefined();
    expect((await h.fail("write", "users/bob", { password: "pw", token_type: "weird" })).errors).toEqual([`invalid 'token_type' value "weird"`]);
  });
});

describe("deprecated spellings", () => {
  it("policies, ttl, max_ttl and bound_cidrs fill the token_ fields and show on read", async () => {
    await h.ok("write", "users/bob", { password: "pw", policies: "Dev, ops,dev", ttl: 60, max_ttl: 120, bound_cidrs: "10.0.0.0/8" });
    expect((await h.ok("read", "users/bob"))?.data).toMatchObject({
      policies: ["dev", "ops"],
      token_policies: ["dev", "ops"],
      ttl: 60,
      token_ttl: 60,
      max_ttl: 120,
      token_max_ttl: 120,
      bound_cidrs: ["10.0.0.0/8"],
      token_bound_cidrs: ["10.0.0.0/8"],
    });
  });

  it("the token_ spelling wins and clears the deprecated one", async () => {
    await h.ok("write", "users/bob", { password: "pw", policies: "old", ttl: 60 });
    await h.ok("write", "users/bob", { token_policies: "new", token_ttl: 30 });
    const data = (await h.ok("read", "users/bob"))?.data ?? {};
    expect(data).toMatchObject({ token_policies: ["new"], token_ttl: 30 });
    expect(data).not.toHaveProperty("policies");
    expect(data).not.toHaveProperty("ttl");
  });
});

describe("users/:username/password and /policies", () => {
  it("reset the password of an existing user", async () => {
    await h.ok("write", "users/bob", { password: "old" });
    await h.ok("write", "users/bob/password", { password: "new" });
    expect((await h.fail("write", "login/bob", { password: "old" })).errors).toEqual(["invalid username or password"]);
    expect((await h.ok("write", "login/bob", { password: "new" }))?.authSpec).toBeDefined();
    expect((await h.fail("write", "users/bob/password", { password: "" })).errors).toEqual(["missing password"]);
  });

  it("replace the policies", async () => {
    await h.ok("write", "users/bob", { password: "pw", token_policies: "a" });
    await h.ok("write", "users/bob/policies", { token_policies: "B,c" });
    expect((await h.ok("read", "users/bob"))?.data).toMatchObject({ token_policies: ["b", "c"] });
    await h.ok("write", "users/bob/policies", { policies: "d" });
    expect((await h.ok("read", "users/bob"))?.data).toMatchObject({ token_policies: ["d"], policies: ["d"] });
  });

  it("refuse unknown users", async () => {
    for (const path of ["users/ghost/password", "users/ghost/policies"]) {
      const e = await h.fail("write", path, { password: "pw", token_policies: "a" });
      expect([e.status, e.errors]).toEqual([400, ["username does not exist"]]);
    }
  });
});
