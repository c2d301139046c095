/**
 * Crash tests: a Mayfly server as a child process over SQLite that can be killed with
 * SIGKILL and started again on the same files, a small HTTP client that survives the
 * server vanishing under it, and a read-only look at the lease records in the server's
 * storage (the API never returns a lease's internal data, such as the username it covers);
 * and the seeded generator and report of the crash trials (run by ./crash-trial.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { Barrier } from "../../src/core/barrier/index.js";
import { combine } from "../../src/core/seal/index.js";
import type { LeaseRecord } from "../../src/core/expiration/lease-record.js";
import type { Storage } from "../../src/storage/storage.js";
import { freePort, trackInstance, watchdogPidFile } from "./process.js";

/** The checkout whose `bin/mayfly` (and built `dist/`) runs; MAYFLY_CRASH_ROOT points at another build. */
const REPO_ROOT = process.env.MAYFLY_CRASH_ROOT ?? fileURLToPath(new URL("../../", import.meta.url));

export interface Reply {
  status: number;
  body: Record<string, unknown>;
}

/**
 * One request. Each server incarnation gets its own agents, destroyed at the kill, so no
 * request of the next incarnation lands on a socket of the dead one.
 */
export function request(
  baseUrl: string,
  agent: http.Agent,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = http.request(
      `${baseUrl}/v1/${path}`,
      {
        method,
        agent,
        headers: {
          ...(opts.token !== undefined ? { "X-Vault-Token": opts.token } : {}),
          ...(payload !== undefined ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) } : {}),
        },
        timeout: opts.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        // A server killed mid-answer: the body never completes.
        res.on("close", () => {
          if (!res.complete) reject(new Error(`${method} ${path}: the connection closed mid-answer`));
        });
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          try {
            resolve({ status: res.statusCode ?? 0, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) });
          } catch (e) {
            reject(new Error(`${method} ${path}: answer is not JSON (${res.statusCode}): ${text.slice(0, 200)}`, { cause: e }));
          }
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within ${opts.timeoutMs ?? 30_000} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/**
 * `node bin/mayfly server -config=<dir>/server.hcl` over `<dir>/mayfly.db`, logging to
 * `<dir>/server.log`. The same files and port serve every incarnation.
 */
export class MayflyProcess {
  readonly dbPath: string;
  readonly logPath: string;
  private readonly configPath: string;
  private port = 0;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** Keep-alive connections for bursts; a fresh connection for every other call, so none meets a socket the server closed as idle. */
  private agent: http.Agent | undefined;
  private oneShotAgent: http.Agent | undefined;
  private untrack: (() => void) | undefined;
  /** Starts of the current incarnation's lines in the log, to read what it said. */
  private logOffset = 0;
  /** Written into the config at each start: how long recovery waits to confirm its drops. */
  recoveryGrace = "1s";

  constructor(private readonly dir: string) {
    this.dbPath = join(dir, "mayfly.db");
    this.logPath = join(dir, "server.log");
    this.configPath = join(dir, "server.hcl");
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the server and waits until it answers `sys/seal-status`. */
  async start(): Promise<void> {
    if (this.child !== undefined) throw new Error("the server is already running");
    if (this.port === 0) this.port = await freePort();
    this.untrack ??= trackInstance(() => this.child?.pid, "SIGKILL", this.dir);
    for (let attempt = 1; ; attempt++) {
      this.writeConfig();
      try {
        await this.launch();
        return;
      } catch (e) {
        // The port was taken while no incarnation held it: move to another.
        if (attempt < 4 && /EADDRINUSE|address already in use/i.test(this.newLog())) {
          this.port = await freePort();
          continue;
        }
        throw e;
      }
    }
  }

  /** SIGKILL, then waits for the process to be gone. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    child.kill("SIGKILL");
    await this.exited;
  }

  /** A clean stop (SIGTERM), SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    child.kill("SIGTERM");
    const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), graceMs).unref());
    if ((await Promise.race([this.exited, timer])) === "timeout") await this.kill9();
  }

  /** Stops for good and unregisters the watchdog. */
  async dispose(): Promise<void> {
    await this.kill9();
    this.untrack?.();
    this.untrack = undefined;
  }

  api(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; timeoutMs?: number; reuseConnection?: boolean } = {},
  ): Promise<Reply> {
    const agent = opts.reuseConnection === true ? this.agent : this.oneShotAgent;
    if (agent === undefined) return Promise.reject(new Error("the server is not running"));
    return request(this.baseUrl, agent, method, path, opts);
  }

