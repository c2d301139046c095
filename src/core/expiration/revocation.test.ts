import { afterEach, describe, expect, it, vi } from "vitest";
import { keys, scheduleTimeOf } from "./lease-record.js";
import { makeHarness, T0, type Harness } from "./test-harness.js";

afterEach(() => {
  vi.restoreAllMocks();
});

async function nextRetryAtMs(h: Harness, leaseId: string): Promise<number> {
  const rec = await h.record(leaseId);
  return scheduleTimeOf(rec?.scheduleKey ?? "");
}

describe("revoke", () => {
  it("sync: the target confirms, the lease and every index entry are gone", async () => {
    const h = makeHarness();
    const { secret } = await h.issue();
    const leaseId = secret?.leaseId ?? "";
    await h.manager.revoke(leaseId, { sync: true });
    expect(h.target.revoked).toEqual([leaseId]);
    expect(h.target.tidied).toEqual([leaseId]);
    expect(await h.allKeys()).toEqual([]);
  });

  it("the backend's tidying failing after a confirmed revocation does not undo it", async () => {
    const h = makeHarness();
    const { secret } = await h.issue();
    const leaseId = secret?.leaseId ?? "";
    h.target.failTidy = "index write failed";
    await h.manager.revoke(leaseId, { sync: true });
    expect(await h.allKeys()).toEqual([]);
    expect(h.logs.some((l) => l.level === "warn" && l.fields.error === "index write failed")).toBe(true);
  });

  it("the backend is not told of a revocation the target refused", async () => {
    const h = makeHarness();
    const { secret } = await h.issue();
    h.target.failRevoke = () => "connection refused";
    await expect(h.manager.revoke(secret?.leaseId ?? "", { sync: true })).rejects.toThrow();
    expect(h.target.tidied).toEqual([]);
  });

  it("sync: the target fails, revoke throws and the lease stays, rescheduled with backoff", async () => {
    const h = makeHarness();
    const { secret } = await h.issue();
    const leaseId = secret?.leaseId ?? "";
    h.target.failRevoke = () => "dial tcp: connection refused";
    await expect(h.manager.revoke(leaseId, { sync: true })).rejects.toMatchObject({
      status: 502,
      message: expect.stringContaining("connection refused"),
    });
    const rec = await h.record(leaseId);
    expect(rec?.state).toBe("revoking");
    expect(rec?.revokeAttempts).toBe(1);
    expect(rec?.lastError).toBe("dial tcp: connection refused");
    const at = await nextRetryAtMs(h, leaseId);
    expect(at).toBeGreaterThanOrEqual(T0 + 750);
    expect(at).toBeLessThanOrEqual(T0 + 1_000);
    expect(await h.scheduleKeys()).toEqual([rec?.scheduleKey.slice(keys.schedulePrefix.length)]);
    expect(h.logs.some((l) => l.level === "warn" && l.fields.lease_id === leaseId)).toBe(true);
  });

  it("revoking an unknown lease succeeds, as in Vault", async () => {
    const h = makeHarness();
    await h.manager.revoke("database/creds/ro/unknown", { sync: true });
    await h.manager.revoke("database/creds/ro/unknown", { sync: false });
    expect(h.target.revokeCalls).toEqual([]);
  });

  it("async: queues the lease for the schedule and returns", async () => {
    const h = makeHarness();
    const { secret } = await h.issue({ ttlSeconds: 3600 });
    const leaseId = secret?.leaseId ?? "";
    await h.manager.revoke(leaseId, { sync: false });
    expect(h.target.revokeCalls).toEqual([]);
    const rec = await h.record(leaseId);
    expect(rec?.state).toBe("revoking");
    expect(await nextRetryAtMs(h, leaseId)).toBe(T0);
    expect(await h.scheduleKeys()).toHaveLength(1);
    expect(await h.manager.runDue()).toBe(1);
    expect(h.target.revoked).toEqual([leaseId]);
    expect(await h.allKeys()).toEqual([]);
  });

  it("an expired lease is revoked by the schedule", async () => {
    const h = makeHarness();
    const a = await h.issue({ ttlSeconds: 60 });
    const b = await h.issue({ ttlSeconds: 120 });
    h.clock.advance(59_999);
    expect(await h.manager.runDue()).toBe(0);
    h.clock.advance(1);
    expect(await h.manager.runDue()).toBe(1);
    expect(h.target.revoked).toEqual([a.secret?.leaseId]);
    h.clock.advance(60_000);
    await h.manager.runDue();
    expect(h.target.revoked).toEqual([a.secret?.leaseId, b.secret?.leaseId]);
  });

  it("a lease whose mount is gone (the core throws) is retried, not dropped", async () => {
    const h = makeHarness();
    const { secret } = await h.issue({ ttlSeconds: 1 });
    const leaseId = secret?.leaseId ?? "";
    h.target.failRevoke = () => "the mount that issued this lease no longer exists";
    h.clock.advance(1_000);
    await h.manager.runDue();
    const rec = await h.record(leaseId);
    expect(rec?.state).toBe("revoking");
    expect(rec?.lastError).toContain("no longer exists");
  });
});

