/** The `kv` secrets engine: version 1 or 2 by the mount's `options.version`. */
import type { Backend, BackendContext, BackendFactory } from "../../framework/types.js";
import { kvV1Paths } from "./v1.js";
import { createKvV2Backend } from "./v2/backend.js";

export { v1RefreshIntervalSeconds } from "./v1.js";

export const createKvBackend: BackendFactory = (ctx: BackendContext): Promise<Backend> | Backend => {
  const version = ctx.mount.options.version ?? "";
  switch (version) {
    case "2":
      return createKvV2Backend(ctx);
    case "1":
    case "":
      return { type: "kv", paths: kvV1Paths(ctx.storage) };
    default:
      // The mount table refuses other values; reaching here means a corrupt entry.
      throw new Error(`kv: unsupported version "${version}"`);
  }
};
