import { randomUUID } from "node:crypto";
import type { Operation, Request } from "../framework/types.js";
import type { Core } from "./core.js";
import type { Mounted } from "./mounts.js";
import { routePrefix } from "./router/mount-entry.js";

/**
 * A request the core makes on its own behalf (revoking or renewing a lease), so backends
 * handle it with the same code as a client's.
 */
export function syntheticRequest(core: Core, mounted: Mounted, path: string, operation: Operation): Request {
  const prefix = routePrefix(mounted.entry);
  return {
    id: randomUUID(),
    operation,
    path,
    relativePath: path.startsWith(prefix) ? path.slice(prefix.length) : path,
    mount: mounted.info,
    data: {},
    storage: mounted.storage,
    caller: {
      clientToken: "",
      accessor: "",
      policies: [],
      displayName: "core",
      entityId: "",
      tokenType: "",
      tokenHash: "",
      metadata: {},
    },
    connection: { remoteAddress: "", remotePort: 0 },
    headers: {},
    leases: {
      issue: () => Promise.reject(new Error("the core cannot issue leases on its own behalf")),
    },
    nowMs: core.nowMs(),
  };
}
