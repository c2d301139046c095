/**
 * A manager over in-memory storage with a clock tests move and a fake target whose
 * revocations and renewals can be made to fail or to hang. Used by the unit tests only.
 */
import { InmemStorage } from "../../storage/inmem.js";
import { getJson, type Storage } from "../../storage/storage.js";
import type { Logger, SecretSpec } from "../../framework/types.js";
import { ExpirationManager, type ExpirationOptions, type IssueContext } from "./expiration-manager.js";
import { keys, type LeaseRecord } from "./lease-record.js";

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export interface LogLine {
  level: "debug" | "info" | "warn" | "error";
  msg: string;
  fields: Record<string, string | number | boolean>;
}

export class FakeTarget {
  /** Lease ids revoked on the target, in order (one per successful call). */
  readonly revoked: string[] = [];
  /** Every revoke call, successful or not. */
  readonly revokeCalls: string[] = [];
  readonly renewCalls: Array<{ leaseId: string; incrementSeconds: number; capExpireAtMs: number }> = [];
  readonly tokensRevoked: string[] = [];
  /** When set, revocations of matching leases throw this message. */
  failRevoke: ((lease: LeaseRecord) => string | undefined) | undefined;
  /** When set, revocations wait for this before answering. */
  revokeGate: Promise<void> | undefined;
  renewGate: Promise<void> | undefined;
  failRevokeToken: string | undefined;
  liveTokens = new Set<string>();
  /** Lease records as the target saw them on revoke. */
  readonly seen: LeaseRecord[] = [];
  /** Leases the backend was told were revoked (its tidying), and a failure to raise there. */
  readonly tidied: string[] = [];
  failTidy: string | undefined;
}

export interface Harness {
  storage: Storage;
  clock: { nowMs: number; advance(ms: number): void };
  target: FakeTarget;
  logs: LogLine[];
  manager: ExpirationManager;
  /** A fresh manager over the same storage, as after a restart. */
  restart(): ExpirationManager;
  issue(
    spec?: Partial<SecretSpec>,
    ctx?: Partial<IssueContext>,
    create?: (expiresAt: Date) => Promise<Record<string, unknown>>,
  ): ReturnType<ExpirationManager["issue"]>;
  record(leaseId: string): Promise<LeaseRecord | undefined>;
  /** Every key under sys/expire/ (the harness storage is that view). */
  allKeys(): Promise<string[]>;
  scheduleKeys(): Promise<string[]>;
}

export const T0 = Date.UTC(2030, 0, 1, 0, 0, 0);

export function makeHarness(options: Partial<ExpirationOptions> = {}, storage: Storage = new InmemStorage()): Harness {
  const clock = {
    nowMs: T0,
    advance(ms: number) {
      clock.nowMs += ms;
    },
  };
  const target = new FakeTarget();
  const logs: LogLine[] = [];
  const logAt =
    (level: LogLine["level"]) =>
    (msg: string, fields: Record<string, string | number | boolean> = {}) => {
      logs.push({ level, msg, fields });
    };
  const logger: Logger = { debug: logAt("debug"), info: logAt("info"), warn: logAt("warn"), error: logAt("error") };
  const build = () =>
    new ExpirationManager(
      {
        storage,
        nowMs: () => clock.nowMs,
        logger,
        revokeSecret: async (lease) => {
          target.revokeCalls.push(lease.leaseId);
          target.seen.push(structuredClone(lease));
          if (target.revokeGate) await target.revokeGate;
          const msg = target.failRevoke?.(lease);
          if (msg !== undefined) throw new Error(msg);
          target.revoked.push(lease.leaseId);
        },
        secretRevoked: async (lease) => {
          if (target.failTidy !== undefined) throw new Error(target.failTidy);
          target.tidied.push(lease.leaseId);
        },
        renewSecret: async (lease, incrementSeconds, capExpireAtMs) => {
          target.renewCalls.push({ leaseId: lease.leaseId, incrementSeconds, capExpireAtMs });
          if (target.renewGate) await target.renewGate;
          return { ttlSeconds: incrementSeconds };
        },
        revokeToken: async (tokenHash) => {
          if (target.failRevokeToken !== undefined) throw new Error(target.failRevokeToken);
          target.tokensRevoked.push(tokenHash);
          target.liveTokens.delete(tokenHash);
        },
        tokenExists: async (tokenHash) => target.liveTokens.has(tokenHash),
      },
      { maxRevokeAttempts: 6, baseBackoffMs: 1_000, maxBackoffMs: 60_000, irrevocableRetryMs: 3_600_000, pendingTimeoutMs: 300_000, ...options },
    );
  const h: Harness = {
    storage,
    clock,
    target,
    logs,
    manager: build(),
    restart: () => build(),
    issue: (spec = {}, ctx = {}, create = async () => ({ username: "u", password: "p" })) =>
      h.manager.issue(
        { path: "database/creds/ro", mountAccessor: "database_1234", tokenHash: "tok-a", defaultTtlSeconds: 3600, maxTtlSeconds: 86_400, ...ctx },
        { secretType: "creds", ttlSeconds: 0, maxTtlSeconds: 0, renewable: true, internal: { username: "u" }, ...spec },
        create,
      ),
    record: (leaseId) => getJson<LeaseRecord>(storage, keys.lease(leaseId)),
    allKeys: () => walkKeys(storage, ""),
    scheduleKeys: () => storage.list(keys.schedulePrefix),
  };
  return h;
}

async function walkKeys(s: Storage, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for (const k of await s.list(prefix)) {
    if (k.endsWith("/")) out.push(...(await walkKeys(s, prefix + k)));
    else out.push(prefix + k);
  }
  return out;
}

/** Lets every queued microtask and I/O callback run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
