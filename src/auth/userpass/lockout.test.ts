import { beforeEach, describe, expect, it } from "vitest";
import { InmemStorage } from "../../storage/inmem.js";
import { DEFAULT_LOCKOUT, FailureCounter, isLockedOut } from "./lockout.js";
import { UserpassHarness } from "./test-harness.js";

let h: UserpassHarness;
beforeEach(async () => {
  h = await UserpassHarness.start();
  await h.ok("write", "users/bob", { password: "right" });
});

async function attempt(password: string): Promise<number> {
  const out = await h.call("write", "login/bob", { password });
  return out.ok ? 200 : out.error.status;
}

async function failTimes(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    expect(await attempt("wrong")).toBe(400);
    h.nowMs += 1000;
  }
}

describe("user lockout with Vault's defaults", () => {
  it("locks after 5 failures, even against the right password, for 15 minutes", async () => {
    await failTimes(5);
    expect(await attempt("right")).toBe(403);
    expect((await h.fail("write", "login/bob", { password: "right" })).errors).toEqual(["permission denied"]);
    h.nowMs += 15 * 60_000 - 2000;
    expect(await attempt("right")).toBe(403);
    h.nowMs += 2000;
    expect(await attempt("right")).toBe(200);
  });

  it("4 failures do not lock, and a success clears the count", async () => {
    await failTimes(4);
    expect(await attempt("right")).toBe(200);
    await failTimes(4);
    expect(await attempt("right")).toBe(200);
  });

  it("the count restarts after 15 quiet minutes", async () => {
    await failTimes(4);
    h.nowMs += 15 * 60_000 + 1000;
    await failTimes(1);
    expect(await attempt("right")).toBe(200);
  });

  it("concurrent failures all count", async () => {
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => attempt("wrong")));
    expect(outcomes).toEqual([400, 400, 400, 400, 400]);
    expect(await attempt("right")).toBe(403);
  });

  it("failures recorded at the same instant are counted one by one", async () => {
    const storage = new InmemStorage();
    const counter = new FailureCounter();
    const nowMs = Date.UTC(2024, 0, 1);
    await Promise.all(Array.from({ length: 12 }, () => counter.recordFailure(storage, "bob", DEFAULT_LOCKOUT, nowMs)));
    expect(await isLockedOut(storage, "bob", { ...DEFAULT_LOCKOUT, threshold: 12 }, nowMs)).toBe(true);
    expect(await isLockedOut(storage, "bob", { ...DEFAULT_LOCKOUT, threshold: 13 }, nowMs)).toBe(false);
  });

  it("unknown users are not tracked, as in Vault", async () => {
    for (let i = 0; i < 6; i++) expect((await h.fail("write", "login/ghost", { password: "x" })).status).toBe(400);
    expect(await h.storage.list("lockout/")).toEqual([]);
  });

  it("deleting a user clears its lockout", async () => {
    await failTimes(5);
    await h.ok("delete", "users/bob");
    await h.ok("write", "users/bob", { password: "right" });
    expect(await attempt("right")).toBe(200);
  });
});

describe("config/lockout", () => {
  it("reads Vault's defaults when unset", async () => {
    expect((await h.ok("read", "config/lockout"))?.data).toEqual({
      lockout_threshold: 5,
      lockout_duration: 900,
      lockout_counter_reset: 900,
      lockout_disable: false,
    });
  });

  it("changes threshold and duration", async () => {
    await h.ok("write", "config/lockout", { lockout_threshold: "2", lockout_duration: "1m" });
    expect((await h.ok("read", "config/lockout"))?.data).toMatchObject({ lockout_threshold: 2, lockout_duration: 60, lockout_counter_reset: 900 });
    await failTimes(2);
    expect(await attempt("right")).toBe(403);
    h.nowMs += 60_000;
    expect(await attempt("right")).toBe(200);
  });

  it("can turn lockout off", async () => {
    await h.ok("write", "config/lockout", { lockout_disable: true });
    await failTimes(8);
    expect(await attempt("right")).toBe(200);
  });

  it("refuses negative values", async () => {
    expect((await h.fail("write", "config/lockout", { lockout_threshold: -1 })).errors).toEqual(["'lockout_threshold' cannot be negative"]);
  });
});
