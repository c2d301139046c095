import { spawn } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteStorage } from "./sqlite.js";

const tmpDirs: string[] = [];
function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mayfly-sqlite-"));
  tmpDirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const b = (s: string) => Buffer.from(s, "utf8");

describe("SqliteStorage", () => {
  it("keeps data across close and reopen", async () => {
    const file = path.join(tmpDir(), "db");
    const s1 = new SqliteStorage(file);
    await s1.put("core/x", b("1"));
    await s1.transaction([{ op: "put", key: "core/y/z", value: b("2") }]);
    await s1.close();
    const s2 = new SqliteStorage(file);
    expect((await s2.get("core/x"))?.toString()).toBe("1");
    expect(await s2.list("core/")).toEqual(["x", "y/"]);
    await s2.close();
  });

  it("creates the database, its WAL and shared-memory file owner-only", async () => {
    const dir = tmpDir();
    const file = path.join(dir, "db");
    const old = process.umask(0o000); // the widest umask must still give 0600
    let s: SqliteStorage;
    try {
      s = new SqliteStorage(file);
    } finally {
      process.umask(old);
    }
    await s.put("k", b("v"));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(`${file}-wal`).mode & 0o777).toBe(0o600);
    expect(fs.statSync(`${file}-shm`).mode & 0o777).toBe(0o600);
    await s.close();
  });

  it("uses WAL with synchronous=FULL by default, NORMAL on request", async () => {
    const dir = tmpDir();
    // synchronous is per connection, so read it through each storage's own connection.
    const connection = (s: SqliteStorage) => (s as unknown as { db: Database.Database }).db;
    const full = new SqliteStorage(path.join(dir, "a"));
    const normal = new SqliteStorage(path.join(dir, "b"), { synchronous: "normal" });
    expect(connection(full).pragma("journal_mode", { simple: true })).toBe("wal");
    expect(connection(full).pragma("synchronous", { simple: true })).toBe(2); // FULL
    expect(connection(normal).pragma("synchronous", { simple: true })).toBe(1); // NORMAL
    await full.close();
    await normal.close();
  });

  it("rolls back a transaction that SQLite itself aborts midway", async () => {
    const file = path.join(tmpDir(), "db");
    const s = new SqliteStorage(file);
    await s.put("keep", b("old"));
    // A trigger makes the third statement fail inside SQLite, after two have executed.
    const db = (s as unknown as { db: Database.Database }).db;
    db.exec(
      "CREATE TRIGGER boom BEFORE INSERT ON kv WHEN NEW.key = 'boom' BEGIN SELECT RAISE(ABORT, 'forced failure'); END",
    );
    await expect(
      s.transaction([
        { op: "put", key: "keep", value: b("new") },
        { op: "put", key: "first", value: b("1") },
        { op: "put", key: "boom", value: b("x") },
        { op: "delete", key: "keep" },
      ]),
    ).rejects.toThrow(/forced failure/);
    expect((await s.get("keep"))?.toString()).toBe("old");
    expect(await s.get("first")).toBeUndefined();
    await s.close();
  });

  it("lists children under a large subtree by seeking, not scanning", async () => {
    const file = path.join(tmpDir(), "db");
    const s = new SqliteStorage(file);
    const ops = [];
    for (let i = 0; i < 50_000; i++) ops.push({ op: "put" as const, key: `l/huge/${i}`, value: b("") });
    ops.push({ op: "put" as const, key: "l/after", value: b("") }, { op: "put" as const, key: "l/before", value: b("") });
    await s.transaction(ops);
    // Count the keys SQLite hands back: a scan would yield 50,002, seeking yields a handful.
    const inner = s as unknown as { scan: (...a: unknown[]) => IterableIterator<string> };
    const scan = inner.scan.bind(s);
    let yielded = 0;
    inner.scan = (...a: unknown[]) =>
      (function* () {
        for (const k of scan(...a)) {
          yielded++;
          yield k;
        }
      })();
    expect(await s.list("l/")).toEqual(["after", "before", "huge/"]);
    expect(yielded).toBeLessThanOrEqual(4);
    yielded = 0;
    expect(await s.listPage("l/", "after", 2)).toEqual(["before", "huge/"]);
    expect(yielded).toBeLessThanOrEqual(3);
    await s.close();
  });

  it("keeps a committed write when the process is killed with SIGKILL", async () => {
    const dir = tmpDir();
    const file = path.join(dir, "db");
    // The child must run the real SqliteStorage; Node 20 cannot load .ts, so a tiny loader
    // hook transpiles this folder's sources with the project's TypeScript on the fly.
    const require = createRequire(import.meta.url);
    const loader = path.join(dir, "ts-loader.mjs");
    fs.writeFileSync(
      loader,
      `import ts from ${JSON.stringify(pathToFileURL(require.resolve("typescript")).href)};
import fs from "node:fs";
import { fileURLToPath } from "node:url";
export async function resolve(spec, ctx, next) {
  if (spec.endsWith(".js") && ctx.parentURL?.endsWith(".ts")) {
    const ts2 = new URL(spec.replace(/\\.js$/, ".ts"), ctx.parentURL);
    if (fs.existsSync(fileURLToPath(ts2))) return { url: ts2.href, shortCircuit: true };
  }
  return next(spec, ctx);
}
export async function load(url, ctx, next) {
  if (!url.endsWith(".ts")) return next(url, ctx);
  const src = fs.readFileSync(fileURLToPath(url), "utf8");
  const out = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  return { format: "module", source: out.outputText, shortCircuit: true };
}
`,
    );
    const register = path.join(dir, "register.mjs");
    fs.writeFileSync(
      register,
      `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(loader).href)});\n`,
    );
    const sqliteTs = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), "sqlite.ts")).href;
    const child = spawn(
      process.execPath,
      [
        "--import",
        pathToFileURL(register).href,
        "--input-type=module",
        "-e",
        `const { SqliteStorage } = await import(${JSON.stringify(sqliteTs)});
         const s = new SqliteStorage(${JSON.stringify(file)}, { synchronous: "normal" });
         for (let i = 0; i < 100; i++) await s.put("lease/" + i, Buffer.from("record " + i));
         await s.transaction([{ op: "put", key: "lease/tx", value: Buffer.from("in tx") }]);
         process.stdout.write("committed\\n");
         setInterval(() => {}, 1000);`,
      ],
      { cwd: path.dirname(fileURLToPath(import.meta.url)), stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => {
        if (d.toString().includes("committed")) resolve();
      });
      child.on("exit", (code) => reject(new Error(`child exited early (${code}): ${stderr}`)));
    });
    const exited = new Promise((r) => child.on("exit", r));
    child.kill("SIGKILL");
    await exited;
    // No clean close happened: the data must be in the WAL, not yet checkpointed.
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0);
    const s = new SqliteStorage(file);
    expect((await s.get("lease/99"))?.toString()).toBe("record 99");
    expect((await s.get("lease/tx"))?.toString()).toBe("in tx");
    expect(await s.listPage("lease/", "", 1000)).toHaveLength(101);
    await s.close();
  });

  it("commits the writes of one event-loop turn together, each caller answered after the commit", async () => {
    const s = new SqliteStorage(path.join(tmpDir(), "db"));
    const commits: string[][] = [];
    const writer = (s as unknown as { writer: { apply: (ops: ReadonlyArray<{ key: string }>) => Promise<void> } }).writer;
    const apply = writer.apply.bind(writer);
    writer.apply = (ops) => {
      commits.push(ops.map((o) => o.key));
      return apply(ops);
    };
    await Promise.all([
      s.put("a", b("1")),
      s.transaction([{ op: "put", key: "b", value: b("2") }, { op: "put", key: "c", value: b("3") }]),
      s.delete("a"),
    ]);
    expect(commits).toEqual([["a", "b", "c", "a"]]);
    expect(await s.list("")).toEqual(["b", "c"]);
    await s.put("d", b("4"));
    expect(commits).toHaveLength(2);
    // Writes that arrive while a commit is under way wait to share the next one.
    const first = s.put("e", b("5"));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    const later = [s.put("f", b("6")), s.put("g", b("7"))];
    await new Promise((r) => setImmediate(r));
    const more = s.delete("f");
    await Promise.all([first, ...later, more]);
    expect(commits.slice(2)).toEqual([["e"], ["f", "g", "f"]]);
    expect(await s.list("")).toEqual(["b", "c", "d", "e", "g"]);
    await s.close();
  });

  it("fails only the caller whose write is refused when writes share a commit", async () => {
    const s = new SqliteStorage(path.join(tmpDir(), "db"));
    const results = await Promise.allSettled([
      s.put("a", b("1")),
      s.transaction([{ op: "put", key: "b", value: "not a buffer" as unknown as Buffer }]),
      s.put("c", b("3")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(await s.list("")).toEqual(["a", "c"]);
    await s.close();
  });

  it("stores a value as it was when put was called, though the caller wipes it before the commit", async () => {
    const s = new SqliteStorage(path.join(tmpDir(), "db"));
    const value = b("secret");
    const writing = s.put("k", value);
    const batch = Buffer.from("in a transaction");
    const txn = s.transaction([{ op: "put", key: "t", value: batch }]);
    value.fill(0);
    batch.fill(0);
    await Promise.all([writing, txn]);
    expect((await s.get("k"))?.toString()).toBe("secret");
    expect((await s.get("t"))?.toString()).toBe("in a transaction");
    await s.close();
  });

  it("lands the writes asked for just before close", async () => {
    const file = path.join(tmpDir(), "db");
    const s1 = new SqliteStorage(file);
    const writing = s1.put("late", b("v"));
    await s1.close();
    await writing;
    const s2 = new SqliteStorage(file);
    expect((await s2.get("late"))?.toString()).toBe("v");
    await s2.close();
  });
});
