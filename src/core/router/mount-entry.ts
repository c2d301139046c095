import type { UserLockoutTune } from "../../framework/types.js";

/** A mount as stored in the mount table (`core/mounts` or `core/auth`), in Vault's field names. */
export interface MountEntry {
  /** With trailing slash, without the `auth/` prefix for auth methods: `secret/`, `token/`. */
  path: string;
  type: string;
  description: string;
  accessor: string;
  uuid: string;
  kind: "secret" | "auth";
  config: MountConfig;
  options: Record<string, string>;
  local: boolean;
  seal_wrap: boolean;
  external_entropy_access: boolean;
}

export interface MountConfig {
  /** Seconds; 0 = use the system default. */
  default_lease_ttl: number;
  max_lease_ttl: number;
  force_no_cache: boolean;
  listing_visibility?: string;
  audit_non_hmac_request_keys?: string[];
  audit_non_hmac_response_keys?: string[];
  passthrough_request_headers?: string[];
  allowed_response_headers?: string[];
  token_type?: string;
  user_lockout_config?: UserLockoutTune;
}

/** The routing prefix of a mount: auth methods live under `auth/`. */
export function routePrefix(e: Pick<MountEntry, "kind" | "path">): string {
  return e.kind === "auth" ? `auth/${e.path}` : e.path;
}

/** Storage prefix of a mount's own data, as Vault lays it out. */
export function storagePrefix(e: Pick<MountEntry, "kind" | "uuid" | "type">): string {
  if (e.type === "system") return "sys/";
  return e.kind === "auth" ? `auth/${e.uuid}/` : `logical/${e.uuid}/`;
}
