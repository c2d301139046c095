import { definePath, type PathDef } from "../framework/types.js";
import type { SysExtras } from "./extras.js";

/**
 * `sys/in-flight-req`: the requests being served right now, keyed by an id. Vault sends
 * the map as the whole body, without the usual envelope, and so does Mayfly.
 */
export function inFlightReqPaths(extras: SysExtras): PathDef[] {
  return [
    definePath({
      pattern: "in-flight-req",
      help: "The requests being served at this moment: start time, client address, path and method of each.",
      operations: {
        read: async () => ({ raw: { contentType: "application/json", body: JSON.stringify(extras.inFlight.snapshot()) } }),
      },
    }),
  ];
}
