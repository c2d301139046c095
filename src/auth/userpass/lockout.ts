/**
 * User lockout as Vault (1.13+) applies it to userpass: after `threshold` wrong passwords
 * for an existing user, each no more than `counterReset` after the previous one, every
 * login for that user is refused with 403 until `duration` has passed since the last
 * failure. A successful login clears the count.
 *
 * Vault keeps this in its core and reads the settings from `sys/auth/<path>/tune`
 * `user_lockout_config`; so does Mayfly, and a mount-local `config/lockout` fills in what the
 * tune leaves unset (Mayfly's own path), then Vault's defaults.
 */
import { badRequest } from "../../framework/errors.js";
import type { FieldSchemas } from "../../framework/fields.js";
import { definePath, type PathDef } from "../../framework/types.js";
import { getJson, putJson, type Storage } from "../../storage/storage.js";

export interface LockoutConfig {
  readonly threshold: number;
  readonly durationSeconds: number;
  readonly counterResetSeconds: number;
  readonly disabled: boolean;
}

/** Vault's configutil defaults. */
export const DEFAULT_LOCKOUT: LockoutConfig = { threshold: 5, durationSeconds: 900, counterResetSeconds: 900, disabled: false };

/** As stored: 0 (or absent) means "Vault's default", as in Vault's tune values. */
interface StoredLockoutConfig {
  lockout_threshold?: number;
  lockout_duration?: number;
  lockout_counter_reset?: number;
  lockout_disable?: boolean;
}

interface FailureRecord {
  count: number;
  lastFailedMs: number;
}

const CONFIG_KEY = "config/lockout";
const FAILURE_PREFIX = "lockout/";

/** The mount's tune (`user_lockout_config`) first, then `config/lockout`, then Vault's defaults. */
export async function readLockoutConfig(storage: Storage, tune?: Readonly<StoredLockoutConfig>): Promise<LockoutConfig> {
  const stored = (await getJson<StoredLockoutConfig>(storage, CONFIG_KEY)) ?? {};
  return {
    threshold: tune?.lockout_threshold || stored.lockout_threshold || DEFAULT_LOCKOUT.threshold,
    durationSeconds: tune?.lockout_duration || stored.lockout_duration || DEFAULT_LOCKOUT.durationSeconds,
    counterResetSeconds: tune?.lockout_counter_reset || stored.lockout_counter_reset || DEFAULT_LOCKOUT.counterResetSeconds,
    disabled: tune?.lockout_disable ?? stored.lockout_disable ?? DEFAULT_LOCKOUT.disabled,
  };
}

/** Whether logins for `username` are refused right now. */
export async function isLockedOut(storage: Storage, username: string, config: LockoutConfig, nowMs: number): Promise<boolean> {
  if (config.disabled) return false;
  const rec = await getJson<FailureRecord>(storage, FAILURE_PREFIX + username);
  if (!rec) return false;
  return rec.count >= config.threshold && nowMs - rec.lastFailedMs < config.durationSeconds * 1000;
}

/** The users of a mount locked out at `nowMs`, sorted. */
export async function lockedUsers(storage: Storage, config: LockoutConfig, nowMs: number): Promise<string[]> {
  if (config.disabled) return [];
  const out: string[] = [];
  for (const name of await storage.list(FAILURE_PREFIX)) {
    if (!name.endsWith("/") && (await isLockedOut(storage, name, config, nowMs))) out.push(name);
  }
  return out.sort();
}

/**
 * Counts failures one at a time per user: attempts interleave at every `await`, and two
 * concurrent wrong passwords must count as two.
 */
export class FailureCounter {
  private readonly tails = new Map<string, Promise<void>>();

  recordFailure(storage: Storage, username: string, config: LockoutConfig, nowMs: number): Promise<void> {
    if (config.disabled) return Promise.resolve();
    return this.serialize(username, async () => {
      const key = FAILURE_PREFIX + username;
      const prev = await getJson<FailureRecord>(storage, key);
      // A failure long after the previous one starts a new count.
      const fresh = !prev || nowMs - prev.lastFailedMs > config.counterResetSeconds * 1000;
      await putJson(storage, key, { count: fresh ? 1 : prev.count + 1, lastFailedMs: nowMs } satisfies FailureRecord);
    });
  }

  clear(storage: Storage, username: string): Promise<void> {
    return this.serialize(username, async () => {
      // Most logins have nothing to clear; a read spares them a storage write.
      if ((await storage.get(FAILURE_PREFIX + username)) !== undefined) await storage.delete(FAILURE_PREFIX + username);
    });
  }

  private serialize(key: string, work: () => Promise<void>): Promise<void> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(work);
    // The chain must survive a failed step, or one storage error would wedge the user.
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

const configFields = {
  lockout_threshold: { type: "int", description: "Failed logins after which a user is locked out (default 5)." },
  lockout_duration: { type: "duration", description: "How long a locked-out user stays locked (default 15m)." },
  lockout_counter_reset: { type: "duration", description: "Quiet time after which the failure count restarts (default 15m)." },
  lockout_disable: { type: "bool", description: "Turn user lockout off for this mount." },
} as const satisfies FieldSchemas;

export const lockoutConfigPath: PathDef = definePath({
  pattern: "config/lockout",
  fields: configFields,
  operations: {
    read: async (req) => {
      const c = await readLockoutConfig(req.storage);
      return {
        data: {
          lockout_threshold: c.threshold,
          lockout_duration: c.durationSeconds,
          lockout_counter_reset: c.counterResetSeconds,
          lockout_disable: c.disabled,
        },
      };
    },
    update: async (req, f) => {
      const stored = (await getJson<StoredLockoutConfig>(req.storage, CONFIG_KEY)) ?? {};
      for (const name of ["lockout_threshold", "lockout_duration", "lockout_counter_reset"] as const) {
        const v = f.getOk(name);
        if (v === undefined) continue;
        if (v < 0) throw badRequest(`'${name}' cannot be negative`);
        stored[name] = v;
      }
      const disable = f.getOk("lockout_disable");
      if (disable !== undefined) stored.lockout_disable = disable;
      await putJson(req.storage, CONFIG_KEY, stored);
      return undefined;
    },
  },
  help: `Read and set the user lockout settings of this mount.

This path is Mayfly's own: Vault keeps these settings only in sys/auth/<path>/tune
(user_lockout_config). What the tune sets wins; what it leaves unset comes from here,
then from the defaults (5 failures, locked for 15m, count restarting after 15m quiet,
lockout on). A write changes only what it sends, and 0 means the default. A read shows
this path's settings with the defaults filled in, not the tune's.`,
});
