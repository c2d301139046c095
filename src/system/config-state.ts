import { definePath, type PathDef } from "../framework/types.js";
import type { SysExtras } from "./extras.js";

/** `sys/config/state/sanitized`: the server configuration without secrets. */
export function configStatePaths(extras: SysExtras): PathDef[] {
  return [
    definePath({
      pattern: "config/state/sanitized",
      help: `Report the configuration the server runs with, without values that may hold secrets.

It holds the settings Mayfly has: addresses, lease TTLs, log level and format, ui,
pid_file, disable_mlock, the listeners and lease_recovery_grace. The storage shows only
its type, since its settings may hold passwords, and the seal is shamir. Settings that
only Vault has are absent.`,
      operations: { read: async () => ({ data: extras.configState() }) },
    }),
  ];
}
