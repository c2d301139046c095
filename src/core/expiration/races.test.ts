import { describe, expect, it, vi } from "vitest";
import { jsonPut } from "../../storage/storage.js";
import { keys } from "./lease-record.js";
import { deferred, makeHarness, settle, T0 } from "./test-harness.js";

describe("concurrent revocations", () => {
  it("the timer, a sync revoke and a token revocation share one call to the target", async () => {
    const h = makeHarness();
    const { secret } = await h.issue({ ttlSeconds: 10 });
    const leaseId = secret?.leaseId ?? "";
    const gate = deferred();
    h.target.revokeGate = gate.promise;
    h.clock.advance(10_000);
    const byTimer = h.manager.runDue();
    await vi.waitFor(() => expect(h.target.revokeCalls).toHaveLength(1));
    const byApi = h.manager.revoke(leaseId, { sync: true });
    const byToken = h.manager.revokeByToken("tok-a");
    await settle();
    gate.resolve();
    await Promise.all([byTimer, byApi, byToken]);
    expect(h.target.revokeCalls).toEqual([leaseId]);
    expect(await h.allKeys()).toEqual([]);
  });

  it("a sync revoke that shares a failing attempt hears the failure", async () => {
    const h = makeHarness();
    const { secret } = await h.issue({ ttlSeconds: 10 });
    const leaseId = secret?.leaseId ?? "";
    const gate = deferred();
    h.target.revokeGate = gate.promise;
    h.target.failRevoke = () => "down";
    const first = h.manager.revoke(leaseId, { sync: true });
    await vi.waitFor(() => expect(h.target.revokeCalls).toHaveLength(1));
    const second = h.manager.revoke(leaseId, { sync: true });
    gate.resolve();
    await expect(first).rejects.toThrow("down");
    await expect(second).rejects.toThrow("down");
    expect(h.target.revokeCalls).toHaveLength(1);
    expect((await h.record(leaseId))?.revokeAttempts).toBe(1);
  });
});

