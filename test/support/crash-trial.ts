/**
 * The crash trial, for any database plugin: a Mayfly server process over SQLite with one
 * database connection and role is killed with SIGKILL at a random point of a burst of
 * `database/creds` requests, restarted and unsealed, and then every generated user on the
 * target must hold a live lease or be gone. What differs between databases sits behind
 * `CrashTarget` (test/support/crash-targets.ts).
 *
 * Which lease covers which user is read from the server's own storage (decrypted with the
 * root key, read-only), because the API does not return a lease's username; the usernames
 * of the answers the client did receive check that reading, and the engine's orphan sweep
 * is asked as well.
 */
import { expect } from "vitest";
import type { LeaseRecord } from "../../src/core/expiration/lease-record.js";
import { makeTempDir, removeDir } from "./process.js";
import {
  initServer,
  MayflyProcess,
  readLeaseRecords,
  rootKeyOf,
  trialReport,
  unsealServer,
  type InitResult,
  type Trial,
} from "./crash.js";

/** One database as the trial sees it: a throwaway instance with an admin for Mayfly. */
export interface CrashTarget {
  /** How the report names it: "PostgreSQL", "MariaDB", "Redis". */
  readonly label: string;
  /** The body of `database/config/<name>`: plugin, where to connect, Mayfly's admin. */
  readonly connection: Readonly<Record<string, unknown>>;
  /** The body of `database/roles/<name>` but its `db_name`. */
  readonly role: Readonly<Record<string, unknown>>;
  /** A name that looks generated (it starts with the template's fixed prefix), to plant an orphan. */
  readonly plantedUsername: string;
  /** Every user on the target whose name looks generated. */
  generatedUsers(): Promise<Set<string>>;
  /** Sessions Mayfly's admin holds (or a killed server left, until the target notices). */
  engineSessions(): Promise<number>;
  canLogin(username: string, password: string): Promise<boolean>;
  /** Behind Mayfly's back, to check the check. */
  createUser(username: string): Promise<void>;
  dropUser(username: string): Promise<void>;
  /** Stops the instance and removes its files. */
  stop(): Promise<void>;
}

export interface CrashRigOptions {
  configName: string;
  roleName: string;
  shares: number;
  threshold: number;
}

export interface TrialPlan {
  trials: number;
  seed: number;
  maxKillDelayMs: number;
  random: () => number;
}

interface Burst {
  /** Requests sent and not yet answered, right now. */
  inFlight(): number;
  /** Stops sending; resolves when every request has settled. */
  settle(): Promise<{ sent: number; ok: Map<string, string>; failedAnswers: string[]; cut: number }>;
}

export interface Verdict {
  live: Set<string>;
  notLive: string[];
  usernameOfLease: Map<string, string>;
  /** Generated users on the target that no live lease covers. */
  orphans: string[];
  /** Live leases whose user is not on the target. */
  ghosts: string[];
  /** What the engine's own orphan sweep reports. */
  sweepOrphans: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const usernameOf = (rec: LeaseRecord): string => String(rec.internal.username ?? "");

/** A server over SQLite, initialised, unsealed, with a database mount, one connection and one role on `target`. */
export class CrashRig {
  private constructor(
    readonly target: CrashTarget,
    readonly server: MayflyProcess,
    readonly init: InitResult,
    readonly rootKey: Buffer,
    private readonly dir: string,
    private readonly opts: CrashRigOptions,
  ) {}

  static async start(target: CrashTarget, opts: CrashRigOptions): Promise<CrashRig> {
    const dir = makeTempDir("crash");
    const server = new MayflyProcess(dir);
    try {
      await server.start();
      const init = await initServer(server, opts.shares, opts.threshold);
      const rig = new CrashRig(target, server, init, rootKeyOf(init.keysHex, opts.threshold), dir, opts);
      await unsealServer(server, init.keysHex);
      const token = init.rootToken;
      const mount = await server.api("POST", "sys/mounts/database", { token, body: { type: "database" } });
      expect(mount.status).toBeLessThan(300);
      const config = await server.api("POST", `database/config/${opts.configName}`, {
        token,
        body: { ...target.connection, allowed_roles: "*", verify_connection: true },
      });
      expect(config.status, JSON.stringify(config.body)).toBeLessThan(300);
      const role = await server.api("POST", `database/roles/${opts.roleName}`, {
        token,
        body: { db_name: opts.configName, ...target.role },
      });
      expect(role.status, JSON.stringify(role.body)).toBeLessThan(300);
      return rig;
    } catch (e) {
      await server.dispose();
      removeDir(dir);
      throw e;
    }
  }

