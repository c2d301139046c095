/**
 * Crash safety of database credentials (issue 3, point 4): a Mayfly server process over
 * SQLite is killed with SIGKILL at random points of a burst of `database/creds` requests,
 * restarted and unsealed, and then every generated user on PostgreSQL must hold a live
 * lease or be gone. Fifty trials, zero orphans.
 *
 * Which lease covers which user is read from the server's own storage (decrypted with the
 * root key, read-only), because the API does not return a lease's username; the usernames
 * of the answers the client did receive check that reading, and the engine's orphan sweep
 * is asked as well.
 *
 * MAYFLY_CRASH_TRIALS and MAYFLY_CRASH_SEED override the number of trials and the seed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LeaseRecord } from "../src/core/expiration/lease-record.js";
import { startPostgres, randomPassword, type PostgresInstance } from "./support/index.js";
import { makeTempDir, removeDir } from "./support/process.js";
import {
  initServer,
  MayflyProcess,
  readLeaseRecords,
  rootKeyOf,
  seeded,
  trialReport,
  unsealServer,
  type InitResult,
  type Trial,
} from "./support/crash.js";

const TRIALS = Number(process.env.MAYFLY_CRASH_TRIALS ?? 50);
const SEED = Number(process.env.MAYFLY_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const MAX_KILL_DELAY_MS = 400;
const ROLE = "crash";
const CONFIG = "pg";
const LEASE_PREFIX = `database/creds/${ROLE}/`;
const SHARES = 3;
const THRESHOLD = 2;
/** Generated users start with this (Vault's default template: v-<display>-<role>-...). */
const USER_PATTERN = "v-%";

let pg: PostgresInstance;
let dir: string;
let server: MayflyProcess;
let init: InitResult;
let rootKey: Buffer;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function generatedUsers(): Promise<Set<string>> {
  const r = await pg.adminQuery<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname LIKE $1", [USER_PATTERN]);
  return new Set(r.rows.map((row) => row.rolname));
}

/** Sessions the engine's pool holds (or a killed server left, until PostgreSQL notices). */
async function engineSessions(): Promise<number> {
  const r = await pg.adminQuery<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE usename = 'mayfly_admin'");
  return Number(r.rows[0]?.n ?? 0);
}

const usernameOf = (rec: LeaseRecord): string => String(rec.internal.username ?? "");

interface Burst {
  /** Requests sent and not yet answered, right now. */
  inFlight(): number;
  /** Stops sending; resolves when every request has settled. */
  settle(): Promise<{ sent: number; ok: Map<string, string>; failedAnswers: string[]; cut: number }>;
}

/**
 * `concurrency` clients, each asking for a credential again as soon as it has its answer,
 * until stopped or until the server goes away under it.
 */
function startBurst(target: MayflyProcess, token: string, concurrency: number): Burst {
  let stopped = false;
  let inFlight = 0;
  let sent = 0;
  let cut = 0;
  const ok = new Map<string, string>();
  const failedAnswers: string[] = [];
  const worker = async (): Promise<void> => {
    while (!stopped) {
      inFlight++;
      sent++;
      try {
        const r = await target.api("GET", `database/creds/${ROLE}`, { token, reuseConnection: true });
        if (r.status === 200) {
          const data = r.body.data as { username: string };
          ok.set(String(r.body.lease_id), data.username);
        } else {
          failedAnswers.push(`${r.status} ${JSON.stringify(r.body.errors ?? r.body)}`);
        }
      } catch {
        // The connection died with the server: this request's fate is the server's to tell.
        cut++;
        return;
      } finally {
        inFlight--;
      }
    }
  };
  const workers = Array.from({ length: concurrency }, () => worker());
  return {
    inFlight: () => inFlight,
    async settle() {
      stopped = true;
      await Promise.all(workers);
      return { sent, ok, failedAnswers, cut };
    },
  };
}

