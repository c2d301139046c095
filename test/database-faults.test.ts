/**
 * Fault trials against real PostgreSQL, MariaDB and Redis servers that go away mid-life
 * (stopped, then started again on the same port and data): a revocation, expiry or
 * issuance while the database is down must never report what did not happen. A failed
 * revoke answers an error and keeps the lease (the credential still exists), retries run
 * until the database confirms, an issuance that failed leaves no lease, and revoke-force
 * drops the record without the target and leaves the user for the orphan sweep to find.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mariadbTarget, postgresTarget, redisTarget, trialApi, waitFor, type Answer, type FaultTarget } from "./support/fault-targets.js";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";

let db: FaultTarget;
let server: DevServer;
const { api, issue, leaseKnown, leaseIdsUnder, mountTarget } = trialApi(() => server);

function expectVaultError(r: Answer): void {
  expect(r.status).toBeGreaterThanOrEqual(400);
  expect(Array.isArray(r.body.errors)).toBe(true);
  expect((r.body.errors as unknown[]).length).toBeGreaterThan(0);
}

describe.each([
  ["PostgreSQL", postgresTarget],
  ["MariaDB", mariadbTarget],
  ["Redis", redisTarget],
] as const)("%s goes down", (_name, startTarget) => {
  beforeAll(async () => {
    db = await startTarget();
    server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0", rootTokenId: "root" });
    await mountTarget(db, "faulty", [["app", "1h"], ["short", "2s"]]);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await db?.stop();
  });

  it("a revoke fails with an error, keeps the lease and the user, and is retried once it is back", async () => {
    const cred = await issue();
    await db.pause();
    try {
      expectVaultError(await api("PUT", "sys/leases/revoke", { lease_id: cred.leaseId }));
      expect(await leaseKnown(cred.leaseId)).toBe(true);
    } finally {
      await db.resume();
    }
    // Nothing was dropped while the database could not confirm it.
    // The failed revoke stays queued: the retry drops the user without being asked again.
    await waitFor("the user is dropped by the retry", async () => !(await db.userExists(cred.username)), 20_000);
    expect(await db.canLogin(cred.username, cred.password)).toBe(false);
    await waitFor("the lease is gone", async () => !(await leaseKnown(cred.leaseId)), 5_000);
  }, 60_000);

  it("revoke-prefix fails as a whole and loses nothing; after the restart it revokes every lease", async () => {
    const creds = [await issue(), await issue()];
    await db.pause();
    try {
      expectVaultError(await api("PUT", "sys/leases/revoke-prefix/database/creds/app"));
      for (const c of creds) expect(await leaseKnown(c.leaseId)).toBe(true);
    } finally {
      await db.resume();
    }
    for (const c of creds) expect(await db.userExists(c.username)).toBe(db.usersSurviveRestart);
    const again = await api("PUT", "sys/leases/revoke-prefix/database/creds/app");
    expect(again.status).toBe(204);
    for (const c of creds) {
      expect(await db.userExists(c.username)).toBe(false);
      expect(await leaseKnown(c.leaseId)).toBe(false);
    }
  }, 60_000);

  it("a lease that expires while the database is down stays until the database confirms the drop", async () => {
    const cred = await issue("short");
    await db.pause();
    try {
      // Two seconds past its end, with attempts failing meanwhile: still stored, still listed.
      await new Promise((res) => setTimeout(res, 4_000));
      expect(await leaseKnown(cred.leaseId)).toBe(true);
      expect(await leaseIdsUnder("database/creds/short/")).toContain(cred.leaseId);
    } finally {
      await db.resume();
    }
    await waitFor("the expired user is dropped after the restart", async () => !(await db.userExists(cred.username)), 30_000);
    await waitFor("the expired lease is gone", async () => !(await leaseKnown(cred.leaseId)), 5_000);
  }, 60_000);

  it("an issuance while the database is down fails and leaves no lease behind", async () => {
    const before = await leaseIdsUnder("database/creds/app/");
    await db.pause();
    try {
      expectVaultError(await api("GET", "database/creds/app"));
    } finally {
      await db.resume();
    }
    // The failed attempt may have reached the database before it went, so its intent is
    // kept and undone once the database answers again: then nothing is left behind.
    await waitFor(
      "the failed issuance's intent is undone",
      async () => JSON.stringify(await leaseIdsUnder("database/creds/app/")) === JSON.stringify(before),
      20_000,
    );
    // And the connection recovers by itself: the next request works.
    const cred = await issue();
    expect(await db.canLogin(cred.username, cred.password)).toBe(true);
    expect((await api("PUT", "sys/leases/revoke", { lease_id: cred.leaseId })).status).toBe(204);
  }, 60_000);

  it("revoke-force drops the records without the target; the orphan sweep then finds the user", async () => {
    const cred = await issue();
    await db.pause();
    try {
      expect((await api("PUT", "sys/leases/revoke-force/database/creds/app")).status).toBe(204);
      expect(await leaseKnown(cred.leaseId)).toBe(false);
    } finally {
      await db.resume();
    }
    if (!db.usersSurviveRestart) {
      // The restart itself dropped the user: nothing is left for the sweep to find.
      expect(await db.userExists(cred.username)).toBe(false);
      return;
    }
    // Forced means the target was never told: the user still logs in, and is an orphan now.
    expect(await db.canLogin(cred.username, cred.password)).toBe(true);
    const report = await api("GET", "database/orphans/faulty");
    expect(report.status).toBe(200);
    expect((report.body.data as { orphans: string[] }).orphans).toContain(cred.username);
    const dropped = await api("POST", "database/orphans/faulty", { drop: true });
    expect(dropped.status).toBe(200);
    expect((dropped.body.data as { dropped: string[] }).dropped).toContain(cred.username);
    expect(await db.userExists(cred.username)).toBe(false);
  }, 60_000);
});
