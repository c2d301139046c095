/**
 * Crash safety of database credentials (issue 3, point 4): a Mayfly server process over
 * SQLite is killed with SIGKILL at random points of a burst of `database/creds` requests,
 * restarted and unsealed, and then every generated user on PostgreSQL must hold a live
 * lease or be gone. Fifty trials, zero orphans. The trial itself is in
 * test/support/crash-trial.ts, shared with MariaDB and Redis (crash-safety-others.test.ts).
 *
 * MAYFLY_CRASH_TRIALS and MAYFLY_CRASH_SEED override the number of trials and the seed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readLeaseRecords, seeded, unsealServer, type Trial } from "./support/crash.js";
import { CrashRig } from "./support/crash-trial.js";
import { startPostgresTarget, type PostgresCrashTarget } from "./support/crash-targets.js";

const TRIALS = Number(process.env.MAYFLY_CRASH_TRIALS ?? 50);
const SEED = Number(process.env.MAYFLY_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const MAX_KILL_DELAY_MS = 400;
const CONFIG = "pg";

let target: PostgresCrashTarget;
let rig: CrashRig;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  target = await startPostgresTarget();
  rig = await CrashRig.start(target, { configName: CONFIG, roleName: "crash", shares: 3, threshold: 2 });
}, 120_000);

afterAll(async () => {
  await rig?.dispose();
  await target?.stop();
});

describe("crash safety of database credentials", () => {
  it(`kill -9 during bursts of creds, ${TRIALS} times: every generated user has a live lease or is gone`, async () => {
    await rig.checkTheCheck();
    const trials = await rig.runTrials({ trials: TRIALS, seed: SEED, maxKillDelayMs: MAX_KILL_DELAY_MS, random: seeded(SEED) });
    const total = (f: (t: Trial) => number) => trials.reduce((n, t) => n + f(t), 0);
    expect(total((t) => t.orphans)).toBe(0);
    // The trials must have hit the window that matters: users created whose lease was not yet live.
    expect(total((t) => t.pendingWithUser + t.pendingWithoutUser)).toBeGreaterThan(0);
    expect(total((t) => t.answered)).toBeGreaterThan(0);
  }, 600_000);

  /*
   * Recovery drops the user of an interrupted issuance. If the killed server's transaction
   * is still committing on PostgreSQL at that moment (a deferred trigger here; in production
   * a synchronous standby that is slow to acknowledge, or a stalled WAL flush), the user is
   * not yet visible and the first drop finds nothing. Recovery therefore revokes once more
   * after `lease_recovery_grace`, keeping the intent until then: the late user goes too.
   */
  it("a user whose COMMIT is still running when recovery drops it is dropped by the confirming revocation", async () => {
    const { server, init, rootKey } = rig;
    const { pg } = target;
    const token = init.rootToken;
    await pg.adminQuery("CREATE TABLE crash_slow_commit (x int)");
    await pg.adminQuery(
      "CREATE FUNCTION crash_slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(3); RETURN NULL; END $$",
    );
    await pg.adminQuery(
      "CREATE CONSTRAINT TRIGGER crash_slow_commit AFTER INSERT ON crash_slow_commit DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION crash_slow_commit()",
    );
    const role = await server.api("POST", "database/roles/slow-commit", {
      token,
      body: {
        db_name: CONFIG,
        creation_statements: [
          `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
          "INSERT INTO crash_slow_commit VALUES (1);",
        ],
        default_ttl: "1h",
      },
    });
    expect(role.status, JSON.stringify(role.body)).toBeLessThan(300);

    const answer = server.api("GET", "database/creds/slow-commit", { token }).then(
      (r) => r,
      (e: unknown) => e,
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = await pg.adminQuery<{ n: number }>(
        // The creation runs as one message; its deferred trigger sleeps at the implicit commit.
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = 'mayfly_admin' AND state = 'active' AND query LIKE '%INSERT INTO crash_slow_commit%' AND now() - query_start > interval '200 milliseconds'",
      );
      if ((r.rows[0]?.n ?? 0) > 0) break;
      expect(Date.now(), "the creation's COMMIT never showed up").toBeLessThan(deadline);
      await sleep(10);
    }
    await server.kill9();
    expect(await answer).toBeInstanceOf(Error);
    server.recoveryGrace = "6s";
    try {
      await server.start();
      await unsealServer(server, init.keysHex);
      // The first drop ran before the COMMIT landed; the intent must still be there.
      expect((await readLeaseRecords(server.dbPath, rootKey)).size, "recovery kept the intent until it confirms").toBe(1);
      let users = await rig.generatedUsers();
      while (users.size === 0 && Date.now() < deadline + 10_000) {
        await sleep(100);
        users = await rig.generatedUsers();
      }
      expect(users.size, "the late COMMIT brought the user in").toBe(1);
      await rig.waitForRecovery(20_000);
      expect(await rig.generatedUsers(), "the confirming revocation dropped the late user").toEqual(new Set());
      expect((await readLeaseRecords(server.dbPath, rootKey)).size).toBe(0);
      const verdict = await rig.audit();
      expect(verdict.orphans).toEqual([]);
      expect(verdict.sweepOrphans).toEqual([]);
    } finally {
      server.recoveryGrace = "1s";
    }
  }, 120_000);
});