/** The live leases the API shows under the role: listed, then looked up one by one. */
async function liveLeasesByApi(token: string): Promise<{ live: Set<string>; notLive: string[] }> {
  const list = await server.api("GET", `sys/leases/lookup/${LEASE_PREFIX}?list=true`, { token });
  if (list.status === 404) return { live: new Set(), notLive: [] };
  expect(list.status).toBe(200);
  const ids = ((list.body.data as { keys: string[] }).keys ?? []).map((k) => LEASE_PREFIX + k);
  const live = new Set<string>();
  const notLive: string[] = [];
  for (const id of ids) {
    const r = await server.api("PUT", "sys/leases/lookup", { token, body: { lease_id: id } });
    // A lease being revoked still answers, but no longer as renewable; the role's are.
    if (r.status === 200 && (r.body.data as { renewable: boolean }).renewable) live.add(id);
    else notLive.push(`${id}: ${r.status} ${JSON.stringify(r.body.data ?? r.body.errors)}`);
  }
  return { live, notLive };
}

/** Waits until no lease record is left pending or being revoked; returns how long that took. */
async function waitForRecovery(timeoutMs: number): Promise<number> {
  const startedAt = Date.now();
  for (;;) {
    const records = await readLeaseRecords(server.dbPath, rootKey);
    const unsettled = [...records.values()].filter((r) => r.state !== "active");
    if (unsettled.length === 0) return Date.now() - startedAt;
    if (Date.now() - startedAt > timeoutMs) {
      throw new Error(
        `recovery unfinished after ${timeoutMs} ms: ${unsettled
          .map((r) => `${r.leaseId} ${r.state} attempts=${r.revokeAttempts} ${r.lastError}`)
          .join("; ")}\n${server.newLog().slice(-2000)}`,
      );
    }
    await sleep(50);
  }
}

interface Verdict {
  live: Set<string>;
  notLive: string[];
  usernameOfLease: Map<string, string>;
  /** Generated users on the database that no live lease covers. */
  orphans: string[];
  /** Live leases whose user is not on the database. */
  ghosts: string[];
  /** What the engine's own orphan sweep reports. */
  sweepOrphans: string[];
}

/** Every generated user on PostgreSQL against the live leases the API lists. */
async function audit(token: string): Promise<Verdict> {
  const { live, notLive } = await liveLeasesByApi(token);
  const records = await readLeaseRecords(server.dbPath, rootKey);
  const users = await generatedUsers();
  const usernameOfLease = new Map<string, string>();
  for (const id of live) {
    const rec = records.get(id);
    if (rec === undefined) throw new Error(`a live lease with no record in storage: ${id}`);
    usernameOfLease.set(id, usernameOf(rec));
  }
  const covered = new Set(usernameOfLease.values());
  const sweep = await server.api("GET", `database/orphans/${CONFIG}`, { token });
  expect(sweep.status, JSON.stringify(sweep.body)).toBe(200);
  return {
    live,
    notLive,
    usernameOfLease,
    orphans: [...users].filter((u) => !covered.has(u)),
    ghosts: [...covered].filter((u) => !users.has(u)),
    sweepOrphans: (sweep.body.data as { orphans: string[] }).orphans,
  };
}

