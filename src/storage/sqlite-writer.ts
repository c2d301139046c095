import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { StorageOp } from "./storage.js";

/**
 * The worker's whole program, in plain JavaScript and passed as source, so the same code
 * runs from `dist/` and under the tests (which load the TypeScript sources). Dynamic
 * imports only: evaluated source is a CommonJS script or a module depending on the flags
 * node was started with. It owns one connection to the database file and applies each
 * batch it is sent in one transaction.
 */
const WORKER_SOURCE = `
(async () => {
const { parentPort, workerData } = await import("node:worker_threads");
const Database = (await import(workerData.driver)).default;
const db = new Database(workerData.path);
db.pragma("journal_mode = WAL");
db.pragma("synchronous = " + workerData.synchronous);
db.pragma("busy_timeout = 5000");
const put = db.prepare("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
const del = db.prepare("DELETE FROM kv WHERE key = ?");
const apply = db.transaction((ops) => {
  for (const o of ops) {
    if (o.op === "put") put.run(o.key, Buffer.from(o.value.buffer, o.value.byteOffset, o.value.byteLength));
    else del.run(o.key);
  }
});
parentPort.on("message", (m) => {
  if (m.close) {
    db.close();
    parentPort.postMessage({ id: m.id });
    return;
  }
  try {
    apply(m.ops);
    parentPort.postMessage({ id: m.id });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String((e && e.message) || e) });
  }
});
})();
`;

/**
 * Commits writes to an SQLite file from a worker thread. With synchronous=FULL a commit
 * waits for an fsync (~0.3 ms on a VM's disk, more on a busy one); better-sqlite3 waits
 * synchronously, so on the main thread every commit stalled every request. Here the main
 * thread goes on serving (reads use its own connection: in WAL mode they see every commit
 * that finished, never a partial one) while the worker commits, and the writes that arrive
 * meanwhile wait to share the next commit. Validation and copying are the caller's
 * (SqliteStorage): only well-formed operations, on buffers of their own, reach the worker.
 */
export class SqliteWriter {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(): void; reject(err: Error): void }>();
  private broken: Error | undefined;

  constructor(path: string, synchronous: "FULL" | "NORMAL") {
    const driver = pathToFileURL(createRequire(import.meta.url).resolve("better-sqlite3")).href;
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, synchronous, driver } });
    // Idle, the worker does not keep the process alive; a commit waited for does.
    this.worker.unref();
    this.worker.on("message", (m: { id: number; error?: string }) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (this.waiting.size === 0) this.worker.unref();
      if (m.error === undefined) w.resolve();
      else w.reject(new Error(`storage write failed: ${m.error}`));
    });
    const fail = (err: Error) => {
      this.broken ??= err;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    this.worker.on("error", (e) => fail(new Error(`storage writer failed: ${e.message}`)));
    this.worker.on("exit", () => fail(new Error("storage writer stopped")));
  }

  /** Applies `ops` in one transaction; resolves once it committed. */
  apply(ops: readonly StorageOp[]): Promise<void> {
    return this.send({ ops });
  }

  /** Closes the worker's connection (after every write sent before) and ends the worker. */
  async close(): Promise<void> {
    if (this.broken) return;
    await this.send({ close: true });
    await this.worker.terminate();
  }

  private send(message: Record<string, unknown>): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      if (this.waiting.size === 1) this.worker.ref();
      this.worker.postMessage({ id, ...message });
    });
  }
}

