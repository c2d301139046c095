import fs from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { GroupCommit } from "./group-commit.js";
import { SqliteWriter } from "./sqlite-writer.js";
import type { Storage, StorageOp } from "./storage.js";
import { assertValidKey, assertValidPrefix, assertValidValue, folderEnd, pageStart } from "./inmem.js";

export interface SqliteStorageOptions {
  /**
   * `full` (default): every commit fsyncs the WAL, so a write that returned survives power
   * loss and kernel crashes, as Vault's raft/bolt storage does. `normal`: commits reach the
   * OS page cache only (fsync happens at checkpoints), so a returned write survives the
   * process being killed (kill -9, OOM) but not a power cut. A lease record lost to a power
   * cut is a credential nobody will revoke, hence `full` by default.
   */
  synchronous?: "full" | "normal";
}

/**
 * One SQLite file, one table `kv(key TEXT PRIMARY KEY, value BLOB)`, WAL journal.
 *
 * better-sqlite3 is synchronous; calls block the event loop for their duration (tens of
 * microseconds for a point read). Keys compare with SQLite's BINARY collation, i.e. UTF-8
 * byte order, which `compareKeys` in inmem.ts reproduces.
 */
export class SqliteStorage implements Storage {
  private readonly db: Database.Database;
  private readonly stmts: ReturnType<typeof prepare>;
  private readonly applyAll: (ops: readonly StorageOp[]) => void;
  /**
   * Every write goes through here, then to the writer thread: the writes that arrive while
   * one commit is under way (requests side by side, each awaiting its own) share the next
   * one instead of paying an fsync each.
   */
  private readonly commits: GroupCommit;
  /** Commits on a worker thread (see sqlite-writer.ts); none for an in-memory database. */
  private readonly writer: SqliteWriter | undefined;

  constructor(path: string, options: SqliteStorageOptions = {}) {
    createPrivateFile(path);
    this.db = new Database(path);
    try {
      this.db.pragma("journal_mode = WAL");
      this.db.pragma(`synchronous = ${options.synchronous === "normal" ? "NORMAL" : "FULL"}`);
      // Another process (a backup tool, the sqlite3 shell) may hold the lock briefly.
      this.db.pragma("busy_timeout = 5000");
      this.db.exec("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL)");
      this.stmts = prepare(this.db);
    } catch (e) {
      this.db.close();
      throw e;
    }
    const { put, del } = this.stmts;
    // Only validated operations get here (put, delete and transaction check them first).
    this.applyAll = this.db.transaction((ops: readonly StorageOp[]) => {
      for (const o of ops) {
        if (o.op === "put") put.run(o.key, o.value);
        else del.run(o.key);
      }
    });
    const synchronous = options.synchronous === "normal" ? "NORMAL" : "FULL";
    this.writer = path === ":memory:" || path === "" ? undefined : new SqliteWriter(path, synchronous);
    const writer = this.writer;
    this.commits = new GroupCommit({ transaction: writer ? (ops) => writer.apply(ops) : async (ops) => this.applyAll(ops) });
  }

  async get(key: string): Promise<Buffer | undefined> {
    assertValidKey(key);
    return this.stmts.get.get(key) as Buffer | undefined;
  }

  async put(key: string, value: Buffer): Promise<void> {
    assertValidKey(key);
    assertValidValue(value);
    return this.commits.transaction([{ op: "put", key, value: ownCopy(value) }]);
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    return this.commits.transaction([{ op: "delete", key }]);
  }

  async list(prefix: string): Promise<string[]> {
    return this.collect(prefix, { key: prefix, inclusive: true }, Infinity);
  }

  async listPage(prefix: string, after: string, limit: number): Promise<string[]> {
    assertValidKey(after);
    if (!(limit > 0)) return [];
    return this.collect(prefix, pageStart(prefix, after), limit);
  }