async function runTrial(index: number, random: () => number): Promise<Trial> {
  const token = init.rootToken;
  // Stratified over the range, so kills land early, midway and late in a burst.
  const delayMs = Math.floor(((index + random()) / TRIALS) * MAX_KILL_DELAY_MS);
  const concurrency = 8 + Math.floor(random() * 9);

  const burst = startBurst(server, token, concurrency);
  await sleep(delayMs);
  const inFlightAtKill = burst.inFlight();
  await server.kill9();
  const { sent, ok, failedAnswers, cut } = await burst.settle();
  expect(failedAnswers, `answers other than 200 before the kill (trial ${index})`).toEqual([]);

  // The moment of the crash, as storage and the database hold it.
  const lingeringSessions = await engineSessions();
  const atKill = await readLeaseRecords(server.dbPath, rootKey);
  const usersAtKill = await generatedUsers();
  const recordOfUser = new Map<string, LeaseRecord>();
  for (const rec of atKill.values()) recordOfUser.set(usernameOf(rec), rec);
  const pending = [...atKill.values()].filter((r) => r.state === "pending");
  const pendingWithUser = pending.filter((r) => usersAtKill.has(usernameOf(r))).length;
  const usersWithoutIntent = [...usersAtKill].filter((u) => !recordOfUser.has(u));
  expect(usersWithoutIntent, `users on the database with no lease record at the kill (trial ${index})`).toEqual([]);
  const activeUnseen = [...atKill.values()].filter((r) => r.state === "active" && !ok.has(r.leaseId)).length;

  const restartedAt = Date.now();
  await server.start();
  const restartMs = Date.now() - restartedAt;
  const unsealMs = await unsealServer(server, init.keysHex);
  // Unseal queues the undoing of interrupted issuances and returns; until it is done the
  // users are still there, each under a record the API shows as a lease being revoked.
  const atUnseal = await readLeaseRecords(server.dbPath, rootKey);
  const unsettledAtUnseal = [...atUnseal.values()].filter((r) => r.state !== "active").length;
  const usersAtUnseal = await generatedUsers();
  const recordedAtUnseal = new Set([...atUnseal.values()].map(usernameOf));
  expect([...usersAtUnseal].filter((u) => !recordedAtUnseal.has(u)), `users with no lease record at unseal (trial ${index})`).toEqual([]);
  const recoveryMs = await waitForRecovery(20_000);
  const recoveredInLog = server.newLog().split("\n").filter((l) => l.includes("undoing an issuance interrupted by a restart")).length;

  const verdict = await audit(token);
  expect(verdict.notLive, `leases listed but not live after recovery (trial ${index})`).toEqual([]);
  // The client's own map checks the storage reading, and every answer it got must have survived.
  const lostAnswers = [...ok.keys()].filter((id) => !verdict.live.has(id));
  expect(lostAnswers, `credentials handed out whose lease did not survive the crash (trial ${index})`).toEqual([]);
  for (const [id, username] of ok) expect(verdict.usernameOfLease.get(id)).toBe(username);
  expect(verdict.orphans, `orphans after trial ${index} (seed ${SEED})`).toEqual([]);
  expect(verdict.sweepOrphans, `orphans the sweep reports after trial ${index} (seed ${SEED})`).toEqual([]);
  const { orphans, ghosts, sweepOrphans } = verdict;

  // A clean slate for the next trial, through the same revocation path a crash leaves behind.
  const revoke = await server.api("PUT", `sys/leases/revoke-prefix/${LEASE_PREFIX}`, { token, timeoutMs: 120_000 });
  expect(revoke.status, JSON.stringify(revoke.body)).toBe(204);
  expect([...(await generatedUsers())]).toEqual([]);
  expect((await readLeaseRecords(server.dbPath, rootKey)).size).toBe(0);

  return {
    delayMs,
    concurrency,
    sent,
    inFlightAtKill,
    answered: ok.size,
    cut,
    failedAnswers: failedAnswers.length,
    pendingWithUser,
    pendingWithoutUser: pending.length - pendingWithUser,
    activeUnseen,
    usersWithoutIntent: usersWithoutIntent.length,
    lingeringSessions,
    recoveredInLog,
    unsettledAtUnseal,
    restartMs,
    unsealMs,
    recoveryMs,
    orphans: orphans.length,
    sweepOrphans: sweepOrphans.length,
    ghosts: ghosts.length,
    lostAnswers: lostAnswers.length,
  };
}

