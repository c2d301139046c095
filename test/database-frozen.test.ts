/**
 * Fault trials against real PostgreSQL, MariaDB and Redis servers that freeze (SIGSTOP):
 * their sockets stay open and nothing answers, as with a hung host or a network partition
 * that drops packets. Unlike a stopped server (database-faults.test.ts) no error ever comes
 * back, so only Mayfly's own deadline (default_max_request_duration, 2 s here) ends a wait.
 * Requests must fail in bounded time instead of hanging, operators must still be able to
 * reset or reconfigure the connection, nothing may be reported that did not happen, and
 * once the database wakes every user it holds has a lease or is dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mariadbTarget, postgresTarget, redisTarget, trialApi, waitFor, type Answer, type FaultTarget } from "./support/fault-targets.js";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";

const DEADLINE_SECONDS = 2;
// Deadline plus a connect timeout's worth of slack on a loaded 2-core machine; a hang is minutes.
const BOUND_MS = DEADLINE_SECONDS * 1000 + 6_000;

let db: FaultTarget;
let server: DevServer;
const { api, issue, leaseKnown, leaseIdsUnder, mountTarget } = trialApi(() => server);
const leaseCount = async (): Promise<number> => (await leaseIdsUnder("database/creds/app/")).length;

async function orphans(): Promise<string[]> {
  const r = await api("GET", "database/orphans/frozen");
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return (r.body.data as { orphans: string[] }).orphans;
}

/** A failure in bounded time, in Vault's error shape, naming the deadline. */
function expectTimelyError(r: Answer): void {
  expect(r.status, JSON.stringify(r.body)).toBe(500);
  expect(r.ms).toBeLessThan(BOUND_MS);
  const errors = r.body.errors as string[];
  expect(errors.join(" ")).toMatch(/deadline|timeout|timed out/i);
}

describe.each([
  ["PostgreSQL", () => postgresTarget({ connectTimeoutSeconds: 3 })],
  ["MariaDB", () => mariadbTarget({ connectTimeoutSeconds: 3 })],
  ["Redis", () => redisTarget()],
] as const)("%s freezes", (_name, startTarget) => {
  beforeAll(async () => {
    db = await startTarget();
    server = await startDevServer({
      logger: silentLogger,
      listenAddress: "127.0.0.1:0",
      rootTokenId: "root",
      maxRequestDurationSeconds: DEADLINE_SECONDS,
    });
    await mountTarget(db, "frozen", [["app", "1h"]]);
  }, 120_000);

  afterAll(async () => {
    db?.thaw();
    await server?.close();
    await db?.stop();
  });

  it("an issuance fails within the deadline, leaves no lease, and no user once the database wakes", async () => {
    await issue(); // the pool is open and warm: the freeze catches live connections
    const leasesBefore = await leaseCount();
    db.freeze();
    try {
      const attempts = await Promise.all([1, 2, 3].map(() => api("GET", "database/creds/app")));
      for (const r of attempts) expectTimelyError(r);
    } finally {
      db.thaw();
    }
    // Statements already sent may still run when the database wakes, so each failed
    // attempt's intent stays (listed) until its undo is confirmed; then nothing is left.
    await waitFor("the failed issuances' intents are undone", async () => (await leaseCount()) === leasesBefore, 30_000);
    expect(await orphans()).toEqual([]);
    // The retired pool does not linger: new credentials work at once.
    const fresh = await issue();
    expect(await db.canLogin(fresh.username, fresh.password)).toBe(true);
  }, 90_000);

  it("a revoke fails within the deadline and keeps the lease; the retry drops the user after the thaw", async () => {
    const cred = await issue();
    db.freeze();
    try {
      expectTimelyError(await api("PUT", "sys/leases/revoke", { lease_id: cred.leaseId }));
      expect(await leaseKnown(cred.leaseId)).toBe(true);
    } finally {
      db.thaw();
    }
    // The DROP sent before the freeze may run as the database wakes, or the retry does it.
    await waitFor("the retry drops the user", async () => !(await db.userExists(cred.username)), 30_000);
    expect(await db.canLogin(cred.username, cred.password)).toBe(false);
    await waitFor("the lease is gone", async () => !(await leaseKnown(cred.leaseId)), 10_000);
  }, 90_000);

  it("reset, config reads and writes answer while the database is frozen; issuance resumes after the thaw", async () => {
    await issue();
    db.freeze();
    try {
      // Hung calls must not hold the connection's lock against the operator.
      const hung = api("GET", "database/creds/app");
      await new Promise((res) => setTimeout(res, 300));
      const reset = await api("POST", "database/reset/frozen");
      expect(reset.ms).toBeLessThan(BOUND_MS * 2);
      expect(reset.status, JSON.stringify(reset.body)).toBeGreaterThanOrEqual(400);
      const read = await api("GET", "database/config/frozen");
      expect(read.status).toBe(200);
      expect(read.ms).toBeLessThan(1_000);
      const write = await api("POST", "database/config/frozen", { ...db.config, allowed_roles: "*", verify_connection: false });
      expect(write.status, JSON.stringify(write.body)).toBeLessThan(300);
      expect(write.ms).toBeLessThan(BOUND_MS);
      expectTimelyError(await hung);
    } finally {
      db.thaw();
    }
    const after = await issue();
    expect(await db.canLogin(after.username, after.password)).toBe(true);
    await waitFor("no user without a lease is left", async () => (await orphans()).length === 0, 30_000);
  }, 90_000);
});
