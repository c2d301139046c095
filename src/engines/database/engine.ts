/** What the database engine's path modules share: the mount's services and its live state. */
import type { SystemView } from "../../framework/types.js";
import type { Storage } from "../../storage/storage.js";
import type { ConnectionManager } from "./connections.js";
import type { RotationQueue } from "./rotation-queue.js";

export interface DatabaseEngine {
  readonly system: SystemView;
  /** The mount's storage (the same view requests carry). */
  readonly storage: Storage;
  readonly connections: ConnectionManager;
  readonly rotations: RotationQueue;
  /** Serialises work on one static role: writes, rotations, deletes. */
  readonly staticRoleLocks: KeyedMutex;
}

/** One promise chain per key; entries go once nobody waits on them. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
