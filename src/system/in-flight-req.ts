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
      help: `List the requests being served at this moment, with when and from where each came.

The body is the map itself, keyed by request id, not a JSON envelope. Each entry holds
start_time, client_remote_address, request_path, request_method and client_id, which is
always empty (Mayfly keeps no activity log). This request is among them.`,
      operations: {
        read: async () => ({ raw: { contentType: "application/json", body: JSON.stringify(extras.inFlight.snapshot()) } }),
      },
    }),
  ];
}
