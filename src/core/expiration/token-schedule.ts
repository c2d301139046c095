import type { Storage, StorageOp } from "../../storage/storage.js";
import { getJson, jsonPut } from "../../storage/storage.js";
import { keys, type ScheduleItem } from "./lease-record.js";
import { KeyedLock } from "./concurrency.js";
import { retryDelayMs, type ExpirationDeps, type ExpirationOptions } from "./options.js";
import { errText } from "./scheduler.js";

export interface TokenScheduleContext {
  readonly storage: Storage;
  readonly deps: Pick<ExpirationDeps, "nowMs" | "logger" | "revokeToken">;
  readonly opts: ExpirationOptions;
  wake(atMs: number): void;
}

/**
 * Token expiries in the same schedule as leases. `tokensched/<hash>` names the one entry
 * that counts; any other entry for the token is a leftover of a renewal and is dropped
 * unfired, so a token is never revoked at an expiry it has been renewed past.
 */
export class TokenSchedule {
  private readonly locks = new KeyedLock();

  constructor(private readonly c: TokenScheduleContext) {}

  async set(tokenHash: string, expireTimeMs: number): Promise<void> {
    await this.locks.run(tokenHash, async () => {
      const idxKey = keys.tokenSchedule(tokenHash);
      const old = await getJson<{ key: string }>(this.c.storage, idxKey);
      const ops: StorageOp[] = [];
      if (old) ops.push({ op: "delete", key: old.key });
      if (expireTimeMs > 0) {
        const key = keys.schedule(expireTimeMs, "t", tokenHash);
        ops.push(jsonPut(key, { kind: "t", id: tokenHash } satisfies ScheduleItem), jsonPut(idxKey, { key }));
      } else if (old) ops.push({ op: "delete", key: idxKey });
      if (ops.length) await this.c.storage.transaction(ops);
    });
    if (expireTimeMs > 0) this.c.wake(expireTimeMs);
  }

  /** Handles a due entry: revokes the token, or reschedules with backoff when that fails. */
  async fire(key: string, item: ScheduleItem): Promise<void> {
    const idxKey = keys.tokenSchedule(item.id);
    const current = async () => (await getJson<{ key: string }>(this.c.storage, idxKey))?.key === key;
    const live = await this.locks.run(item.id, async () => {
      if (await current()) return true;
      await this.c.storage.delete(key);
      return false;
    });
    if (!live) return;
    // Outside the lock: revoking the token clears its entry through `set(hash, 0)`.
    try {
      await this.c.deps.revokeToken(item.id);
    } catch (err) {
      const attempts = (item.attempts ?? 0) + 1;
      const nextMs = this.c.deps.nowMs() + retryDelayMs(this.c.opts, attempts);
      this.c.deps.logger.error("expired token revocation failed; will retry", { attempts, error: errText(err) });
      await this.locks.run(item.id, async () => {
        if (!(await current())) return;
        const next = keys.schedule(nextMs, "t", item.id);
        await this.c.storage.transaction([
          { op: "delete", key },
          jsonPut(next, { kind: "t", id: item.id, attempts } satisfies ScheduleItem),
          jsonPut(idxKey, { key: next }),
        ]);
      });
      this.c.wake(nextMs);
      return;
    }
    await this.locks.run(item.id, async () => {
      const ops: StorageOp[] = [{ op: "delete", key }];
      if (await current()) ops.push({ op: "delete", key: idxKey });
      await this.c.storage.transaction(ops);
    });
  }
}
