import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteStorage } from "../../storage/sqlite.js";
import { keys } from "./lease-record.js";
import { makeHarness } from "./test-harness.js";

// Leases side by side write through SQLite's group commit (src/storage/group-commit.ts):
// with synchronous=FULL each commit is an fsync, so they must share commits.

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function countedSqlite(): { storage: SqliteStorage; commits: () => number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mayfly-shared-commits-"));
  dirs.push(dir);
  const storage = new SqliteStorage(path.join(dir, "db"));
  let commits = 0;
  const writer = (storage as unknown as { writer: { apply: (ops: unknown) => Promise<void> } }).writer;
  const apply = writer.apply.bind(writer);
  writer.apply = (ops) => {
    commits++;
    return apply(ops);
  };
  return { storage, commits: () => commits };
}

describe("lease writes over SQLite", () => {
  it("revocations that finish together share commits", async () => {
    const { storage, commits } = countedSqlite();
    const h = makeHarness({ concurrency: 16 }, storage);
    for (let i = 0; i < 64; i++) await h.issue({ ttlSeconds: 1 });
    const before = commits();
    h.clock.advance(1_000);
    expect(await h.manager.runDue()).toBe(64);
    expect(h.target.revoked).toHaveLength(64);
    expect(await h.allKeys()).toEqual([]);
    // One each would be 64.
    expect(commits() - before).toBeLessThanOrEqual(8);
    await storage.close();
  });

  it("issuances side by side share commits", async () => {
    const { storage, commits } = countedSqlite();
    const h = makeHarness({}, storage);
    await Promise.all(Array.from({ length: 16 }, () => h.issue({ ttlSeconds: 60 })));
    // Without sharing: an intent and an activation each, 32 commits.
    expect(commits()).toBeLessThanOrEqual(4);
    expect(await h.storage.list(keys.pendingPrefix)).toEqual([]);
    await storage.close();
  });
});