  /** What the current incarnation has logged so far. */
  newLog(): string {
    try {
      return readFileSync(this.logPath).subarray(this.logOffset).toString("utf8");
    } catch {
      return "";
    }
  }

  private writeConfig(): void {
    writeFileSync(
      this.configPath,
      [
        `storage "sqlite" {`,
        `  path = "${this.dbPath}"`,
        `}`,
        `listener "tcp" {`,
        `  address     = "127.0.0.1:${this.port}"`,
        `  tls_disable = true`,
        `}`,
        `log_level = "info"`,
        `lease_recovery_grace = "${this.recoveryGrace}"`,
        ``,
      ].join("\n"),
    );
  }

  private async launch(): Promise<void> {
    const logFd = openSync(this.logPath, "a");
    try {
      this.logOffset = readFileSync(this.logPath).length;
      const child = spawn(process.execPath, [join(REPO_ROOT, "bin", "mayfly"), "server", `-config=${this.configPath}`], {
        cwd: REPO_ROOT,
        stdio: ["ignore", logFd, logFd],
      });
      this.child = child;
      this.exited = new Promise<void>((resolve) => {
        const done = () => {
          if (this.child === child) {
            this.child = undefined;
            this.agent?.destroy();
            this.agent = undefined;
            this.oneShotAgent?.destroy();
            this.oneShotAgent = undefined;
          }
          resolve();
        };
        child.once("exit", done);
        child.once("error", done);
      });
    } finally {
      closeSync(logFd);
    }
    writeFileSync(watchdogPidFile(this.dir), String(this.child?.pid ?? ""));
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    this.oneShotAgent = new http.Agent({ keepAlive: false });
    const deadline = Date.now() + 30_000;
    let last: unknown;
    for (;;) {
      if (this.child === undefined) throw new Error(`the Mayfly server exited during start-up:\n${this.newLog().slice(-3000)}`);
      try {
        const r = await this.api("GET", "sys/seal-status", { timeoutMs: 2_000 });
        if (r.status === 200) return;
        last = new Error(`sys/seal-status answered ${r.status}`);
      } catch (e) {
        last = e;
      }
      if (Date.now() > deadline) {
        await this.kill9();
        throw new Error(`the Mayfly server did not answer within 30 s: ${String(last)}\n${this.newLog().slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** `sys/init` and the unseal keys, as hex strings and as the root key they combine to. */
export interface InitResult {
  keysHex: string[];
  rootToken: string;
}

export async function initServer(server: MayflyProcess, shares: number, threshold: number): Promise<InitResult> {
  const r = await server.api("PUT", "sys/init", { body: { secret_shares: shares, secret_threshold: threshold } });
  if (r.status !== 200) throw new Error(`sys/init answered ${r.status}: ${JSON.stringify(r.body)}`);
  return { keysHex: r.body.keys as string[], rootToken: String(r.body.root_token) };
}

/** Submits keys until unsealed; resolves with the time the last `sys/unseal` took. */
export async function unsealServer(server: MayflyProcess, keysHex: readonly string[]): Promise<number> {
  for (const key of keysHex) {
    const startedAt = Date.now();
    const r = await server.api("PUT", "sys/unseal", { body: { key }, timeoutMs: 60_000 });
    if (r.status !== 200) throw new Error(`sys/unseal answered ${r.status}: ${JSON.stringify(r.body)}`);
    if (r.body.sealed === false) return Date.now() - startedAt;
  }
  throw new Error("still sealed after every key");
}

/** The root key the shares open the barrier with (one share is the root key itself). */
export function rootKeyOf(keysHex: readonly string[], threshold: number): Buffer {
  const parts = keysHex.slice(0, threshold).map((k) => Buffer.from(k, "hex"));
  return threshold === 1 ? (parts[0] as Buffer) : combine(parts);
}

/**
 * Every lease record in a server's SQLite file, decrypted with the root key. Reads only:
 * the file is opened read-only, so this neither disturbs a running server nor checkpoints
 * the WAL a killed one left behind.
 */
export async function readLeaseRecords(dbPath: string, rootKey: Buffer): Promise<Map<string, LeaseRecord>> {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const getStmt = db.prepare("SELECT value FROM kv WHERE key = ?").pluck();
    const raw: Storage = {
      get: async (key) => getStmt.get(key) as Buffer | undefined,
      put: readOnly,
      delete: readOnly,
      list: readOnly,
      listPage: readOnly,
      transaction: readOnly,
      close: async () => undefined,
    };
    const barrier = new Barrier(raw);
    await barrier.unseal(rootKey);
    const prefix = "sys/expire/id/";
    // Every key under "x/" sorts below "x0": the range holds the whole subtree.
    const keys = db.prepare("SELECT key FROM kv WHERE key >= ? AND key < ?").pluck().all(prefix, "sys/expire/id0") as string[];
    const out = new Map<string, LeaseRecord>();
    for (const key of keys) {
      const plain = await barrier.get(key);
      if (plain === undefined) continue;
      const rec = JSON.parse(plain.toString("utf8")) as LeaseRecord;
      out.set(rec.leaseId, rec);
    }
    barrier.seal();
    return out;
  } finally {
    db.close();
  }
}

async function readOnly(): Promise<never> {
  throw new Error("the lease reader is read-only");
}

/** mulberry32: a small seeded generator, so a failing run can be replayed with its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What one kill found and left. */
export interface Trial {
  delayMs: number;
  concurrency: number;
  sent: number;
  inFlightAtKill: number;
  answered: number;
  cut: number;
  failedAnswers: number;
  /** Found right after the kill, in storage and on the target. */
  pendingWithUser: number;
  pendingWithoutUser: number;
  activeUnseen: number;
  usersWithoutIntent: number;
  lingeringSessions: number;
  /** After restart. */
  recoveredInLog: number;
  unsettledAtUnseal: number;
  restartMs: number;
  unsealMs: number;
  recoveryMs: number;
  orphans: number;
  sweepOrphans: number;
  ghosts: number;
  lostAnswers: number;
}

/** The distribution of where the kills landed, and what recovery found, as a table. */
export function trialReport(trials: readonly Trial[], seed: number, maxKillDelayMs: number, targetLabel: string): string {
  const sum = (f: (t: Trial) => number, ts: readonly Trial[] = trials) => ts.reduce((n, t) => n + f(t), 0);
  const lines = [`crash safety: ${trials.length} trials, seed ${seed}`];
  lines.push("kill delay   trials  sent  answered  in-flight@kill  pending+user  pending-user  active-unseen");
  const step = 100;
  for (let from = 0; from < maxKillDelayMs; from += step) {
    const ts = trials.filter((t) => t.delayMs >= from && t.delayMs < from + step);
    lines.push(
      `${String(from).padStart(3)}-${String(from + step).padEnd(3)} ms ${String(ts.length).padStart(7)} ${String(sum((t) => t.sent, ts)).padStart(5)} ` +
        `${String(sum((t) => t.answered, ts)).padStart(9)} ${String(sum((t) => t.inFlightAtKill, ts)).padStart(15)} ` +
        `${String(sum((t) => t.pendingWithUser, ts)).padStart(13)} ${String(sum((t) => t.pendingWithoutUser, ts)).padStart(13)} ` +
        `${String(sum((t) => t.activeUnseen, ts)).padStart(14)}`,
    );
  }
  const withUser = trials.filter((t) => t.pendingWithUser > 0).length;
  const withPending = trials.filter((t) => t.pendingWithUser + t.pendingWithoutUser > 0).length;
  lines.push(
    `trials whose kill left an intent pending: ${withPending}; with its user already created: ${withUser}; ` +
      `with a live lease whose answer was cut off: ${trials.filter((t) => t.activeUnseen > 0).length}`,
    `intents recovered (log): ${sum((t) => t.recoveredInLog)}; still unsettled when unseal returned: ${sum((t) => t.unsettledAtUnseal)}; ` +
      `recovery done within max ${Math.max(...trials.map((t) => t.recoveryMs))} ms of unseal; unseal max ${Math.max(...trials.map((t) => t.unsealMs))} ms`,
    `engine sessions still open on ${targetLabel} right after a kill: max ${Math.max(...trials.map((t) => t.lingeringSessions))}; ` +
      `restart to answering: min ${Math.min(...trials.map((t) => t.restartMs))} ms`,
    `orphans: ${sum((t) => t.orphans)}; sweep orphans: ${sum((t) => t.sweepOrphans)}; ghost leases: ${sum((t) => t.ghosts)}; ` +
      `answers lost: ${sum((t) => t.lostAnswers)}; users without intent at kill: ${sum((t) => t.usersWithoutIntent)}`,
  );
  return lines.join("\n");
}
