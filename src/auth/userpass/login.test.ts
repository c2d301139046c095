import { beforeEach, describe, expect, it } from "vitest";
import { isMayflyError } from "../../framework/errors.js";
import { equivalentPolicies } from "./login.js";
import { UserpassHarness } from "./test-harness.js";

let h: UserpassHarness;
beforeEach(async () => {
  h = await UserpassHarness.start();
});

async function refusal(p: Promise<unknown>): Promise<{ status: number; errors: string[] }> {
  try {
    await p;
  } catch (e) {
    if (isMayflyError(e)) return { status: e.status, errors: e.errors };
    throw e;
  }
  throw new Error("expected a refusal");
}

describe("login/:username", () => {
  it("answers with an AuthSpec carrying the user's settings", async () => {
    await h.ok("write", "users/bob", {
      password: "pw",
      token_policies: "dev,ops",
      token_ttl: "10m",
      token_explicit_max_ttl: "2h",
      token_num_uses: 7,
      token_no_default_policy: true,
      token_bound_cidrs: "127.0.0.0/8",
    });
    const resp = await h.ok("write", "login/Bob", { password: "pw" });
    expect(resp?.authSpec).toEqual({
      policies: ["dev", "ops"],
      boundCidrs: ["127.0.0.0/8"],
      explicitMaxTtlSeconds: 7200,
      maxTtlSeconds: 0,
      noDefaultPolicy: true,
      periodSeconds: 0,
      renewable: true,
      tokenType: "default",
      ttlSeconds: 600,
      numUses: 7,
      displayName: "bob",
      metadata: { username: "bob" },
      alias: { name: "bob" },
      internal: { username: "bob", policies: ["dev", "ops"] },
    });
    expect(resp?.warnings).toBeUndefined();
  });

  it("a wrong password and an unknown user get the same answer", async () => {
    await h.ok("write", "users/bob", { password: "pw" });
    const wrong = await h.fail("write", "login/bob", { password: "nope" });
    const unknown = await h.fail("write", "login/nobody", { password: "nope" });
    expect([wrong.status, wrong.errors]).toEqual([400, ["invalid username or password"]]);
    expect([unknown.status, unknown.errors]).toEqual([wrong.status, wrong.errors]);
  });

  it("an empty password is refused before anything is looked up", async () => {
    expect((await h.fail("write", "login/bob", {})).errors).toEqual(["missing password"]);
  });

  it("refuses a client outside the user's bound CIDRs", async () => {
    await h.ok("write", "users/bob", { password: "pw", token_bound_cidrs: "10.0.0.0/8" });
    expect((await h.fail("write", "login/bob", { password: "pw" })).status).toBe(403);
    h.remoteAddress = "10.1.2.3";
    expect((await h.ok("write", "login/bob", { password: "pw" }))?.authSpec?.boundCidrs).toEqual(["10.0.0.0/8"]);
  });

  it("auth methods cannot hand out root or Vault's internal policies", async () => {
    await h.ok("write", "users/bob", { password: "pw", token_policies: "dev,Root" });
    expect((await h.fail("write", "login/bob", { password: "pw" })).errors).toEqual(["auth methods cannot create root tokens"]);
    await h.ok("write", "users/bob", { token_policies: "response-wrapping" });
    expect((await h.fail("write", "login/bob", { password: "pw" })).errors).toEqual([`cannot assign policy "response-wrapping"`]);
  });

  it("caps the TTL at the user's token_max_ttl, with Vault's warning", async () => {
    await h.ok("write", "users/bob", { password: "pw", token_max_ttl: "30m" });
    // The mount default (1h) is over the user's max.
    const resp = await h.ok("write", "login/bob", { password: "pw" });
    expect(resp?.authSpec?.ttlSeconds).toBe(1800);
    expect(resp?.warnings).toEqual([`TTL of "1h0m0s" exceeded the effective max_ttl of "30m0s"; TTL value is capped accordingly`]);

    await h.ok("write", "users/bob", { token_ttl: "20m" });
    const under = await h.ok("write", "login/bob", { password: "pw" });
    expect([under?.authSpec?.ttlSeconds, under?.warnings]).toEqual([1200, undefined]);
  });

  it("leaves the TTL to the core without a user max", async () => {
    await h.ok("write", "users/bob", { password: "pw" });
    expect((await h.ok("write", "login/bob", { password: "pw" }))?.authSpec?.ttlSeconds).toBe(0);
  });
});

describe("renewal", () => {
  it("goes ahead while the user exists with the same policies", async () => {
    await h.ok("write", "users/bob", { password: "pw", token_policies: "dev" });
    const internal = (await h.ok("write", "login/bob", { password: "pw" }))?.authSpec?.internal ?? {};
    await expect(h.renew({ ...internal })).resolves.toBeUndefined();
    // Other settings may change: Vault compares only the policies.
    await h.ok("write", "users/bob", { token_ttl: "5m", password: "other" });
    await expect(h.renew({ ...internal })).resolves.toBeUndefined();
  });

  it("is refused once the policies changed", async () => {
    await h.ok("write", "users/bob", { password: "pw", token_policies: "dev" });
    const internal = (await h.ok("write", "login/bob", { password: "pw" }))?.authSpec?.internal ?? {};
    await h.ok("write", "users/bob/policies", { token_policies: "dev,admin" });
    const r = await refusal(h.renew({ ...internal }));
    expect(r.status).toBe(500);
    expect(r.errors[0]).toContain("policies have changed, not renewing");
  });

  it("is refused once the user is gone", async () => {
    await h.ok("write", "users/bob", { password: "pw" });
    const internal = (await h.ok("write", "login/bob", { password: "pw" }))?.authSpec?.internal ?? {};
    await h.ok("delete", "users/bob");
    expect(await refusal(h.renew({ ...internal }))).toEqual({ status: 400, errors: ["user no longer exists, not renewing"] });
  });

  it("compares policies as Vault's EquivalentPolicies does", () => {
    expect(equivalentPolicies(["Dev", "ops"], ["default", "dev", "ops"])).toBe(true);
    expect(equivalentPolicies([], ["default"])).toBe(true);
    expect(equivalentPolicies(["dev"], ["dev", "ops"])).toBe(false);
  });
});