describe("retries", () => {
  it("attempts back off exponentially with jitter, capped", async () => {
    const h = makeHarness({ baseBackoffMs: 1_000, maxBackoffMs: 10_000, maxRevokeAttempts: 8 });
    const { secret } = await h.issue({ ttlSeconds: 1 });
    const leaseId = secret?.leaseId ?? "";
    h.target.failRevoke = () => "down";
    h.clock.advance(1_000);
    const delays: number[] = [];
    const random = vi.spyOn(Math, "random");
    for (let attempt = 1; attempt <= 7; attempt++) {
      random.mockReturnValue(attempt % 2 ? 0 : 0.999999);
      await h.manager.runDue();
      const at = await nextRetryAtMs(h, leaseId);
      delays.push(at - h.clock.nowMs);
      h.clock.nowMs = at;
    }
    const nominal = [1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000];
    for (const [i, d] of delays.entries()) {
      const n = nominal[i] ?? 0;
      expect(d).toBeLessThanOrEqual(n);
      expect(d).toBeGreaterThanOrEqual(Math.floor(n * 0.75));
    }
    // The jitter spreads retries: low and high draws differ.
    expect(delays[0]).toBeLessThan(delays[1] ?? 0);
    expect(delays[4]).not.toBe(delays[5]);
    expect((await h.record(leaseId))?.revokeAttempts).toBe(7);
    expect(h.target.revokeCalls).toHaveLength(7);
  });

  it("after maxRevokeAttempts the lease is irrevocable, visible, counted and retried hourly", async () => {
    const h = makeHarness({ maxRevokeAttempts: 3, irrevocableRetryMs: 3_600_000 });
    const { secret } = await h.issue({ ttlSeconds: 1 });
    const other = await h.issue({ ttlSeconds: 86_400 });
    const leaseId = secret?.leaseId ?? "";
    h.target.failRevoke = (l) => (l.leaseId === leaseId ? `password authentication failed #${h.target.revokeCalls.length}` : undefined);
    h.clock.advance(1_000);
    for (let i = 0; i < 3; i++) {
      await h.manager.runDue();
      if (i < 2) h.clock.nowMs = await nextRetryAtMs(h, leaseId);
    }
    const failedAtMs = h.clock.nowMs;
    const rec = await h.record(leaseId);
    expect(rec?.state).toBe("irrevocable");
    expect(rec?.revokeAttempts).toBe(3);
    expect(rec?.lastError).toBe("password authentication failed #3");
    expect(await h.manager.irrevocable()).toEqual([
      {
        lease_id: leaseId,
        mount_id: "database_1234",
        error: "password authentication failed #3",
        expire_time: new Date(T0 + 1_000).toISOString(),
        attempts: 3,
        last_error: "password authentication failed #3",
      },
    ]);
    expect(await h.manager.countIrrevocable()).toBe(1);
    // Next try in an hour, not sooner.
    expect(await nextRetryAtMs(h, leaseId)).toBe(failedAtMs + 3_600_000);
    h.clock.nowMs = failedAtMs + 3_599_999;
    await h.manager.runDue();
    expect(h.target.revokeCalls).toHaveLength(3);
    h.clock.nowMs = failedAtMs + 3_600_000;
    await h.manager.runDue();
    expect(h.target.revokeCalls).toHaveLength(4);
    expect((await h.record(leaseId))?.state).toBe("irrevocable");
    // Lookup still answers for it, not renewable.
    expect((await h.manager.lookup(leaseId)).renewable).toBe(false);
    // The target recovers: the hourly retry removes it from every list.
    h.target.failRevoke = undefined;
    h.clock.advance(3_600_000);
    await h.manager.runDue();
    expect(await h.record(leaseId)).toBeUndefined();
    expect(await h.manager.irrevocable()).toEqual([]);
    expect(await h.manager.countIrrevocable()).toBe(0);
    // The other lease was never touched.
    expect(await h.record(other.secret?.leaseId ?? "")).toMatchObject({ state: "active" });
  });

  it("tidy retries irrevocable leases at once", async () => {
    const h = makeHarness({ maxRevokeAttempts: 1 });
    h.target.liveTokens.add("tok-a");
    const { secret } = await h.issue({ ttlSeconds: 1 });
    const leaseId = secret?.leaseId ?? "";
    h.target.failRevoke = () => "down";
    h.clock.advance(1_000);
    await h.manager.runDue();
    expect((await h.record(leaseId))?.state).toBe("irrevocable");
    const stillDown = await h.manager.tidy();
    expect(stillDown.retried).toBe(1);
    expect((await h.record(leaseId))?.revokeAttempts).toBe(2);
    h.target.failRevoke = undefined;
    await h.manager.tidy();
    expect(await h.record(leaseId)).toBeUndefined();
    expect(await h.allKeys()).toEqual([]);
  });

  it("nothing leaves storage while the target keeps failing", async () => {
    const h = makeHarness({ maxRevokeAttempts: 2, irrevocableRetryMs: 10_000 });
    const { secret } = await h.issue({ ttlSeconds: 1 });
    const leaseId = secret?.leaseId ?? "";
    h.target.failRevoke = () => "down";
    for (let i = 0; i < 20; i++) {
      h.clock.advance(20_000);
      await h.manager.runDue();
    }
    expect(h.target.revokeCalls.length).toBe(20);
    expect(await h.record(leaseId)).toMatchObject({ state: "irrevocable", revokeAttempts: 20 });
    await expect(h.manager.revoke(leaseId, { sync: true })).rejects.toThrow("down");
    expect(await h.record(leaseId)).toBeDefined();
  });
});

