import type { Core } from "../core/core.js";
import type { Backend, BackendFactory } from "../framework/types.js";
import { auditPaths } from "./audit.js";
import { capabilityPaths } from "./capabilities.js";
import { internalUiPaths } from "./internal-ui.js";
import { keyPaths } from "./keys.js";
import { leasePaths } from "./leases.js";
import { metricsPaths } from "./metrics.js";
import { mountPaths } from "./mounts.js";
import { policyPaths } from "./policies.js";
import { toolPaths } from "./tools.js";
import { wrappingPaths } from "./wrapping.js";

/** The `sys/` backend: the core's own control surface, as Vault's system backend. */
export function createSystemBackend(core: Core): BackendFactory {
  return (): Backend => ({
    type: "system",
    paths: [
      ...mountPaths(core),
      ...policyPaths(core),
      ...capabilityPaths(core),
      ...leasePaths(core),
      ...auditPaths(core),
      ...keyPaths(core),
      ...metricsPaths(core),
      ...internalUiPaths(core),
      ...toolPaths(),
      ...wrappingPaths(core),
    ],
    // Vault's sys root paths: these need `sudo` on top of the operation's capability.
    rootPaths: [
      "auth/*",
      "remount",
      "audit",
      "audit/*",
      "raw",
      "raw/*",
      "rotate",
      "config/cors",
      "config/auditing/*",
      "config/ui/headers/*",
      "plugins/catalog/*",
      "revoke-prefix/*",
      "revoke-force/*",
      "leases/revoke-prefix/*",
      "leases/revoke-force/*",
      "leases/lookup/*",
      "leases",
      "internal/inspect/*",
      "seal",
      "step-down",
    ],
    // Vault lets anyone holding a wrapping token look it up without a token of their own.
    unauthenticatedPaths: ["internal/ui/mounts", "internal/ui/mounts/*", "wrapping/lookup"],
  });
}
