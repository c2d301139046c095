export { AuditManager, AuditLogFailedError, AUDIT_TABLE_KEY, AUDIT_SALT_PREFIX } from "./manager.js";
export type { AuditManagerOptions } from "./manager.js";
export type * from "./types.js";