describe("revokePrefix", () => {
  async function fill(h: Harness): Promise<Record<string, string>> {
    const ids: Record<string, string> = {};
    for (const path of ["database/creds/ro", "database/creds/rw", "database/creds/team/a", "databaseX/creds/ro", "aws/creds/x"]) {
      ids[path] = (await h.issue({}, { path })).secret?.leaseId ?? "";
    }
    return ids;
  }

  it("walks nested prefixes and leaves siblings alone", async () => {
    const h = makeHarness();
    const ids = await fill(h);
    await h.manager.revokePrefix("database/", { sync: true, force: false });
    expect(h.target.revoked.sort()).toEqual([ids["database/creds/ro"], ids["database/creds/rw"], ids["database/creds/team/a"]].sort());
    expect(await h.manager.list("")).toEqual(["aws/", "databaseX/"]);
    // Without a trailing slash the prefix is still a path prefix, not a string prefix.
    await h.manager.revokePrefix("aws", { sync: true, force: false });
    expect(await h.manager.list("")).toEqual(["databaseX/"]);
  });

  it("accepts a single lease id as the prefix, as Vault does", async () => {
    const h = makeHarness();
    const ids = await fill(h);
    await h.manager.revokePrefix(ids["database/creds/ro"] ?? "", { sync: true, force: false });
    expect(h.target.revoked).toEqual([ids["database/creds/ro"]]);
  });

  it("walks more than one page", async () => {
    const h = makeHarness();
    for (let i = 0; i < 1_205; i++) await h.issue({}, { path: i % 2 ? "db/creds/a" : "db/creds/b" });
    await h.manager.revokePrefix("db/", { sync: true, force: false });
    expect(h.target.revoked).toHaveLength(1_205);
    expect(await h.allKeys()).toEqual([]);
  });

  it("sync with failures throws and keeps the failed leases", async () => {
    const h = makeHarness();
    const ids = await fill(h);
    const bad = ids["database/creds/rw"] ?? "";
    h.target.failRevoke = (l) => (l.leaseId === bad ? "down" : undefined);
    await expect(h.manager.revokePrefix("database", { sync: true, force: false })).rejects.toThrow(/failed to revoke 1 lease/);
    expect(await h.manager.list("database/creds/")).toEqual(["rw/"]);
    expect((await h.record(bad))?.state).toBe("revoking");
  });

  it("async queues every lease", async () => {
    const h = makeHarness();
    await fill(h);
    await h.manager.revokePrefix("database/", { sync: false, force: false });
    expect(h.target.revokeCalls).toEqual([]);
    expect(await h.manager.runDue()).toBe(3);
    expect(h.target.revoked).toHaveLength(3);
  });

  it("force drops leases the target refuses, and says so in the log", async () => {
    const h = makeHarness();
    const ids = await fill(h);
    h.target.failRevoke = () => "down";
    await h.manager.revokePrefix("database/", { sync: true, force: true });
    expect(await h.manager.list("")).toEqual(["aws/", "databaseX/"]);
    const dropped = h.logs.filter((l) => l.msg.includes("force-revoke")).map((l) => l.fields.lease_id);
    expect(dropped.sort()).toEqual([ids["database/creds/ro"], ids["database/creds/rw"], ids["database/creds/team/a"]].sort());
    const left = await h.allKeys();
    expect(left.filter((k) => k.includes(ids["database/creds/ro"] ?? "?"))).toEqual([]);
    expect(left.filter((k) => k.startsWith("schedule/"))).toHaveLength(2);
    expect(left.filter((k) => k.startsWith("token/"))).toHaveLength(2);
  });
});

