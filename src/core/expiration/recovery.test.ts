// Lease recovery after a restart: issuances a crash interrupted are undone, leases from
// before the restart keep their schedule.
import { afterEach, describe, expect, it, vi } from "vitest";
import { keys } from "./lease-record.js";
import { makeHarness } from "./test-harness.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("recovery", () => {
  it("start() undoes issuances a crash interrupted", async () => {
    const h = makeHarness();
    let reached = false;
    void h.issue({ internal: { username: "v-half" } }, {}, () => {
      reached = true;
      return new Promise(() => undefined); // the process "dies" inside create
    });
    await vi.waitFor(() => expect(reached).toBe(true));
    const [pendingLease] = await h.storage.list(keys.leasePrefix + "database/creds/ro/");
    const leaseId = `database/creds/ro/${pendingLease}`;
    expect(await h.record(leaseId)).toMatchObject({ state: "pending" });
    await expect(h.manager.lookup(leaseId)).rejects.toThrow("invalid lease");

    const after = h.restart();
    await after.start();
    await after.runDue();
    expect(h.target.revoked).toEqual([leaseId]);
    expect(h.target.seen[0]?.internal).toEqual({ username: "v-half" });
    // The intent stays until a second revocation, after the grace, confirms nothing came back.
    expect(await h.record(leaseId)).toMatchObject({ state: "revoking" });
    h.clock.advance(29_000);
    await after.runDue();
    expect(h.target.revoked).toEqual([leaseId]);
    h.clock.advance(1_000);
    await after.runDue();
    await after.stop();
    expect(h.target.revoked).toEqual([leaseId, leaseId]);
    expect(await h.allKeys()).toEqual([]);
    expect(h.logs.some((l) => l.msg.includes("interrupted") && l.fields.lease_id === leaseId)).toBe(true);
  });

  it("a normal revocation is final at once; only recovered issuances are confirmed", async () => {
    const h = makeHarness();
    const { secret } = await h.issue({ ttlSeconds: 30 });
    await h.manager.revoke(secret?.leaseId ?? "", { sync: true });
    expect(await h.allKeys()).toEqual([]);
    expect(h.target.revoked).toHaveLength(1);
  });

  it("start() does not touch an issuance still running in this process", async () => {
    const h = makeHarness();
    let finish!: (v: Record<string, unknown>) => void;
    const issued = h.issue({}, {}, () => new Promise((res) => (finish = res)));
    await vi.waitFor(() => expect(finish).toBeDefined());
    await h.manager.start();
    h.clock.advance(400_000); // past the pending deadline
    await h.manager.runDue();
    expect(h.target.revokeCalls).toEqual([]);
    finish({ username: "u" });
    const resp = await issued;
    await h.manager.stop();
    expect(await h.record(resp.secret?.leaseId ?? "")).toMatchObject({ state: "active" });
  });

  it("a lease issued before a restart is revoked by the new manager's schedule", async () => {
    const h = makeHarness();
    const { secret } = await h.issue({ ttlSeconds: 30 });
    const after = h.restart();
    h.clock.advance(30_000);
    await after.runDue();
    expect(h.target.revoked).toEqual([secret?.leaseId]);
  });
});
