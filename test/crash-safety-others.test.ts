/**
 * The crash trial of crash-safety.test.ts (test/support/crash-trial.ts) against MariaDB
 * (mysql-database-plugin) and Redis (redis-database-plugin, ACL users). Neither has
 * transactional DDL: CREATE USER commits on its own and ACL SETUSER takes effect at once,
 * so a user exists from the moment its statement ran, with or without a live lease.
 * Every generated user must hold a live lease or be gone, and every live lease's user
 * must exist: zero orphans, zero ghost leases.
 *
 * MAYFLY_CRASH_TRIALS (default 15 each, well under a minute each on two cores) and
 * MAYFLY_CRASH_SEED override the number of trials and the seed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seeded, type Trial } from "./support/crash.js";
import { CrashRig, type CrashTarget } from "./support/crash-trial.js";
import { startMariadbTarget, startRedisTarget } from "./support/crash-targets.js";

const TRIALS = Number(process.env.MAYFLY_CRASH_TRIALS ?? 15);
const SEED = Number(process.env.MAYFLY_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const MAX_KILL_DELAY_MS = 400;

function crashTrials(label: string, startTarget: () => Promise<CrashTarget>): void {
  describe(`crash safety of ${label} credentials`, () => {
    let target: CrashTarget | undefined;
    let rig: CrashRig | undefined;

    beforeAll(async () => {
      target = await startTarget();
      rig = await CrashRig.start(target, { configName: "db", roleName: "crash", shares: 3, threshold: 2 });
    }, 120_000);

    afterAll(async () => {
      await rig?.dispose();
      await target?.stop();
    });

    it(`kill -9 during bursts of creds, ${TRIALS} times: no orphan users, no ghost leases`, async () => {
      if (rig === undefined) throw new Error("the rig did not start");
      await rig.checkTheCheck();
      const trials = await rig.runTrials({ trials: TRIALS, seed: SEED, maxKillDelayMs: MAX_KILL_DELAY_MS, random: seeded(SEED) });
      const total = (f: (t: Trial) => number) => trials.reduce((n, t) => n + f(t), 0);
      expect(total((t) => t.orphans), `orphans (seed ${SEED})`).toBe(0);
      expect(total((t) => t.sweepOrphans), `orphans the sweep reports (seed ${SEED})`).toBe(0);
      expect(total((t) => t.ghosts), `live leases whose user is not on ${label} (seed ${SEED})`).toBe(0);
      // The trials must have hit the window that matters: kills with issuances under way,
      // some with their user already made.
      expect(total((t) => t.pendingWithUser + t.pendingWithoutUser)).toBeGreaterThan(0);
      expect(total((t) => t.pendingWithUser)).toBeGreaterThan(0);
      expect(total((t) => t.answered)).toBeGreaterThan(0);
    }, 600_000);
  });
}

crashTrials("MariaDB", startMariadbTarget);
crashTrials("Redis", startRedisTarget);
