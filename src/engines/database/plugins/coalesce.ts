/**
 * Revocations that pile up while every connection is busy (10,000 leases expiring in one
 * second) go out several to a message: the database does the same work, but each round
 * trip costs the client ~100 µs of CPU and a connection for a whole turn. The statements of
 * one message run as one implicit transaction, so when a message fails nothing of it
 * happened and each of its items is run again alone, failing or succeeding on its own.
 * Items also share a message when they arrive in the same event-loop turn (clients revoking
 * side by side reach this point together): a message costs the client CPU whether it holds
 * one statement or ten, so they go out at the end of the turn, not one by one.
 */
export class StatementCoalescer {
  private readonly queue: Array<{ text: string; resolve(): void; reject(e: unknown): void }> = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly execute: (text: string) => Promise<void>,
    private readonly maxInFlight: () => number,
    private readonly maxPerMessage = 32,
  ) {}

  run(text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ text, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.pump();
      });
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight() && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxPerMessage);
      this.inFlight++;
      void this.send(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async send(batch: Array<{ text: string; resolve(): void; reject(e: unknown): void }>): Promise<void> {
    if (batch.length > 1) {
      try {
        await this.execute(batch.map((b) => b.text).join(";\n"));
        for (const b of batch) b.resolve();
        return;
      } catch {
        // Fall through: find out which item failed by running each alone.
      }
    }
    for (const b of batch) {
      try {
        await this.execute(b.text);
        b.resolve();
      } catch (e) {
        b.reject(e);
      }
    }
  }
}
