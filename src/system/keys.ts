import type { Core } from "../core/core.js";
import { definePath, type PathDef } from "../framework/types.js";

export function keyPaths(core: Core): PathDef[] {
  return [
    definePath({
      pattern: "rotate",
      operations: {
        update: async () => {
          await core.barrier.rotate();
          return undefined;
        },
      },
    }),
    definePath({
      pattern: "key-status",
      operations: { read: async () => ({ data: { ...core.barrier.keyStatus() }, injectDataAtTop: true }) },
    }),
    definePath({
      pattern: "seal",
      operations: {
        update: async () => {
          // Answer first: sealing tears down the very pipeline serving this request.
          setImmediate(() => {
            core.sealVault().catch((err: unknown) =>
              core.logger.error("seal failed", { error: err instanceof Error ? err.message : String(err) }),
            );
          });
          return undefined;
        },
      },
    }),
    // No HA cluster to step down from; accepted as Vault's single-node servers do.
    definePath({ pattern: "step-down", operations: { update: async () => undefined } }),
  ];
}
