/**
 * Runs async work one at a time per key. Requests interleave at every `await`, so two
 * writes to one secret would otherwise both read version N and both write N+1.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work);
    // The chain must survive a failed step, or one error would wedge the key forever.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work queued or running; for tests that check nothing leaks. */
  get size(): number {
    return this.tails.size;
  }
}