  /** Stops the server for good and removes its files; the target is the caller's to stop. */
  async dispose(): Promise<void> {
    await this.server.dispose();
    removeDir(this.dir);
  }

  get leasePrefix(): string {
    return `database/creds/${this.opts.roleName}/`;
  }

  private get token(): string {
    return this.init.rootToken;
  }

  generatedUsers(): Promise<Set<string>> {
    return this.target.generatedUsers();
  }

  /**
   * A credential issued before any crash must work, and the audit must see what it looks
   * for: a generated-looking user made behind Mayfly's back is an orphan, and a lease whose
   * user was dropped behind its back a ghost. Otherwise the trials would prove nothing.
   */
  async checkTheCheck(): Promise<void> {
    const { server, target, token } = this;
    const credsPath = `database/creds/${this.opts.roleName}`;
    const first = await server.api("GET", credsPath, { token });
    expect(first.status).toBe(200);
    const creds = first.body.data as { username: string; password: string };
    expect(await target.canLogin(creds.username, creds.password)).toBe(true);
    expect((await server.api("PUT", "sys/leases/revoke", { token, body: { lease_id: first.body.lease_id } })).status).toBe(204);
    expect(await this.generatedUsers()).toEqual(new Set());

    const held = await server.api("GET", credsPath, { token });
    expect(held.status).toBe(200);
    const heldUser = (held.body.data as { username: string }).username;
    await target.createUser(target.plantedUsername);
    await target.dropUser(heldUser);
    const planted = await this.audit();
    expect(planted.orphans).toEqual([target.plantedUsername]);
    expect(planted.sweepOrphans).toEqual([target.plantedUsername]);
    expect(planted.ghosts).toEqual([heldUser]);
    await target.dropUser(target.plantedUsername);
    expect((await server.api("PUT", "sys/leases/revoke", { token, body: { lease_id: held.body.lease_id } })).status).toBe(204);
    expect((await this.audit()).live.size).toBe(0);
  }

  /** `plan.trials` kills in a row; prints the report even when one fails. */
  async runTrials(plan: TrialPlan): Promise<Trial[]> {
    const trials: Trial[] = [];
    try {
      for (let i = 0; i < plan.trials; i++) trials.push(await this.runTrial(i, plan));
    } finally {
      if (trials.length > 0) console.log(trialReport(trials, plan.seed, plan.maxKillDelayMs, this.target.label));
    }
    return trials;
  }

  /** Waits until no lease record is left pending or being revoked; returns how long that took. */
  async waitForRecovery(timeoutMs: number): Promise<number> {
    const startedAt = Date.now();
    for (;;) {
      const records = await readLeaseRecords(this.server.dbPath, this.rootKey);
      const unsettled = [...records.values()].filter((r) => r.state !== "active");
      if (unsettled.length === 0) return Date.now() - startedAt;
      if (Date.now() - startedAt > timeoutMs) {
        throw new Error(
          `recovery unfinished after ${timeoutMs} ms: ${unsettled
            .map((r) => `${r.leaseId} ${r.state} attempts=${r.revokeAttempts} ${r.lastError}`)
            .join("; ")}\n${this.server.newLog().slice(-2000)}`,
        );
      }
      await sleep(50);
    }
  }

