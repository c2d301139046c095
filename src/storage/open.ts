import { InmemStorage } from "./inmem.js";
import { SqliteStorage, type SqliteStorageOptions } from "./sqlite.js";
import type { Storage } from "./storage.js";

export type StorageConfig =
  | ({ type: "sqlite"; path: string } & SqliteStorageOptions)
  | { type: "inmem" };

/** Opens the backend a server config names. */
export function openStorage(config: StorageConfig): Storage {
  switch (config.type) {
    case "sqlite":
      return new SqliteStorage(config.path, { synchronous: config.synchronous });
    case "inmem":
      return new InmemStorage();
  }
}
