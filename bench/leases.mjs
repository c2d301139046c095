// Leases at scale (issue 3, point 2): 1,000,000 live leases in SQLite behind the real
// barrier; unseal-to-serving and heap after the expiration manager starts, and the cost of
// revoking 10,000 leases that expire in the same second. Run after `npm run build`:
//
//   node bench/leases.mjs [--leases 1000000] [--batch 10000] [--dir DIR] [--refill]
//
// The store is filled once (through the Barrier, in transactions of ~10k puts) and kept in
// DIR (default: $TMPDIR/mayfly-bench-leases) for later runs; every phase that revokes
// leases writes the same number back, so the store stays at the same size. Each
// measurement runs in a fresh process (node --expose-gc), so no heap or page cache of the
// filling process counts. Baselines measured in the same run:
//   start-up : reading every schedule key (what loading the schedule into memory costs at
//              the least), in a fresh process of its own;
//   revoke   : the same storage work done directly (read the entry and the record, delete
//              the five keys in one transaction), with the same target stub.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { argument, fmtInt, fmtMs } from "./lib/stats.mjs";

const dist = new URL("../dist/", import.meta.url);
const { SqliteStorage } = await import(new URL("storage/sqlite.js", dist).href);
const { PrefixedStorage, getJson, jsonPut } = await import(new URL("storage/storage.js", dist).href);
const { Barrier } = await import(new URL("core/barrier/barrier.js", dist).href);
const { ExpirationManager } = await import(new URL("core/expiration/expiration-manager.js", dist).href);
const { keys, scheduleTimeOf } = await import(new URL("core/expiration/lease-record.js", dist).href);

const LEASES = Number(argument("leases", "1000000"));
const BATCH = Number(argument("batch", "10000"));
const DIR = argument("dir", join(tmpdir(), "mayfly-bench-leases"));
const DB = join(DIR, "store.db");
const META = join(DIR, "meta.json");
const TOKENS = 10_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/**
 * Batches due at fixed times, each inside one second, well after the fill so that real time
 * never reaches them however long the store is reused; phases run in this order and each
 * finds only its own batch due.
 */
const BATCHES = { managerNoop: 1, directNoop: 2, floorNoop: 3, managerSleep: 4, directSleep: 5, floorSleep: 6 };
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- the store ----

function leaseOps(i, expireTimeMs, nowMs) {
  const leaseId = `database/creds/role-${i % 100}/${randomBytes(12).toString("base64url")}`;
  const tokenHash = String(i % TOKENS).padStart(64, "0");
  const scheduleKey = keys.schedule(expireTimeMs, "l", leaseId);
  const record = {
    leaseId,
    path: `database/creds/role-${i % 100}`,
    mountAccessor: "database_8f3a91c2",
    secretType: "creds",
    internal: { username: `v-token-role-${i % 100}-${randomBytes(10).toString("hex")}-${Math.floor(nowMs / 1000)}`, db_name: "prod" },
    tokenHash,
    state: "active",
    issueTimeMs: nowMs,
    expireTimeMs,
    lastRenewalTimeMs: 0,
    maxExpireTimeMs: nowMs + 768 * HOUR,
    renewable: true,
    ttlSeconds: Math.round((expireTimeMs - nowMs) / 1000),
    scheduleKey,
    revokeAttempts: 0,
    lastError: "",
  };
  return [
    jsonPut(keys.lease(leaseId), record),
    jsonPut(scheduleKey, { kind: "l", id: leaseId }),
    jsonPut(keys.byToken(tokenHash, leaseId), { leaseId }),
  ];
}

/** Writes `count` leases, expiry from `expiryOf(i)`, in transactions of ~10k puts. */
async function writeLeases(view, count, expiryOf, nowMs, first = 0) {
  let ops = [];
  for (let i = first; i < first + count; i++) {
    ops.push(...leaseOps(i, expiryOf(i), nowMs));
    if (ops.length >= 9_999) {
      await view.transaction(ops);
      ops = [];
    }
  }
  if (ops.length) await view.transaction(ops);
}

async function open(meta, options = {}) {
  const raw = new SqliteStorage(DB, options);
  const barrier = new Barrier(raw);
  await barrier.unseal(Buffer.from(meta.rootKey, "base64"));
  return { raw, barrier, view: new PrefixedStorage(barrier, "sys/expire/") };
}

const batchAtMs = (meta, n) => meta.fillTimeMs + 300 * DAY + n * HOUR;

