/**
 * Settings a configuration written for Vault may hold that Mayfly does not act on. Those
 * with no bearing on what Mayfly promises are accepted with a warning, so an existing
 * Vault file starts; those whose meaning Mayfly cannot honour (another seal, HA storage,
 * restricted cipher suites, the PROXY protocol) are refused with the reason, since running
 * without them would quietly weaken or change the setup the operator wrote.
 */

/** Top-level settings and blocks accepted and ignored. */
export const IGNORED_TOP_LEVEL: ReadonlySet<string> = new Set([
  "telemetry",
  "plugin_directory",
  "plugin_file_uid",
  "plugin_file_permissions",
  "plugin_tmpdir",
  "cache_size",
  "disable_cache",
  "log_requests_level",
  "log_file",
  "log_rotate_duration",
  "log_rotate_bytes",
  "log_rotate_max_files",
  "introspection_endpoint",
  "enable_response_header_hostname",
  "enable_response_header_raft_node_id",
  "disable_clustering",
  "detect_deadlocks",
  "disable_performance_standby",
  "disable_sealwrap",
  "disable_indexing",
  "disable_sentinel_trace",
  "imprecise_lease_role_tracking",
  "enable_post_unseal_trace",
  "post_unseal_trace_directory",
  "service_registration",
  "user_lockout",
  "experiments",
  "raw_storage_endpoint",
]);

/** Top-level settings refused, with why. `seal` is decided by its type (shamir is fine). */
export const REFUSED_TOP_LEVEL: Readonly<Record<string, string>> = {
  ha_storage: "HA storage is not supported: Mayfly runs as a single node",
  ha_backend: "HA storage is not supported: Mayfly runs as a single node",
  license_path: "Vault Enterprise licences do not apply to Mayfly",
  entropy: "external entropy (Vault Enterprise) is not supported",
  replication: "replication (Vault Enterprise) is not supported",
};

/** Listener settings and blocks accepted and ignored. */
export const IGNORED_LISTENER: ReadonlySet<string> = new Set([
  "http_idle_timeout",
  "http_read_header_timeout",
  "http_read_timeout",
  "http_write_timeout",
  "tls_prefer_server_cipher_suites",
  "telemetry",
  "profiling",
  "inflight_requests_logging",
  "custom_response_headers",
  "redact_addresses",
  "redact_cluster_name",
  "redact_version",
  "disable_replication_status_endpoints",
  "disable_request_limiter",
]);

/** Listener settings refused, with why. */
export const REFUSED_LISTENER: Readonly<Record<string, string>> = {
  proxy_protocol_behavior: "is not supported: Mayfly does not read PROXY protocol headers (x_forwarded_for_* is)",
  proxy_protocol_authorized_addrs: "is not supported: Mayfly does not read PROXY protocol headers (x_forwarded_for_* is)",
  chroot_namespace: "needs namespaces (Vault Enterprise), which Mayfly does not have",
};

export function ignoredWarning(file: string, line: number, where: string, key: string): string {
  return `${file}:${line}: ${where}${key} is a Vault setting Mayfly does not use; ignored`;
}
