import { describe, expect, it } from "vitest";
import { getJson } from "../../storage/storage.js";
import { keys, scheduleTimeOf, type LeaseRecord } from "./lease-record.js";
import { makeHarness, T0 } from "./test-harness.js";

describe("issue", () => {
  it("records the pending intent before create runs", async () => {
    const h = makeHarness();
    let seenInside: { record: LeaseRecord | undefined; pending: string[]; schedule: string[]; byToken: string[] } | undefined;
    const resp = await h.issue({}, {}, async () => {
      const pending = await h.storage.list(keys.pendingPrefix);
      const idx = await getJson<{ leaseId: string }>(h.storage, keys.pendingPrefix + (pending[0] ?? ""));
      seenInside = {
        record: idx && (await h.record(idx.leaseId)),
        pending,
        schedule: await h.scheduleKeys(),
        byToken: await h.storage.list(keys.byTokenPrefix("tok-a")),
      };
      return { username: "u1", password: "secret" };
    });
    const leaseId = resp.secret?.leaseId ?? "";
    expect(seenInside?.pending).toHaveLength(1);
    expect(seenInside?.record?.leaseId).toBe(leaseId);
    expect(seenInside?.record?.state).toBe("pending");
    expect(seenInside?.record?.internal).toEqual({ username: "u" });
    // The pending entry sits at the pending deadline, not the expiry.
    expect(seenInside?.schedule).toHaveLength(1);
    expect(scheduleTimeOf(keys.schedulePrefix + (seenInside?.schedule[0] ?? ""))).toBe(T0 + 300_000);
    expect(seenInside?.byToken).toHaveLength(1);

    const after = await h.record(leaseId);
    expect(after?.state).toBe("active");
    expect(await h.storage.list(keys.pendingPrefix)).toEqual([]);
    const sched = await h.scheduleKeys();
    expect(sched).toHaveLength(1);
    expect(scheduleTimeOf(keys.schedulePrefix + (sched[0] ?? ""))).toBe(T0 + 3600_000);
    expect(resp.data).toEqual({ username: "u1", password: "secret" });
    expect(resp.secret).toEqual({ leaseId, leaseDurationSeconds: 3600, renewable: true });
  });

  it("a failing create revokes what it may have made and leaves no lease", async () => {
    const h = makeHarness();
    await expect(
      h.issue({ internal: { username: "half-made" } }, {}, async () => {
        throw new Error("CREATE ROLE failed");
      }),
    ).rejects.toThrow("CREATE ROLE failed");
    expect(h.target.revoked).toHaveLength(1);
    expect(h.target.seen[0]?.internal).toEqual({ username: "half-made" });
    expect(await h.allKeys()).toEqual([]);
  });

  it("a failing create whose undo also fails keeps the lease for retry", async () => {
    const h = makeHarness();
    h.target.failRevoke = () => "connection refused";
    await expect(h.issue({}, {}, () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    const ids = await h.storage.list(keys.leasePrefix + "database/creds/ro/");
    expect(ids).toHaveLength(1);
    const rec = await h.record(`database/creds/ro/${ids[0]}`);
    expect(rec?.state).toBe("revoking");
    expect(rec?.lastError).toBe("connection refused");
    expect(await h.storage.list(keys.pendingPrefix)).toEqual([]);
    h.target.failRevoke = undefined;
    h.clock.advance(2_000);
    await h.manager.runDue();
    expect(await h.allKeys()).toEqual([]);
  });

  it("lease ids are <path>/<random>, unique", async () => {
    const h = makeHarness();
    const a = await h.issue({}, { path: "database/creds/ro/" });
    const b = await h.issue({}, { path: "database/creds/ro" });
    expect(a.secret?.leaseId).toMatch(/^database\/creds\/ro\/[A-Za-z0-9_-]{16,}$/);
    expect(b.secret?.leaseId).toMatch(/^database\/creds\/ro\/[A-Za-z0-9_-]{16,}$/);
    expect(a.secret?.leaseId).not.toBe(b.secret?.leaseId);
  });

  it("takes the TTL from the spec, else the mount default, and hands create the expiry", async () => {
    const h = makeHarness();
    let expiresAt: Date | undefined;
    const a = await h.issue({ ttlSeconds: 120 }, {}, async (at) => {
      expiresAt = at;
      return {};
    });
    expect(a.secret?.leaseDurationSeconds).toBe(120);
    expect(expiresAt?.getTime()).toBe(T0 + 120_000);
    const b = await h.issue({ ttlSeconds: 0 }, { defaultTtlSeconds: 900 });
    expect(b.secret?.leaseDurationSeconds).toBe(900);
    expect(b.warnings).toBeUndefined();
  });

  it("caps the TTL by the spec's max and the mount's max, with a warning", async () => {
    const h = makeHarness();
    const bySpec = await h.issue({ ttlSeconds: 7200, maxTtlSeconds: 1800 }, { maxTtlSeconds: 86_400 });
    expect(bySpec.secret?.leaseDurationSeconds).toBe(1800);
    expect(bySpec.warnings?.[0]).toContain('exceeded the effective max_ttl of "30m0s"');
    const byMount = await h.issue({ ttlSeconds: 7200, maxTtlSeconds: 0 }, { maxTtlSeconds: 600 });
    expect(byMount.secret?.leaseDurationSeconds).toBe(600);
    expect(byMount.warnings?.[0]).toContain('TTL of "2h0m0s"');
    const lower = await h.issue({ ttlSeconds: 7200, maxTtlSeconds: 3000 }, { maxTtlSeconds: 2000 });
    expect(lower.secret?.leaseDurationSeconds).toBe(2000);
    // The cap also bounds renewals later.
    expect((await h.record(lower.secret?.leaseId ?? ""))?.maxExpireTimeMs).toBe(T0 + 2000_000);
  });
});

describe("renew", () => {
  it("with no increment renews by the original TTL", async () => {
    const h = makeHarness();
    const { secret } = await h.issue({ ttlSeconds: 600 });
    const leaseId = secret?.leaseId ?? "";
    h.clock.advance(100_000);
    const r = await h.manager.renew(leaseId, 0);
    expect(r.secret).toEqual({ leaseId, leaseDurationSeconds: 600, renewable: true });
    expect(h.target.renewCalls[0]?.incrementSeconds).toBe(600);
    const rec = await h.record(leaseId);
    expect(rec?.expireTimeMs).toBe(T0 + 700_000);
    expect(rec?.lastRenewalTimeMs).toBe(T0 + 100_000);
  });

  it("moves the schedule entry, so the old expiry does nothing", async () => {
    const h = makeHarness();
    const { secret } = await h.issue({ ttlSeconds: 60 });
    const leaseId = secret?.leaseId ?? "";
    h.clock.advance(30_000);
    await h.manager.renew(leaseId, 300);
    const sched = await h.scheduleKeys();
    expect(sched).toHaveLength(1);
    expect(scheduleTimeOf(keys.schedulePrefix + (sched[0] ?? ""))).toBe(T0 + 330_000);
    h.clock.advance(31_000);
    await h.manager.runDue();
    expect(h.target.revokeCalls).toEqual([]);
    h.clock.advance(300_000);
    await h.manager.runDue();
    expect(h.target.revoked).toEqual([leaseId]);
  });

  it("near the cap grants the remaining time with a warning", async () => {
    const h = makeHarness();
    const { secret } = await h.issue({ ttlSeconds: 600, maxTtlSeconds: 1000 });
    const leaseId = secret?.leaseId ?? "";
    h.clock.advance(500_000);
    const r = await h.manager.renew(leaseId, 600);
    expect(r.secret?.leaseDurationSeconds).toBe(500);
    expect(r.warnings?.[0]).toMatch(/TTL of "10m0s" exceeded the effective max_ttl of "8m20s"/);
    expect(h.target.renewCalls[0]?.capExpireAtMs).toBe(T0 + 1000_000);
    expect((await h.record(leaseId))?.expireTimeMs).toBe(T0 + 1000_000);
  });

  it("refuses non-renewable, expired and unknown leases", async () => {
    const h = makeHarness();
    const fixed = await h.issue({ renewable: false });
    await expect(h.manager.renew(fixed.secret?.leaseId ?? "", 60)).rejects.toThrow("lease is not renewable");
    const short = await h.issue({ ttlSeconds: 10 });
    h.clock.advance(10_000);
    await expect(h.manager.renew(short.secret?.leaseId ?? "", 60)).rejects.toThrow("lease expired");
    await expect(h.manager.renew("database/creds/ro/nope", 60)).rejects.toThrow("lease not found");
    expect(h.target.renewCalls).toEqual([]);
  });

  it("refuses a lease already being revoked", async () => {
    const h = makeHarness();
    const { secret } = await h.issue();
    await h.manager.revoke(secret?.leaseId ?? "", { sync: false });
    await expect(h.manager.renew(secret?.leaseId ?? "", 60)).rejects.toThrow(/expired|revok/);
  });

  it("a renewal the backend refuses leaves the lease as it was", async () => {
    const h = makeHarness();
    const { secret } = await h.issue({ ttlSeconds: 60 });
    const leaseId = secret?.leaseId ?? "";
    const before = await h.record(leaseId);
    h.target.renewGate = Promise.reject(new Error("VALID UNTIL failed"));
    h.target.renewGate.catch(() => undefined);
    await expect(h.manager.renew(leaseId, 600)).rejects.toThrow("VALID UNTIL failed");
    expect(await h.record(leaseId)).toEqual(before);
  });
});

describe("lookup and list", () => {
  it("lookup has Vault's shape", async () => {
    const h = makeHarness();
    const { secret } = await h.issue({ ttlSeconds: 600 });
    const leaseId = secret?.leaseId ?? "";
    h.clock.advance(100_400);
    expect(await h.manager.lookup(leaseId)).toEqual({
      id: leaseId,
      issue_time: new Date(T0).toISOString(),
      expire_time: new Date(T0 + 600_000).toISOString(),
      last_renewal: null,
      renewable: true,
      ttl: 500,
    });
    await h.manager.renew(leaseId, 60);
    const after = await h.manager.lookup(leaseId);
    expect(after.last_renewal).toBe(new Date(T0 + 100_400).toISOString());
    expect(after.ttl).toBe(60);
    await expect(h.manager.lookup("database/creds/ro/missing")).rejects.toThrow("invalid lease");
    await expect(h.manager.lookup("../../etc")).rejects.toThrow("invalid lease");
  });

  it("list returns the immediate children of a prefix", async () => {
    const h = makeHarness();
    const a = await h.issue({}, { path: "database/creds/ro" });
    await h.issue({}, { path: "database/creds/rw" });
    await h.issue({}, { path: "aws/creds/deploy" });
    expect(await h.manager.list("")).toEqual(["aws/", "database/"]);
    expect(await h.manager.list("database/")).toEqual(["creds/"]);
    expect(await h.manager.list("database/creds")).toEqual(["ro/", "rw/"]);
    expect(await h.manager.list("database/creds/ro/")).toEqual([(a.secret?.leaseId ?? "").split("/").pop()]);
    expect(await h.manager.list("nothing/")).toEqual([]);
  });
});