async function fill() {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const rootKey = randomBytes(32);
  // Setting up needs no fsync per commit; the measured phases open the store as the server does.
  const raw = new SqliteStorage(DB, { synchronous: "normal" });
  const barrier = new Barrier(raw);
  await barrier.initialize(rootKey);
  await barrier.unseal(rootKey);
  const view = new PrefixedStorage(barrier, "sys/expire/");
  const fillTimeMs = Date.now();
  const meta = { rootKey: rootKey.toString("base64"), fillTimeMs, leases: LEASES, batch: BATCH };
  const t0 = performance.now();
  const batches = Object.values(BATCHES);
  const special = 1 + batches.length * BATCH;
  // Lease 0 is due at once (the first expiry after start); then the batches; the rest
  // expire over 30 days after them.
  await writeLeases(view, LEASES, (i) => {
    if (i === 0) return fillTimeMs;
    if (i < special) return batchAtMs(meta, batches[Math.floor((i - 1) / BATCH)]) + ((i - 1) % 1000);
    return batchAtMs(meta, 0) + DAY + Math.floor(Math.random() * 30 * DAY);
  }, fillTimeMs);
  await barrier.close();
  writeFileSync(META, JSON.stringify(meta), { mode: 0o600 }); // holds the root key
  return performance.now() - t0;
}

// ---- phases, each in a fresh process ----

function heapMb() {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

async function phaseStart(meta) {
  const t0 = performance.now();
  const { barrier, view } = await open(meta);
  const unsealedMs = performance.now() - t0;
  let firstRevokeMs;
  const manager = new ExpirationManager({
    storage: view,
    nowMs: Date.now,
    logger: quiet,
    revokeSecret: async () => {
      firstRevokeMs ??= performance.now() - t0;
    },
    renewSecret: async (_l, inc) => ({ ttlSeconds: inc }),
    revokeToken: async () => {},
    tokenExists: async () => true,
  });
  await manager.start();
  const servingMs = performance.now() - t0;
  const heapAfterStartMb = process.memoryUsage().heapUsed / 2 ** 20;
  while (firstRevokeMs === undefined && performance.now() - t0 < 10_000) await sleep(1);
  const liveHeapMb = heapMb();
  await manager.stop();
  await barrier.close();
  return { unsealedMs, servingMs, firstRevokeMs, heapAfterStartMb, liveHeapMb, rssMb: process.memoryUsage().rss / 2 ** 20 };
}

async function phaseReadAll(meta) {
  const t0 = performance.now();
  const { barrier, view } = await open(meta);
  const unsealedMs = performance.now() - t0;
  const all = [];
  let after = "";
  for (;;) {
    const page = await view.listPage(keys.schedulePrefix, after, 10_000);
    all.push(...page);
    if (page.length < 10_000) break;
    after = page[page.length - 1];
  }
  const readMs = performance.now() - t0;
  const liveHeapMb = heapMb();
  await barrier.close();
  return { unsealedMs, readMs, keys: all.length, liveHeapMb };
}

async function phaseRevoke(meta, which) {
  const { barrier, view } = await open(meta);
  const n = BATCHES[which];
  const dueAtMs = batchAtMs(meta, n) + 1_000;
  const slow = which.endsWith("Sleep");
  let calls = 0;
  const revokeSecret = async () => {
    calls++;
    if (slow) await sleep(1);
  };
  const t0 = performance.now();
  if (which.startsWith("manager")) {
    const manager = new ExpirationManager({
      storage: view,
      nowMs: () => dueAtMs,
      logger: quiet,
      revokeSecret,
      renewSecret: async (_l, inc) => ({ ttlSeconds: inc }),
      revokeToken: async () => {},
      tokenExists: async () => true,
    });
    await manager.runDue();
  } else {
    await revokeDirectly(view, dueAtMs, slow ? 16 : 1, revokeSecret, which.startsWith("floor"));
  }
  const ms = performance.now() - t0;
  await barrier.close();
  return { ms, calls };
}

/** Writes back what the phases revoked, so every run starts from the same store. */
async function phaseRestore(meta) {
  const { barrier, view } = await open(meta, { synchronous: "normal" });
  await writeLeases(view, 1, () => meta.fillTimeMs, meta.fillTimeMs);
  for (const n of Object.values(BATCHES)) await writeLeases(view, BATCH, (i) => batchAtMs(meta, n) + (i % 1000), meta.fillTimeMs);
  await barrier.close();
  return {};
}

/**
 * The same reads and deletes with no bookkeeping: one transaction per lease (`direct`), or
 * one per page of 1,000 leases (`floor`, the least the storage can be asked to do).
 */
async function revokeDirectly(view, dueAtMs, workers, revokeSecret, grouped) {
  for (;;) {
    const page = await view.listPage(keys.schedulePrefix, "", 1000);
    const due = page.filter((k) => scheduleTimeOf(keys.schedulePrefix + k) <= dueAtMs);
    if (due.length === 0) return;
    let next = 0;
    const pageOps = [];
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (next < due.length) {
          const key = keys.schedulePrefix + due[next++];
          const item = await getJson(view, key);
          const rec = await getJson(view, keys.lease(item.id));
          await revokeSecret(rec);
          const ops = [
            { op: "delete", key: keys.lease(rec.leaseId) },
            { op: "delete", key: keys.pending(rec.leaseId) },
            { op: "delete", key: keys.irrevocable(rec.leaseId) },
            { op: "delete", key },
            { op: "delete", key: keys.byToken(rec.tokenHash, rec.leaseId) },
          ];
          if (grouped) pageOps.push(...ops);
          else await view.transaction(ops);
        }
      }),
    );
    if (pageOps.length) await view.transaction(pageOps);
  }
}