  /** Every generated user on the target against the live leases the API lists. */
  async audit(): Promise<Verdict> {
    const { live, notLive } = await this.liveLeasesByApi();
    const records = await readLeaseRecords(this.server.dbPath, this.rootKey);
    const users = await this.generatedUsers();
    const usernameOfLease = new Map<string, string>();
    for (const id of live) {
      const rec = records.get(id);
      if (rec === undefined) throw new Error(`a live lease with no record in storage: ${id}`);
      usernameOfLease.set(id, usernameOf(rec));
    }
    const covered = new Set(usernameOfLease.values());
    const sweep = await this.server.api("GET", `database/orphans/${this.opts.configName}`, { token: this.token });
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

  /** The live leases the API shows under the role: listed, then looked up one by one. */
  private async liveLeasesByApi(): Promise<{ live: Set<string>; notLive: string[] }> {
    const { server, token, leasePrefix } = this;
    const list = await server.api("GET", `sys/leases/lookup/${leasePrefix}?list=true`, { token });
    if (list.status === 404) return { live: new Set(), notLive: [] };
    expect(list.status).toBe(200);
    const ids = ((list.body.data as { keys: string[] }).keys ?? []).map((k) => leasePrefix + k);
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

  /**
   * `concurrency` clients, each asking for a credential again as soon as it has its answer,
   * until stopped or until the server goes away under it.
   */
  private startBurst(concurrency: number): Burst {
    const { server, token } = this;
    const credsPath = `database/creds/${this.opts.roleName}`;
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
          const r = await server.api("GET", credsPath, { token, reuseConnection: true });
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

  private async runTrial(index: number, plan: TrialPlan): Promise<Trial> {
    const { server, token, rootKey, target, leasePrefix } = this;
    const { random, seed } = plan;
    // Stratified over the range, so kills land early, midway and late in a burst.
    const delayMs = Math.floor(((index + random()) / plan.trials) * plan.maxKillDelayMs);
    const concurrency = 8 + Math.floor(random() * 9);

    const burst = this.startBurst(concurrency);
    await sleep(delayMs);
    const inFlightAtKill = burst.inFlight();
    await server.kill9();
    const { sent, ok, failedAnswers, cut } = await burst.settle();
    expect(failedAnswers, `answers other than 200 before the kill (trial ${index})`).toEqual([]);

    // The moment of the crash, as storage and the target hold it.
    const lingeringSessions = await target.engineSessions();
    const atKill = await readLeaseRecords(server.dbPath, rootKey);
    const usersAtKill = await this.generatedUsers();
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
    const unsealMs = await unsealServer(server, this.init.keysHex);
    // Unseal queues the undoing of interrupted issuances and returns; until it is done the
    // users are still there, each under a record the API shows as a lease being revoked.
    const atUnseal = await readLeaseRecords(server.dbPath, rootKey);
    const unsettledAtUnseal = [...atUnseal.values()].filter((r) => r.state !== "active").length;
    const usersAtUnseal = await this.generatedUsers();
    const recordedAtUnseal = new Set([...atUnseal.values()].map(usernameOf));
    expect([...usersAtUnseal].filter((u) => !recordedAtUnseal.has(u)), `users with no lease record at unseal (trial ${index})`).toEqual([]);
    const recoveryMs = await this.waitForRecovery(20_000);
    const recoveredInLog = server.newLog().split("\n").filter((l) => l.includes("undoing an issuance interrupted by a restart")).length;

    const verdict = await this.audit();
    expect(verdict.notLive, `leases listed but not live after recovery (trial ${index})`).toEqual([]);
    // The client's own map checks the storage reading, and every answer it got must have survived.
    const lostAnswers = [...ok.keys()].filter((id) => !verdict.live.has(id));
    expect(lostAnswers, `credentials handed out whose lease did not survive the crash (trial ${index})`).toEqual([]);
    for (const [id, username] of ok) expect(verdict.usernameOfLease.get(id)).toBe(username);
    expect(verdict.orphans, `orphans after trial ${index} (seed ${seed})`).toEqual([]);
    expect(verdict.sweepOrphans, `orphans the sweep reports after trial ${index} (seed ${seed})`).toEqual([]);
    const { orphans, ghosts, sweepOrphans } = verdict;

    // A clean slate for the next trial, through the same revocation path a crash leaves behind.
    const revoke = await server.api("PUT", `sys/leases/revoke-prefix/${leasePrefix}`, { token, timeoutMs: 120_000 });
    expect(revoke.status, JSON.stringify(revoke.body)).toBe(204);
    expect([...(await this.generatedUsers())]).toEqual([]);
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
}