describe("revocation during an issuance", () => {
  it("a token revoked while create runs: the credential is revoked after it exists and never handed out", async () => {
    const h = makeHarness();
    const created = deferred<Record<string, unknown>>();
    let createdUser = false;
    const issuing = h.issue({}, { tokenHash: "tok-a" }, async () => {
      const data = await created.promise;
      createdUser = true;
      return data;
    });
    issuing.catch(() => undefined);
    await vi.waitFor(async () => expect(await h.storage.list(keys.pendingPrefix)).toHaveLength(1));
    const revoking = h.manager.revokeByToken("tok-a");
    await settle();
    // The target must not be asked to drop a user that does not exist yet.
    expect(h.target.revokeCalls).toEqual([]);
    created.resolve({ username: "u", password: "p" });
    await revoking;
    await expect(issuing).rejects.toThrow(/revoked/);
    expect(createdUser).toBe(true);
    expect(h.target.revoked).toHaveLength(1);
    expect(await h.allKeys()).toEqual([]);
  });

  it("an async revoke-prefix while create runs is not lost", async () => {
    const h = makeHarness();
    const created = deferred<Record<string, unknown>>();
    const issuing = h.issue({}, {}, () => created.promise);
    issuing.catch(() => undefined);
    await vi.waitFor(async () => expect(await h.storage.list(keys.pendingPrefix)).toHaveLength(1));
    await h.manager.revokePrefix("database/", { sync: false, force: false });
    created.resolve({ username: "u" });
    await expect(issuing).rejects.toThrow(/revoked/);
    await h.manager.runDue();
    expect(h.target.revoked).toHaveLength(1);
    expect(await h.allKeys()).toEqual([]);
  });

  it("a pending entry due while create is still running is pushed back, and the lease survives", async () => {
    const h = makeHarness({ pendingTimeoutMs: 1_000 });
    const created = deferred<Record<string, unknown>>();
    const issuing = h.issue({ ttlSeconds: 3600 }, {}, () => created.promise);
    await vi.waitFor(async () => expect(await h.storage.list(keys.pendingPrefix)).toHaveLength(1));
    h.clock.advance(1_000);
    const run = h.manager.runDue();
    created.resolve({ username: "u" });
    await run;
    const resp = await issuing;
    await h.manager.runDue();
    const rec = await h.record(resp.secret?.leaseId ?? "");
    expect(rec).toMatchObject({ state: "active", expireTimeMs: T0 + 3600_000 });
    // Only the expiry entry is left, and it is the one the record points at.
    expect(await h.scheduleKeys()).toEqual([rec?.scheduleKey.slice(keys.schedulePrefix.length)]);
    h.clock.advance(3600_000);
    await h.manager.runDue();
    expect(h.target.revoked).toEqual([resp.secret?.leaseId]);
  });

  it("an entry pushed back twice while create runs leaves only the expiry entry at activation", async () => {
    const h = makeHarness({ pendingTimeoutMs: 1_000 });
    const created = deferred<Record<string, unknown>>();
    const issuing = h.issue({ ttlSeconds: 3600 }, {}, () => created.promise);
    await vi.waitFor(async () => expect(await h.storage.list(keys.pendingPrefix)).toHaveLength(1));
    const pendingEntries = await h.scheduleKeys();
    for (let push = 0; push < 2; push++) {
      h.clock.advance(1_000);
      await h.manager.runDue();
      // Each push leaves exactly one entry, a new one.
      const now = await h.scheduleKeys();
      expect(now).toHaveLength(1);
      expect(pendingEntries).not.toContain(now[0]);
      pendingEntries.push(...now);
    }
    created.resolve({ username: "u" });
    const resp = await issuing;
    const rec = await h.record(resp.secret?.leaseId ?? "");
    expect(rec?.state).toBe("active");
    expect(await h.scheduleKeys()).toEqual([rec?.scheduleKey.slice(keys.schedulePrefix.length)]);
    expect(await h.storage.list(keys.pendingPrefix)).toEqual([]);
    expect(h.target.revoked).toEqual([]);
  });
});

describe("renewal racing revocation", () => {
  it("a sync revoke waits for an in-flight renewal, and the lease stays revoked", async () => {
    const h = makeHarness();
    const { secret } = await h.issue({ ttlSeconds: 60 });
    const leaseId = secret?.leaseId ?? "";
    const gate = deferred();
    h.target.renewGate = gate.promise;
    const renewing = h.manager.renew(leaseId, 3600);
    await vi.waitFor(() => expect(h.target.renewCalls).toHaveLength(1));
    const revoking = h.manager.revoke(leaseId, { sync: true });
    await settle();
    gate.resolve();
    await renewing;
    await revoking;
    expect(h.target.revoked).toEqual([leaseId]);
    expect(await h.allKeys()).toEqual([]);
  });

  it("an async revoke during a renewal is not undone by it", async () => {
    const h = makeHarness();
    const { secret } = await h.issue({ ttlSeconds: 60 });
    const leaseId = secret?.leaseId ?? "";
    const gate = deferred();
    h.target.renewGate = gate.promise;
    const renewing = h.manager.renew(leaseId, 3600);
    renewing.catch(() => undefined);
    await vi.waitFor(() => expect(h.target.renewCalls).toHaveLength(1));
    const queued = h.manager.revoke(leaseId, { sync: false });
    await settle();
    gate.resolve();
    await Promise.allSettled([renewing, queued]);
    await h.manager.runDue();
    expect(h.target.revoked).toEqual([leaseId]);
    expect(await h.allKeys()).toEqual([]);
  });

  it("the schedule does not revoke a lease renewed while its expiry was being read", async () => {
    const h = makeHarness();
    const { secret } = await h.issue({ ttlSeconds: 60 });
    const leaseId = secret?.leaseId ?? "";
    const gate = deferred();
    h.target.renewGate = gate.promise;
    h.clock.advance(59_000);
    const renewing = h.manager.renew(leaseId, 3600);
    await vi.waitFor(() => expect(h.target.renewCalls).toHaveLength(1));
    h.clock.advance(1_000); // the old expiry is now due
    const run = h.manager.runDue();
    await settle();
    gate.resolve();
    await renewing;
    await run;
    expect(h.target.revokeCalls).toEqual([]);
    expect(await h.record(leaseId)).toMatchObject({ state: "active", expireTimeMs: T0 + 59_000 + 3600_000 });
  });
});

