import type { Core } from "../core/core.js";
import type { Backend, BackendFactory } from "../framework/types.js";
import { auditPaths } from "./audit.js";
import { capabilityPaths } from "./capabilities.js";
import { configCorsPaths } from "./config-cors.js";
import { configStatePaths } from "./config-state.js";
import { createSysExtras, type SysExtras } from "./extras.js";
import { haStatusPaths } from "./ha-status.js";
import { hostInfoPaths } from "./host-info.js";
import { inFlightReqPaths } from "./in-flight-req.js";
import { internalSpecsPaths } from "./internal-specs.js";
import { internalUiPaths } from "./internal-ui.js";
import { keyPaths } from "./keys.js";
import { monitorPaths } from "./monitor.js";
import { auditedHeaderPaths } from "./audited-headers.js";
import { lockedUserPaths } from "./locked-users.js";
import { quotaPaths } from "./quotas.js";
import { leasePaths } from "./leases.js";
import { loggerPaths } from "./loggers.js";
import { metricsPaths } from "./metrics.js";
import { mountPaths } from "./mounts.js";
import { pluginCatalogPaths } from "./plugins-catalog.js";
import { policyPaths } from "./policies.js";
import { toolPaths } from "./tools.js";
import { wrappingPaths } from "./wrapping.js";

/**
 * The `sys/` backend: the core's own control surface, as Vault's system backend. `extras`
 * connect it to the running server (CORS, log level, configuration); without them a bare
 * core gets defaults.
 */
export function createSystemBackend(core: Core, extras: SysExtras = createSysExtras(core)): BackendFactory {
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
      ...haStatusPaths(extras, core),
      ...hostInfoPaths(),
      ...inFlightReqPaths(extras),
      ...configStatePaths(extras),
      ...configCorsPaths(extras.cors),
      ...loggerPaths(extras),
      ...monitorPaths(extras),
      ...auditedHeaderPaths(core),
      ...lockedUserPaths(core),
      ...quotaPaths(core),
      ...pluginCatalogPaths(extras),
      ...internalSpecsPaths(core),
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
      "rotate/config",
      "locked-users",
      "locked-users/*",
      "rekey/backup",
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
    unauthenticatedPaths: ["internal/ui/mounts", "internal/ui/mounts/*", "internal/specs/openapi", "wrapping/lookup", "replication/status"],
  });
}
