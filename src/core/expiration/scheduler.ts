import type { Storage } from "../../storage/storage.js";
import { getJson } from "../../storage/storage.js";
import type { Logger } from "../../framework/types.js";
import { MayflyError } from "../../framework/errors.js";
import { keys, scheduleTimeOf, type ScheduleItem } from "./lease-record.js";
import { mapLimit } from "./concurrency.js";

/** The longest the timer sleeps; it re-reads the schedule at least this often. */
const MAX_SLEEP_MS = 60_000;
/** Passes over the due entries in one run before handing back to the timer. */
const MAX_PASSES = 100;

export interface SchedulerDeps {
  readonly storage: Storage;
  nowMs(): number;
  readonly logger: Logger;
  /**
   * Handles one due entry: it must delete or move `key` (or leave it to a later pass when
   * something else holds the lease). Throwing leaves the entry for the next run.
   */
  fire(key: string, item: ScheduleItem): Promise<void>;
  readonly pageSize: number;
  readonly concurrency: number;
  /** How long to wait before retrying entries whose handling threw (storage trouble). */
  readonly retryFloorMs: number;
}

/**
 * The expiry schedule's clock: one timer armed for the earliest entry, a drain that reads
 * due entries a page at a time, oldest first. Nothing about the schedule is held in memory
 * but the time the timer is set for.
 */
export class ExpiryScheduler {
  private timer: NodeJS.Timeout | undefined;
  private timerAtMs = Infinity;
  private running = false;
  /** Set by stop(): runs in progress take no new entries. */
  private halted = false;
  private draining: Promise<void> | undefined;
  private readonly runs = new Set<Promise<unknown>>();

  constructor(private readonly deps: SchedulerDeps) {}

  start(): void {
    this.running = true;
    this.halted = false;
    this.wake(this.deps.nowMs());
  }

  /** Stops the timer and waits for runs in progress, which finish the entries they hold. */
  async stop(): Promise<void> {
    this.running = false;
    this.halted = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAtMs = Infinity;
    await Promise.allSettled([...this.runs]);
  }

  /** Makes sure the timer fires no later than `atMs`. */
  wake(atMs: number): void {
    if (!this.running || atMs >= this.timerAtMs) return;
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.min(MAX_SLEEP_MS, Math.max(0, atMs - this.deps.nowMs()));
    this.timerAtMs = atMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAtMs = Infinity;
      this.drain();
    }, delay);
    this.timer.unref();
  }

  /** Processes every due entry; returns how many were handled. Tests call it to drive time. */
  async runDue(): Promise<number> {
    const run = this.runPasses();
    this.runs.add(run);
    try {
      return (await run).handled;
    } finally {
      this.runs.delete(run);
    }
  }

  private drain(): void {
    // A timer that fires mid-drain is answered by the re-arm below, which reads storage.
    if (this.draining) return;
    let failed = 0;
    const run = this.runPasses()
      .then((r) => {
        failed = r.failed;
      })
      .catch((err: unknown) => this.deps.logger.error("expiry schedule run failed", { error: errText(err) }))
      .finally(() => {
        this.draining = undefined;
        if (this.running) void this.armFromStorage(failed > 0);
      });
    this.draining = run;
    this.runs.add(run);
    void run.finally(() => this.runs.delete(run));
  }

  /**
   * Walks due entries with a cursor, then starts again from the top while the last pass
   * handled anything: handling moves entries (a retry goes later, an undone issuance is
   * deleted), and entries written behind the cursor meanwhile are found by the next pass.
   */
  private async runPasses(): Promise<{ handled: number; failed: number }> {
    let handled = 0;
    let failed = 0;
    for (let pass = 0; pass < MAX_PASSES && !this.halted; pass++) {
      const before = handled;
      failed = 0;
      let after = "";
      for (;;) {
        const page = await this.deps.storage.listPage(keys.schedulePrefix, after, this.deps.pageSize);
        const now = this.deps.nowMs();
        const due = page.filter((k) => scheduleTimeOf(keys.schedulePrefix + k) <= now);
        await mapLimit(
          due,
          this.deps.concurrency,
          async (k) => {
            try {
              await this.fireOne(keys.schedulePrefix + k);
              handled++;
            } catch (err) {
              failed++;
              this.deps.logger.error("expiry schedule entry failed; will retry", { entry: k, error: errText(err) });
            }
          },
          () => this.halted,
        );
        if (this.halted || due.length < page.length || page.length < this.deps.pageSize) break;
        after = page[page.length - 1] ?? "";
      }
      if (handled === before) break;
    }
    return { handled, failed };
  }

  private async fireOne(key: string): Promise<void> {
    const item = await getJson<ScheduleItem>(this.deps.storage, key);
    if (item) await this.deps.fire(key, item);
  }

  private async armFromStorage(afterFailure: boolean): Promise<void> {
    try {
      const [first] = await this.deps.storage.listPage(keys.schedulePrefix, "", 1);
      const now = this.deps.nowMs();
      let at = first === undefined ? now + MAX_SLEEP_MS : scheduleTimeOf(keys.schedulePrefix + first);
      // Entries that failed for want of storage are not hammered in a tight loop.
      if (afterFailure) at = Math.max(at, now + this.deps.retryFloorMs);
      this.wake(at);
    } catch (err) {
      this.deps.logger.error("expiry schedule could not be read", { error: errText(err) });
      this.wake(this.deps.nowMs() + this.deps.retryFloorMs);
    }
  }
}

export function errText(err: unknown): string {
  if (err instanceof MayflyError) return err.errors.join("; ");
  return err instanceof Error ? err.message : String(err);
}
