import type { Storage, StorageOp } from "../../storage/storage.js";
import { getJson, jsonPut } from "../../storage/storage.js";
import { keys, type LeaseRecord } from "./lease-record.js";
import { mapLimit } from "./concurrency.js";

/** Operator views and tidy: walks that touch many leases, kept apart from the hot paths. */

/** Vault's fields (lease_id, mount_id, error, expire_time), then Mayfly's attempt count. */
export interface IrrevocableLease {
  lease_id: string;
  /** The accessor of the mount that issued the lease. */
  mount_id: string;
  error: string;
  expire_time: string;
  attempts: number;
  /** The same as `error`; kept for callers that read it. */
  last_error: string;
}

export interface TidyResult {
  revoked: number;
  retried: number;
  cleaned: number;
}

export async function listIrrevocable(
  storage: Storage,
  get: (leaseId: string) => Promise<LeaseRecord | undefined>,
  limit: number,
): Promise<IrrevocableLease[]> {
  const out: IrrevocableLease[] = [];
  const page = await storage.listPage(keys.irrevocablePrefix, "", limit);
  for (const k of page) {
    const idx = await getJson<{ leaseId: string }>(storage, keys.irrevocablePrefix + k);
    const rec = idx && (await get(idx.leaseId));
    if (!rec) continue;
    out.push({
      lease_id: rec.leaseId,
      mount_id: rec.mountAccessor,
      error: rec.lastError,
      expire_time: new Date(rec.expireTimeMs).toISOString(),
      attempts: rec.revokeAttempts,
      last_error: rec.lastError,
    });
  }
  return out;
}

export async function countIrrevocable(storage: Storage): Promise<number> {
  let n = 0;
  let after = "";
  for (;;) {
    const page = await storage.listPage(keys.irrevocablePrefix, after, 5000);
    n += page.length;
    if (page.length < 5000) return n;
    after = page[page.length - 1] ?? "";
  }
}

export interface TidyDeps {
  readonly storage: Storage;
  walk(): AsyncIterable<string>;
  get(leaseId: string): Promise<LeaseRecord | undefined>;
  tokenExists(tokenHash: string): Promise<boolean>;
  /** Queues or attempts a revocation; a failure stays scheduled for retry. */
  revoke(leaseId: string): Promise<void>;
  irrevocable(limit: number): Promise<IrrevocableLease[]>;
  readonly concurrency: number;
}

/**
 * Vault's tidy: revokes leases whose token is gone, drops token-index entries whose lease
 * is gone, and tries every irrevocable lease again.
 */
export async function tidyLeases(d: TidyDeps): Promise<TidyResult> {
  let revoked = 0;
  let cleaned = 0;
  for await (const id of d.walk()) {
    const rec = await d.get(id);
    if (!rec || rec.state === "pending") continue;
    if (rec.tokenHash && !(await d.tokenExists(rec.tokenHash))) {
      await d.revoke(id);
      revoked++;
    }
  }
  let after = "";
  for (;;) {
    const tokens = await d.storage.listPage("token/", after, 500);
    for (const t of tokens) {
      const prefix = "token/" + t;
      let afterEntry = "";
      for (;;) {
        const entries = await d.storage.listPage(prefix, afterEntry, 1000);
        for (const k of entries) {
          const idx = await getJson<{ leaseId: string }>(d.storage, prefix + k);
          if (!idx || !(await d.get(idx.leaseId))) {
            await d.storage.delete(prefix + k);
            cleaned++;
          }
        }
        if (entries.length < 1000) break;
        afterEntry = entries[entries.length - 1] ?? "";
      }
    }
    if (tokens.length < 500) break;
    after = tokens[tokens.length - 1] ?? "";
  }
  const stuck = await d.irrevocable(100_000);
  await mapLimit(stuck, d.concurrency, (s) => d.revoke(s.lease_id));
  return { revoked, retried: stuck.length, cleaned };
}

export interface MoveDeps {
  storage: Storage;
  walk(prefix: string): AsyncGenerator<string>;
  get(leaseId: string): Promise<LeaseRecord | undefined>;
  /** Runs `fn` under the lease's lock, as every read-modify-write of a record does. */
  locked<T>(leaseId: string, fn: () => Promise<T>): Promise<T>;
}

/**
 * `sys/remount`: lease ids carry the mount path, so moving a mount renames its leases
 * (record, schedule entry, token index, irrevocable index) in one transaction each, as Vault
 * does. A lease whose issuance is still running keeps its id; it is revoked through its
 * mount accessor, which a move does not change. Returns how many leases moved.
 */
export async function moveLeases(d: MoveDeps, fromPrefix: string, toPrefix: string): Promise<number> {
  const ids: string[] = [];
  for await (const id of d.walk(fromPrefix)) ids.push(id);
  let moved = 0;
  for (const oldId of ids) {
    await d.locked(oldId, async () => {
      const rec = await d.get(oldId);
      if (!rec || rec.state === "pending" || !oldId.startsWith(fromPrefix)) return;
      const newId = toPrefix + oldId.slice(fromPrefix.length);
      const atMs = Number(rec.scheduleKey.slice(keys.schedulePrefix.length, keys.schedulePrefix.length + 15));
      const moved1: LeaseRecord = {
        ...rec,
        leaseId: newId,
        path: rec.path.startsWith(fromPrefix) ? toPrefix + rec.path.slice(fromPrefix.length) : rec.path,
        scheduleKey: keys.schedule(atMs, "l", newId),
      };
      const ops: StorageOp[] = [
        { op: "delete", key: keys.lease(oldId) },
        jsonPut(keys.lease(newId), moved1),
        { op: "delete", key: rec.scheduleKey },
        jsonPut(moved1.scheduleKey, { kind: "l", id: newId }),
      ];
      if (rec.tokenHash) {
        ops.push({ op: "delete", key: keys.byToken(rec.tokenHash, oldId) }, jsonPut(keys.byToken(rec.tokenHash, newId), { leaseId: newId }));
      }
      if (rec.state === "irrevocable") {
        ops.push({ op: "delete", key: keys.irrevocable(oldId) }, jsonPut(keys.irrevocable(newId), { leaseId: newId }));
      }
      await d.storage.transaction(ops);
      moved++;
    });
  }
  return moved;
}
