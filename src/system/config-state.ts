import { definePath, type PathDef } from "../framework/types.js";
import type { SysExtras } from "./extras.js";

/** `sys/config/state/sanitized`: the server configuration without secrets. */
export function configStatePaths(extras: SysExtras): PathDef[] {
  return [
    definePath({
      pattern: "config/state/sanitized",
      help: "The configuration the server runs with, without values that may hold secrets (storage settings).",
      operations: { read: async () => ({ data: extras.configState() }) },
    }),
  ];
}