beforeAll(async () => {
  pg = await startPostgres();
  const adminPassword = randomPassword();
  await pg.adminQuery(`CREATE ROLE mayfly_admin WITH LOGIN SUPERUSER PASSWORD '${adminPassword}'`);
  await pg.adminQuery("CREATE ROLE crash_readers NOLOGIN");
  dir = makeTempDir("crash");
  server = new MayflyProcess(dir);
  await server.start();
  init = await initServer(server, SHARES, THRESHOLD);
  rootKey = rootKeyOf(init.keysHex, THRESHOLD);
  await unsealServer(server, init.keysHex);
  const token = init.rootToken;
  const mount = await server.api("POST", "sys/mounts/database", { token, body: { type: "database" } });
  expect(mount.status).toBeLessThan(300);
  const config = await server.api("POST", `database/config/${CONFIG}`, {
    token,
    body: {
      plugin_name: "postgresql-database-plugin",
      connection_url: pg.templatedConnectionUrl,
      username: "mayfly_admin",
      password: adminPassword,
      allowed_roles: "*",
      verify_connection: true,
    },
  });
  expect(config.status, JSON.stringify(config.body)).toBeLessThan(300);
  const role = await server.api("POST", `database/roles/${ROLE}`, {
    token,
    body: {
      db_name: CONFIG,
      creation_statements: [
        `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
        `GRANT crash_readers TO "{{name}}";`,
      ],
      revocation_statements: [`DROP ROLE IF EXISTS "{{name}}";`],
      default_ttl: "1h",
      max_ttl: "2h",
    },
  });
  expect(role.status, JSON.stringify(role.body)).toBeLessThan(300);
}, 120_000);

afterAll(async () => {
  await server?.dispose();
  await pg?.stop();
  if (dir) removeDir(dir);
});

describe("crash safety of database credentials", () => {
  it(`kill -9 during bursts of creds, ${TRIALS} times: every generated user has a live lease or is gone`, async () => {
    // A credential issued before any crash must work, or the trials would prove nothing.
    const first = await server.api("GET", `database/creds/${ROLE}`, { token: init.rootToken });
    expect(first.status).toBe(200);
    const creds = first.body.data as { username: string; password: string };
    expect(await pg.canLogin(creds.username, creds.password)).toBe(true);
    expect((await server.api("PUT", "sys/leases/revoke", { token: init.rootToken, body: { lease_id: first.body.lease_id } })).status).toBe(204);
    expect(await generatedUsers()).toEqual(new Set());

    // The check itself must see what it is looking for: a generated-looking user made behind
    // Mayfly's back is an orphan, and a lease whose user was dropped behind its back a ghost.
    const held = await server.api("GET", `database/creds/${ROLE}`, { token: init.rootToken });
    expect(held.status).toBe(200);
    const heldUser = (held.body.data as { username: string }).username;
    await pg.adminQuery(`CREATE ROLE "v-made-behind-mayflys-back"`);
    await pg.adminQuery(`DROP ROLE "${heldUser}"`);
    const planted = await audit(init.rootToken);
    expect(planted.orphans).toEqual(["v-made-behind-mayflys-back"]);
    expect(planted.sweepOrphans).toEqual(["v-made-behind-mayflys-back"]);
    expect(planted.ghosts).toEqual([heldUser]);
    await pg.adminQuery(`DROP ROLE "v-made-behind-mayflys-back"`);
    expect((await server.api("PUT", "sys/leases/revoke", { token: init.rootToken, body: { lease_id: held.body.lease_id } })).status).toBe(204);
    expect((await audit(init.rootToken)).live.size).toBe(0);

    const random = seeded(SEED);
    const trials: Trial[] = [];
    try {
      for (let i = 0; i < TRIALS; i++) trials.push(await runTrial(i, random));
    } finally {
      if (trials.length > 0) console.log(trialReport(trials, SEED, MAX_KILL_DELAY_MS));
    }
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
      let users = await generatedUsers();
      while (users.size === 0 && Date.now() < deadline + 10_000) {
        await sleep(100);
        users = await generatedUsers();
      }
      expect(users.size, "the late COMMIT brought the user in").toBe(1);
      await waitForRecovery(20_000);
      expect(await generatedUsers(), "the confirming revocation dropped the late user").toEqual(new Set());
      expect((await readLeaseRecords(server.dbPath, rootKey)).size).toBe(0);
      const verdict = await audit(token);
      expect(verdict.orphans).toEqual([]);
      expect(verdict.sweepOrphans).toEqual([]);
    } finally {
      server.recoveryGrace = "1s";
    }
  }, 120_000);
});
