/**
 * `sys/rotate/config`, as Vault's: the barrier's active key is replaced once it has made
 * `max_operations` encryptions or, with an interval, once it is that old; rotation can be
 * turned off. Vault's bounds: max_operations within [1,000,000, 3,865,470,566] (the
 * latter is where AES-GCM with random nonces stays safe), an interval of 0 or at least 24h.
 */
import { badRequest } from "../../framework/errors.js";
import { getJson, putJson, type Storage } from "../../storage/storage.js";
import { ROTATION_ENCRYPTIONS } from "./barrier.js";

export interface RotationConfig {
  max_operations: number;
  interval_seconds: number;
  enabled: boolean;
}

export const MIN_ROTATION_OPERATIONS = 1_000_000;
export const MIN_ROTATION_INTERVAL_SECONDS = 24 * 3600;
const KEY = "rotation-config";

export function defaultRotationConfig(): RotationConfig {
  return { max_operations: ROTATION_ENCRYPTIONS, interval_seconds: 0, enabled: true };
}

export function validateRotationConfig(c: RotationConfig): void {
  if (!Number.isInteger(c.max_operations) || c.max_operations < MIN_ROTATION_OPERATIONS || c.max_operations > ROTATION_ENCRYPTIONS) {
    throw badRequest(`max_operations must be in the range [${MIN_ROTATION_OPERATIONS},${ROTATION_ENCRYPTIONS}]`);
  }
  if (c.interval_seconds !== 0 && c.interval_seconds < MIN_ROTATION_INTERVAL_SECONDS) {
    throw badRequest("interval must be greater or equal to 24h0m0s");
  }
}

export class RotationConfigStore {
  private current = defaultRotationConfig();

  constructor(private readonly storage: Storage) {}

  async load(): Promise<void> {
    this.current = { ...defaultRotationConfig(), ...((await getJson<RotationConfig>(this.storage, KEY)) ?? {}) };
  }

  get(): RotationConfig {
    return { ...this.current };
  }

  async set(next: RotationConfig): Promise<void> {
    validateRotationConfig(next);
    await putJson(this.storage, KEY, next);
    this.current = { ...next };
  }

  /** Whether a key with this many encryptions, installed at that time, is due for rotation. */
  due(encryptions: number, installTimeMs: number, nowMs: number): boolean {
    // Past the safe limit a key is replaced whatever the settings say.
    if (encryptions >= ROTATION_ENCRYPTIONS) return true;
    const c = this.current;
    if (!c.enabled) return false;
    if (encryptions >= c.max_operations) return true;
    return c.interval_seconds > 0 && nowMs - installTimeMs >= c.interval_seconds * 1000;
  }
}
