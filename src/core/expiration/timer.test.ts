import { describe, expect, it } from "vitest";
import { InmemStorage } from "../../storage/inmem.js";
import type { Logger } from "../../framework/types.js";
import { ExpirationManager } from "./expiration-manager.js";
import { keys } from "./lease-record.js";

const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** Real time, real timers: what issue 3 promises, a lease revoked within a second of expiry. */
describe("the timer", () => {
  it("revokes a 1 s lease within one second of its expiry after start()", async () => {
    const revokedAtMs = new Map<string, number>();
    const m = new ExpirationManager({
      storage: new InmemStorage(),
      nowMs: Date.now,
      logger: quiet,
      revokeSecret: async (lease) => {
        revokedAtMs.set(lease.leaseId, Date.now());
      },
      renewSecret: async (_l, inc) => ({ ttlSeconds: inc }),
      revokeToken: async () => undefined,
      tokenExists: async () => true,
    });
    await m.start();
    try {
      const ctx = { path: "database/creds/ro", mountAccessor: "db", tokenHash: "t", defaultTtlSeconds: 60, maxTtlSeconds: 0 };
      const spec = { secretType: "creds", ttlSeconds: 1, maxTtlSeconds: 0, renewable: true, internal: {} };
      const first = await m.issue(ctx, spec, async () => ({}));
      // A second lease issued while the timer already waits for a later one must still be on time.
      const later = await m.issue(ctx, { ...spec, ttlSeconds: 30 }, async () => ({}));
      const second = await m.issue(ctx, spec, async () => ({}));
      const expiresAtMs = Date.now() + 1_000;
      const deadline = Date.now() + 2_500;
      while (revokedAtMs.size < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const id of [first.secret?.leaseId ?? "", second.secret?.leaseId ?? ""]) {
        const at = revokedAtMs.get(id);
        expect(at, id).toBeDefined();
        expect((at ?? Infinity) - expiresAtMs).toBeLessThan(1_000);
      }
      expect(revokedAtMs.has(later.secret?.leaseId ?? "")).toBe(false);
    } finally {
      await m.stop();
    }
  });

  it("a timer that fires during a drain is not lost to a later wake", async () => {
    // The drain's last look at the schedule is slow; meanwhile a lease falls due (its timer
    // fires into the running drain) and a later lease arms the timer far ahead. The drain
    // must re-read the schedule when it ends rather than trust the later timer.
    const storage = new SlowScheduleList();
    const revokedAtMs = new Map<string, number>();
    const m = new ExpirationManager({
      storage,
      nowMs: Date.now,
      logger: quiet,
      revokeSecret: async (lease) => {
        revokedAtMs.set(lease.leaseId, Date.now());
      },
      renewSecret: async (_l, inc) => ({ ttlSeconds: inc }),
      revokeToken: async () => undefined,
      tokenExists: async () => true,
    });
    const ctx = { path: "db/creds/ro", mountAccessor: "db", tokenHash: "t", defaultTtlSeconds: 0, maxTtlSeconds: 0 };
    const spec = { secretType: "creds", ttlSeconds: 0, maxTtlSeconds: 0, renewable: true, internal: {} };
    const first = await m.issue(ctx, spec, async () => ({})); // due at once
    storage.scheduleListDelayMs = 300;
    await m.start();
    try {
      const deadline = Date.now() + 3_000;
      while (!revokedAtMs.has(first.secret?.leaseId ?? "") && Date.now() < deadline) await sleep(10);
      await sleep(100); // inside the drain's second, slow, look at the schedule
      const short = await m.issue(ctx, spec, async () => ({}));
      const issuedAtMs = Date.now();
      await sleep(20); // its timer fires into the running drain
      await m.issue(ctx, { ...spec, ttlSeconds: 40 }, async () => ({}));
      while (!revokedAtMs.has(short.secret?.leaseId ?? "") && Date.now() < deadline) await sleep(10);
      expect((revokedAtMs.get(short.secret?.leaseId ?? "") ?? Infinity) - issuedAtMs).toBeLessThan(1_500);
    } finally {
      await m.stop();
    }
  });
});

class SlowScheduleList extends InmemStorage {
  scheduleListDelayMs = 0;
  override async listPage(prefix: string, after: string, limit: number): Promise<string[]> {
    const page = await super.listPage(prefix, after, limit);
    if (prefix === keys.schedulePrefix && limit > 1 && this.scheduleListDelayMs) await sleep(this.scheduleListDelayMs);
    return page;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