describe("revokeByToken", () => {
  it("revokes all of a token's leases; failures stay queued and do not stop the rest", async () => {
    const h = makeHarness();
    const mine = [];
    for (let i = 0; i < 5; i++) mine.push((await h.issue({}, { tokenHash: "tok-a" })).secret?.leaseId ?? "");
    const theirs = (await h.issue({}, { tokenHash: "tok-b" })).secret?.leaseId ?? "";
    const stuck = mine[2] ?? "";
    h.target.failRevoke = (l) => (l.leaseId === stuck ? "down" : undefined);
    await h.manager.revokeByToken("tok-a");
    expect(h.target.revoked.sort()).toEqual(mine.filter((id) => id !== stuck).sort());
    expect(await h.record(theirs)).toMatchObject({ state: "active" });
    expect(await h.record(stuck)).toMatchObject({ state: "revoking", revokeAttempts: 1 });
    expect(await h.storage.list(keys.byTokenPrefix("tok-a"))).toEqual([]);
    h.target.failRevoke = undefined;
    h.clock.advance(1_000);
    await h.manager.runDue();
    expect(await h.record(stuck)).toBeUndefined();
  });
});

describe("tokens in the schedule", () => {
  it("an expired token is revoked; renewals move the entry; 0 removes it", async () => {
    const h = makeHarness();
    await h.manager.scheduleToken("hash-1", T0 + 60_000);
    await h.manager.scheduleToken("hash-2", T0 + 60_000);
    await h.manager.scheduleToken("hash-1", T0 + 120_000); // renewed
    await h.manager.scheduleToken("hash-2", 0); // revoked by hand
    expect(await h.scheduleKeys()).toHaveLength(1);
    h.clock.advance(60_000);
    await h.manager.runDue();
    expect(h.target.tokensRevoked).toEqual([]);
    h.clock.advance(60_000);
    await h.manager.runDue();
    expect(h.target.tokensRevoked).toEqual(["hash-1"]);
    expect(await h.allKeys()).toEqual([]);
  });

  it("a token revocation that fails is retried, not forgotten", async () => {
    const h = makeHarness();
    await h.manager.scheduleToken("hash-1", T0 + 1_000);
    h.target.failRevokeToken = "storage hiccup";
    h.clock.advance(1_000);
    await h.manager.runDue();
    expect(h.target.tokensRevoked).toEqual([]);
    expect(await h.scheduleKeys()).toHaveLength(1);
    h.target.failRevokeToken = undefined;
    h.clock.advance(60_000);
    await h.manager.runDue();
    expect(h.target.tokensRevoked).toEqual(["hash-1"]);
    expect(await h.allKeys()).toEqual([]);
  });
});

describe("tidy", () => {
  it("revokes leases whose token is gone and drops dangling token index entries", async () => {
    const h = makeHarness();
    h.target.liveTokens.add("tok-live");
    const live = (await h.issue({}, { tokenHash: "tok-live" })).secret?.leaseId ?? "";
    const orphan = (await h.issue({}, { tokenHash: "tok-gone" })).secret?.leaseId ?? "";
    await h.storage.put(keys.byToken("tok-live", "database/creds/ro/vanished"), Buffer.from(JSON.stringify({ leaseId: "database/creds/ro/vanished" })));
    const r = await h.manager.tidy();
    expect(r).toEqual({ revoked: 1, retried: 0, cleaned: 1 });
    expect(h.target.revoked).toEqual([orphan]);
    expect(await h.record(live)).toBeDefined();
    expect(await h.storage.list(keys.byTokenPrefix("tok-live"))).toHaveLength(1);
  });
});
