/**
 * When each static role is next due, in memory, and a timer that runs what is due. The
 * truth stays in storage (each role's next_vault_rotation_ms and any WAL), so the queue
 * is rebuilt from it when the mount loads.
 */
import type { Logger } from "../../framework/types.js";

export interface RotationQueueDeps {
  nowMs(): number;
  readonly logger: Logger;
  /** Every static role and when it is due, read from storage. */
  loadAll(): Promise<Map<string, number>>;
  /** Rotates the role if due; returns when to look at it next, undefined once it is gone. */
  rotateDue(roleName: string, nowMs: number): Promise<number | undefined>;
}

/** The timer re-reads the queue at least this often. */
const MAX_SLEEP_MS = 60_000;

export class RotationQueue {
  private readonly due = new Map<string, number>();
  private loading: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAtMs = Infinity;
  private running: Promise<number> | undefined;
  private stopped = false;
  private started = false;

  constructor(private readonly deps: RotationQueueDeps) {}

  /** Starts the timer (the mount is live); without it, `runDue` is driven by hand. */
  start(): void {
    this.started = true;
    this.arm(this.deps.nowMs());
  }

  set(roleName: string, atMs: number): void {
    this.due.set(roleName, atMs);
    this.arm(atMs);
  }

  delete(roleName: string): void {
    this.due.delete(roleName);
  }

  dueAt(roleName: string): number | undefined {
    return this.due.get(roleName);
  }

  /** Rotates every role that is due now; returns how many were looked at. Runs one pass at a time. */
  runDue(): Promise<number> {
    if (this.running) return this.running;
    const run = this.pass().finally(() => {
      this.running = undefined;
    });
    this.running = run;
    return run;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<number> {
    await this.ensureLoaded();
    const now = this.deps.nowMs();
    const due = [...this.due.entries()].filter(([, at]) => at <= now).map(([name]) => name);
    for (const name of due) {
      if (this.stopped) break;
      try {
        const next = await this.deps.rotateDue(name, this.deps.nowMs());
        if (next === undefined) this.due.delete(name);
        else this.due.set(name, next);
      } catch (err) {
        this.deps.logger.error("database: static role rotation step failed", {
          role: name,
          error: err instanceof Error ? err.message : String(err),
        });
        this.due.set(name, this.deps.nowMs() + 10_000);
      }
    }
    return due.length;
  }

  private ensureLoaded(): Promise<void> {
    this.loading ??= this.deps.loadAll().then(
      (loaded) => {
        // Roles set while loading are newer than what storage said.
        for (const [name, at] of loaded) if (!this.due.has(name)) this.due.set(name, at);
      },
      (err: unknown) => {
        this.loading = undefined;
        throw err;
      },
    );
    return this.loading;
  }

  private arm(atMs: number): void {
    if (!this.started || this.stopped || atMs >= this.timerAtMs) return;
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.min(MAX_SLEEP_MS, Math.max(0, atMs - this.deps.nowMs()));
    this.timerAtMs = atMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAtMs = Infinity;
      void this.runDue()
        .catch((err: unknown) =>
          this.deps.logger.error("database: static rotation pass failed", { error: err instanceof Error ? err.message : String(err) }),
        )
        .finally(() => this.armNext());
    }, delay);
    this.timer.unref();
  }

  private armNext(): void {
    let next = this.deps.nowMs() + MAX_SLEEP_MS;
    for (const at of this.due.values()) next = Math.min(next, at);
    this.arm(next);
  }
}
