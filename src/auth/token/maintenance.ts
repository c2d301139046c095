import type { Core } from "../../core/core.js";
import { notFound } from "../../framework/errors.js";
import { definePath, type PathDef, type Response } from "../../framework/types.js";

/** Runs one token tidy at a time in the background, as Vault does; `cleanup` awaits it. */
export class TidyRunner {
  private running: Promise<void> | undefined;

  constructor(private readonly core: Core) {}

  start(): Response {
    if (this.running) return { data: null, warnings: ["Tidy operation already in progress."] };
    this.running = this.core.tokens
      .tidy()
      .then(({ removed }) => this.core.logger.info("token tidy finished", { revoked_tokens: removed }))
      .catch((err: unknown) =>
        this.core.logger.error("token tidy failed", { error: err instanceof Error ? err.message : "unknown" }),
      )
      .finally(() => {
        this.running = undefined;
      });
    return {
      data: null,
      status: 202,
      warnings: ["Tidy operation successfully started. Any information from the operation will be printed to Vault's server logs."],
    };
  }

  async settle(): Promise<void> {
    await this.running;
  }
}

export function maintenancePaths(core: Core, tidy: TidyRunner): readonly PathDef[] {
  return [
    definePath({
      pattern: "accessors/",
      operations: {
        list: async () => {
          const keys = await core.tokens.listAccessors();
          if (keys.length === 0) throw notFound();
          return { data: { keys } };
        },
      },
      help: `List the accessors of all tokens (needs sudo).

Use them with lookup-accessor, renew-accessor and revoke-accessor. A store with no token
answers 404.`,
    }),
    definePath({
      pattern: "tidy",
      operations: { update: () => Promise.resolve(tidy.start()) },
      help: `Finish token revocations that a crash interrupted.

Children whose parent is gone, or was marked revoked but is still stored, are revoked
with their subtrees, and the stale entries of the parent index go. The tidy runs in the
background, one at a time: the answer is 202 with a warning, and the number of tokens
revoked goes to the server log.`,
    }),
  ];
}