  async transaction(ops: readonly StorageOp[]): Promise<void> {
    // Checked before queueing, so a bad operation fails its caller alone and at once:
    // better-sqlite3 would bind a string as TEXT, and the writer binds whatever it is sent.
    for (const o of ops) {
      assertValidKey(o.key);
      if (o.op === "put") assertValidValue(o.value);
      else if (o.op !== "delete") throw new TypeError(`unknown storage op: ${String((o as { op: unknown }).op)}`);
    }
    return this.commits.transaction(ops.map((o) => (o.op === "put" ? { ...o, value: ownCopy(o.value) } : o)));
  }

  async close(): Promise<void> {
    // Writes asked for in this turn land first, as they did when each committed at once.
    if (!this.db.open) return;
    await this.commits.flush();
    await this.writer?.close();
    if (this.db.open) this.db.close();
  }

  /**
   * Streams keys in order from `start`; each time a key lies inside a child folder, records
   * the folder and re-seeks past its subtree. A folder with millions of keys below costs one
   * index seek, and nothing but key strings ever leaves SQLite (the PRIMARY KEY index covers
   * the query, so value pages are not read).
   */
  private collect(prefix: string, start: { key: string; inclusive: boolean }, limit: number): string[] {
    assertValidPrefix(prefix);
    // Every key under "x/" sorts below "x0" ("0" follows "/"), the prefix's successor.
    const end = prefix === "" ? undefined : folderEnd("", prefix);
    const out: string[] = [];
    let from = start.key;
    let inclusive = start.inclusive;
    for (;;) {
      const rows = this.scan(from, inclusive, end);
      let reseek: string | undefined;
      for (const key of rows) {
        const rest = key.slice(prefix.length);
        const slash = rest.indexOf("/");
        if (slash === -1) {
          if (rest !== "") out.push(rest);
          if (out.length >= limit) break;
          continue;
        }
        const folder = rest.slice(0, slash + 1);
        out.push(folder);
        reseek = folderEnd(prefix, folder);
        break; // leaving the loop closes the cursor (iterator return)
      }
      if (reseek === undefined || out.length >= limit) return out;
      from = reseek;
      inclusive = true;
    }
  }

  private scan(from: string, inclusive: boolean, end: string | undefined): IterableIterator<string> {
    const s = this.stmts;
    if (end === undefined) return (inclusive ? s.scanFrom : s.scanAfter).iterate(from) as IterableIterator<string>;
    return (inclusive ? s.scanFromTo : s.scanAfterTo).iterate(from, end) as IterableIterator<string>;
  }
}

function prepare(db: Database.Database) {
  return {
    get: db.prepare("SELECT value FROM kv WHERE key = ?").pluck(),
    put: db.prepare(
      "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    ),
    del: db.prepare("DELETE FROM kv WHERE key = ?"),
    scanFrom: db.prepare("SELECT key FROM kv WHERE key >= ? ORDER BY key").pluck(),
    scanAfter: db.prepare("SELECT key FROM kv WHERE key > ? ORDER BY key").pluck(),
    scanFromTo: db.prepare("SELECT key FROM kv WHERE key >= ? AND key < ? ORDER BY key").pluck(),
    scanAfterTo: db.prepare("SELECT key FROM kv WHERE key > ? AND key < ? ORDER BY key").pluck(),
  };
}

/**
 * Creates the database file owner-only before SQLite opens it. SQLite gives the -wal and
 * -shm files it creates later the same permissions as the database file. An existing file
 * keeps whatever mode the operator gave it.
 */
function createPrivateFile(path: string): void {
  if (path === ":memory:" || path === "") return;
  // A missing directory is made, private, as Vault's file and raft storage do with theirs.
  fs.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    fs.closeSync(fs.openSync(path, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    return;
  }
  // The umask may have removed bits but never adds any; chmod makes 0600 exact regardless.
  fs.chmodSync(path, 0o600);
}

/**
 * The value as it is now: the commit comes later, and a caller may wipe its buffer as soon
 * as the call returns. A buffer of its own, not a view into Node's 8 KB pool: posting a
 * view to the writer thread would copy the whole pool beneath it.
 */
function ownCopy(value: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(value.length);
  value.copy(copy);
  return copy;
}
