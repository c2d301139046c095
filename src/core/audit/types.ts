/**
 * What the request pipeline hands the audit broker, and what the broker writes.
 *
 * Inputs are camelCase (filled from the pipeline's own objects); entries are snake_case
 * because they are Vault's audit log format, field for field (Vault's `audit/types.go`).
 * Every input string that may carry a secret is HMAC'd by the formatter unless the device
 * has `log_raw`; the pipeline passes values in clear and never pre-hashes.
 */

/** The token behind a request (request side), or a token a response issues (response side). */
export interface AuditAuthInput {
  clientToken?: string;
  accessor?: string;
  displayName?: string;
  policies?: readonly string[];
  tokenPolicies?: readonly string[];
  identityPolicies?: readonly string[];
  noDefaultPolicy?: boolean;
  /** Token metadata. Written in clear, as Vault does (e.g. `username` from userpass). */
  metadata?: Readonly<Record<string, string>>;
  entityId?: string;
  /** "service" or "batch". */
  tokenType?: string;
  tokenTtlSeconds?: number;
  tokenIssueTimeMs?: number;
  /** Request side: uses left on the calling token (Vault's `remaining_uses`). */
  remainingUses?: number;
  /** Response side: the use limit of a newly issued token (Vault's `num_uses`). */
  numUses?: number;
  /** Request side: the ACL decision. */
  policyResults?: {
    allowed: boolean;
    grantingPolicies?: readonly { name: string; type: string }[];
  };
}

export interface AuditRequestInfo {
  /** The request id (also returned to the client as `request_id`). */
  id: string;
  clientId?: string;
  /** Vault's logical operation: create, read, update, patch, delete, list, ... */
  operation: string;
  /** The mount's path with a trailing "/", e.g. "secret/". */
  mountPoint?: string;
  mountType?: string;
  mountAccessor?: string;
  mountRunningVersion?: string;
  clientToken?: string;
  clientTokenAccessor?: string;
  /** Full logical path, e.g. "secret/data/app". Written in clear. */
  path: string;
  /** Parsed request body / query. Every string inside is HMAC'd. */
  data?: Readonly<Record<string, unknown>>;
  policyOverride?: boolean;
  remoteAddress?: string;
  remotePort?: number;
  wrapTtlSeconds?: number;
  /**
   * Only the headers the operator chose to audit (lower-case names). Values are written in
   * clear except names listed in `hmacHeaders` and the credential headers
   * (`x-vault-token`, `authorization`, ...) which are always HMAC'd.
   */
  headers?: Readonly<Record<string, readonly string[]>>;
  hmacHeaders?: readonly string[];
}

export interface AuditResponseWrapInfo {
  ttlSeconds: number;
  token: string;
  accessor: string;
  creationTimeMs: number;
  creationPath: string;
  wrappedAccessor?: string;
}

export interface AuditResponseInfo {
  /** A token issued by this response (login, token create). */
  auth?: AuditAuthInput;
  secret?: { leaseId: string };
  /** Response data. Every string inside is HMAC'd. */
  data?: Readonly<Record<string, unknown>>;
  warnings?: readonly string[];
  redirect?: string;
  wrapInfo?: AuditResponseWrapInfo;
}

export interface AuditRequestInput {
  auth?: AuditAuthInput;
  request: AuditRequestInfo;
  /** The error the request ended with, if any (e.g. "permission denied"). */
  error?: string;
  /** The mount's `audit_non_hmac_request_keys`: request data keys written in clear. */
  nonHmacRequestKeys?: readonly string[];
}

export interface AuditResponseInput extends AuditRequestInput {
  response?: AuditResponseInfo;
  /** The mount's `audit_non_hmac_response_keys`: response data keys written in clear. */
  nonHmacResponseKeys?: readonly string[];
}

/* ---- What a device writes (JSON keys as Vault writes them; empty fields are omitted) ---- */

export interface AuditAuthEntry {
  client_token?: string;
  accessor?: string;
  display_name?: string;
  policies?: string[];
  token_policies?: string[];
  identity_policies?: string[];
  no_default_policy?: boolean;
  policy_results?: {
    allowed: boolean;
    granting_policies?: { name: string; namespace_id: string; type: string }[];
  };
  metadata?: Record<string, string>;
  num_uses?: number;
  remaining_uses?: number;
  entity_id?: string;
  token_type?: string;
  token_ttl?: number;
  token_issue_time?: string;
}

export interface AuditRequestEntryBody {
  id?: string;
  client_id?: string;
  operation?: string;
  mount_point?: string;
  mount_type?: string;
  mount_accessor?: string;
  mount_running_version?: string;
  client_token?: string;
  client_token_accessor?: string;
  namespace: { id: string };
  path?: string;
  data?: Record<string, unknown>;
  policy_override?: boolean;
  remote_address?: string;
  remote_port?: number;
  wrap_ttl?: number;
  headers?: Record<string, string[]>;
}

export interface AuditResponseEntryBody {
  auth?: AuditAuthEntry;
  mount_point?: string;
  mount_type?: string;
  mount_accessor?: string;
  mount_running_plugin_version?: string;
  secret?: { lease_id?: string };
  data?: Record<string, unknown>;
  warnings?: string[];
  redirect?: string;
  wrap_info?: {
    ttl?: number;
    token?: string;
    accessor?: string;
    creation_time?: string;
    creation_path?: string;
    wrapped_accessor?: string;
  };
}

export interface AuditRequestEntry {
  time: string;
  type: "request";
  auth: AuditAuthEntry;
  request: AuditRequestEntryBody;
  error?: string;
}

export interface AuditResponseEntry {
  time: string;
  type: "response";
  auth: AuditAuthEntry;
  request: AuditRequestEntryBody;
  response: AuditResponseEntryBody;
  error?: string;
}

/* ---- Device configuration ---- */

/** What `sys/audit/<path>` receives. Options are Vault's string map. */
export interface AuditEnableConfig {
  type: string;
  description?: string;
  local?: boolean;
  options: Readonly<Record<string, string>>;
}

/** One row of Vault's `sys/audit` listing. */
export interface AuditDeviceListing {
  type: string;
  description: string;
  options: Record<string, string>;
  local: boolean;
  path: string;
}

/** A logger that takes explicit fields (pino's `(obj, msg)` signature fits). */
export interface AuditLogger {
  info?(fields: Record<string, string | number | boolean>, message: string): void;
  warn(fields: Record<string, string | number | boolean>, message: string): void;
  error(fields: Record<string, string | number | boolean>, message: string): void;
}