describe("stale schedule entries", () => {
  it("an entry the lease no longer points at is dropped without revoking", async () => {
    const h = makeHarness();
    const { secret } = await h.issue({ ttlSeconds: 3600 });
    const leaseId = secret?.leaseId ?? "";
    const staleKey = keys.schedule(T0 + 10, "l", leaseId);
    const orphanKey = keys.schedule(T0 + 20, "l", "database/creds/ro/gone");
    await h.storage.transaction([jsonPut(staleKey, { kind: "l", id: leaseId }), jsonPut(orphanKey, { kind: "l", id: "database/creds/ro/gone" })]);
    h.clock.advance(1_000);
    expect(await h.manager.runDue()).toBe(2);
    expect(h.target.revokeCalls).toEqual([]);
    expect(await h.scheduleKeys()).toHaveLength(1);
    expect(await h.record(leaseId)).toMatchObject({ state: "active" });
  });

  it("a token entry superseded by a renewal does not revoke the token", async () => {
    const h = makeHarness();
    await h.manager.scheduleToken("hash-1", T0 + 3_600_000);
    // An entry left behind by an interleaved renewal (two renewals racing).
    await h.storage.put(keys.schedule(T0 + 1_000, "t", "hash-1"), Buffer.from(JSON.stringify({ kind: "t", id: "hash-1" })));
    h.clock.advance(1_000);
    await h.manager.runDue();
    expect(h.target.tokensRevoked).toEqual([]);
    expect(await h.scheduleKeys()).toHaveLength(1);
  });

  it("concurrent renewals of one token leave exactly one schedule entry", async () => {
    const h = makeHarness();
    await Promise.all([
      h.manager.scheduleToken("hash-1", T0 + 60_000),
      h.manager.scheduleToken("hash-1", T0 + 120_000),
      h.manager.scheduleToken("hash-1", T0 + 180_000),
    ]);
    expect(await h.scheduleKeys()).toHaveLength(1);
  });
});

describe("stop", () => {
  it("stop() during a drain lets in-flight revocations finish and starts no more", async () => {
    const h = makeHarness({ concurrency: 2 });
    for (let i = 0; i < 10; i++) await h.issue({ ttlSeconds: 1 });
    const gate = deferred();
    h.target.revokeGate = gate.promise;
    h.clock.advance(1_000);
    const run = h.manager.runDue();
    await vi.waitFor(() => expect(h.target.revokeCalls).toHaveLength(2));
    const stopping = h.manager.stop();
    gate.resolve();
    await stopping;
    await run;
    expect(h.target.revoked).toHaveLength(2);
    expect((await h.allKeys()).filter((k) => k.startsWith("id/"))).toHaveLength(8);
    // A fresh manager over the same storage picks up the rest.
    const next = h.restart();
    await next.runDue();
    expect(h.target.revoked).toHaveLength(10);
  });

  it("stop() waits for the timer's drain to finish", async () => {
    const h = makeHarness();
    await h.issue({ ttlSeconds: 0 }, { defaultTtlSeconds: 0 });
    const gate = deferred();
    h.target.revokeGate = gate.promise;
    await h.manager.start();
    await vi.waitFor(() => expect(h.target.revokeCalls).toHaveLength(1));
    let stopped = false;
    const stopping = h.manager.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    gate.resolve();
    await stopping;
    expect(h.target.revoked).toHaveLength(1);
  });
});