// ---- driver ----

function child(phase, extra = []) {
  const args = ["--expose-gc", fileURLToPath(import.meta.url), "--phase", phase, "--dir", DIR, "--batch", String(BATCH), ...extra];
  const r = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`phase ${phase} failed:\n${r.stderr}`);
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

const phase = argument("phase", "");
if (phase !== "") {
  const meta = JSON.parse(readFileSync(META, "utf8"));
  const out =
    phase === "start" ? await phaseStart(meta) :
    phase === "read-all" ? await phaseReadAll(meta) :
    phase === "restore" ? await phaseRestore(meta) :
    await phaseRevoke(meta, argument("which", ""));
  process.stdout.write(JSON.stringify(out) + "\n");
} else {
  let meta = existsSync(META) ? JSON.parse(readFileSync(META, "utf8")) : undefined;
  if (!meta || meta.leases !== LEASES || meta.batch !== BATCH || argument("refill", "") === "true") {
    process.stdout.write(`filling ${fmtInt(LEASES)} leases into ${DB} ... `);
    const ms = await fill();
    console.log(`${fmtMs(ms / 1000)} s`);
    meta = JSON.parse(readFileSync(META, "utf8"));
  }
  const start = child("start");
  const readAll = child("read-all");
  const [mNoop, dNoop, fNoop, mSleep, dSleep, fSleep] = Object.keys(BATCHES).map((which) => child("revoke", ["--which", which]));
  child("restore");
  const ok = (v, limit) => (v <= limit ? "ok" : "MISSED");
  console.log(`leases in store: ${fmtInt(LEASES)} (SQLite, synchronous=FULL, through the barrier)`);
  console.log(
    `unseal-to-serving  mayfly ${fmtMs(start.servingMs)} ms (open+unseal ${fmtMs(start.unsealedMs)} ms, start ${fmtMs(start.servingMs - start.unsealedMs)} ms)` +
      ` | read all ${fmtInt(readAll.keys)} schedule keys ${fmtMs(readAll.readMs)} ms | target 3000 ms ${ok(start.servingMs, 3000)}`,
  );
  console.log(
    `heap after start   mayfly ${fmtMs(start.heapAfterStartMb)} MB (live ${fmtMs(start.liveHeapMb)} MB, rss ${fmtMs(start.rssMb)} MB)` +
      ` | holding all schedule keys ${fmtMs(readAll.liveHeapMb)} MB live | target 300 MB ${ok(start.heapAfterStartMb, 300)}`,
  );
  console.log(`first expiry       processed ${fmtMs(start.firstRevokeMs - start.servingMs)} ms after serving`);
  const row = (label, m, d, f) =>
    console.log(
      `${label}  mayfly runDue ${fmtMs(m.ms)} ms (${fmtInt(m.calls)} revoked) | direct, txn per lease ${fmtMs(d.ms)} ms | floor, txn per 1,000 ${fmtMs(f.ms)} ms | ratio to direct ${(m.ms / d.ms).toFixed(2)}, to floor ${(m.ms / f.ms).toFixed(2)}`,
    );
  row(`revoke ${fmtInt(BATCH)} due in one second, no-op target (direct: 1 worker)`, mNoop, dNoop, fNoop);
  row(`revoke ${fmtInt(BATCH)} due in one second, 1 ms target (direct: 16 workers)`, mSleep, dSleep, fSleep);
}
