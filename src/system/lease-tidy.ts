import type { TidyResult } from "../core/expiration/expiration-manager.js";
import type { Logger, Response } from "../framework/types.js";

/** How long `sys/leases/tidy` waits for the tidy before answering that it goes on without it. */
export const TIDY_ANSWER_WITHIN_MS = 10_000;

export interface LeaseTidyDeps {
  /** The leases' tidy, then the tokens' (a lease tidy revokes leases of tokens gone). */
  tidy(): Promise<TidyResult>;
  readonly logger: Logger;
}

/**
 * `sys/leases/tidy`. Vault always tidies in the background and answers at once. Mayfly
 * waits a little: a small store is tidied before the answer, which then counts what was
 * revoked, retried and cleaned; a large one (the walk over a million leases took 84 s on a
 * 2-vCPU VM, past the CLI's 60-second timeout) answers 202 as Vault does and logs the counts
 * when done.
 * Calls during a tidy join it rather than start another.
 */
export class LeaseTidy {
  private running: Promise<TidyResult> | undefined;

  constructor(
    private readonly deps: LeaseTidyDeps,
    private readonly answerWithinMs = TIDY_ANSWER_WITHIN_MS,
  ) {}

  async run(): Promise<Response> {
    const current = (this.running ??= this.start());
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, this.answerWithinMs, undefined);
    });
    let result: TidyResult | undefined;
    try {
      result = await Promise.race([current, late]);
    } finally {
      clearTimeout(timer);
    }
    if (result) return { data: { ...result }, warnings: ["Tidy operation successfully completed."], status: 200 };
    return {
      data: null,
      status: 202,
      warnings: ["Tidy operation successfully started. Any information from the operation will be printed to Mayfly's server logs."],
    };
  }

  /** One tidy, its outcome logged whether or not a caller still waits for it. */
  private start(): Promise<TidyResult> {
    const tidy = this.deps.tidy();
    tidy.then(
      (r) => this.deps.logger.info("lease tidy finished", { ...r }),
      (err: unknown) => this.deps.logger.error("lease tidy failed", { error: err instanceof Error ? err.message : String(err) }),
    );
    return tidy.finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves once a tidy in progress has ended, however it ended. */
  async settle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }
}
