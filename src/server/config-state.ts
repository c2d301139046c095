/**
 * `sys/config/state/sanitized`: the configuration the server runs with, in Vault's key
 * names, without anything that may hold a secret. As in Vault, the storage block's own
 * settings are left out entirely (a PostgreSQL URL carries a password), leaving only its
 * type; listener settings are addresses, file paths and limits, none secret.
 */
import type { ListenerSpec } from "./app.js";
import type { ServerConfig } from "./config.js";

export interface ConfigStateInput {
  readonly storageType: string;
  readonly listeners: readonly ListenerSpec[];
  readonly defaultLeaseTtlSeconds: number;
  readonly maxLeaseTtlSeconds: number;
  /** The parsed configuration files, when the server was started from them. */
  readonly file?: ServerConfig;
}

function listenerState(l: ListenerSpec): Record<string, unknown> {
  const config: Record<string, unknown> = { address: l.address, tls_disable: l.tlsDisable };
  if (l.tlsCertFile !== undefined) config.tls_cert_file = l.tlsCertFile;
  if (l.tlsKeyFile !== undefined) config.tls_key_file = l.tlsKeyFile;
  if (l.tlsClientCaFile !== undefined) config.tls_client_ca_file = l.tlsClientCaFile;
  if (l.tlsMinVersion !== undefined) config.tls_min_version = l.tlsMinVersion;
  if (l.tlsMaxVersion !== undefined) config.tls_max_version = l.tlsMaxVersion;
  if (l.tlsRequireAndVerifyClientCert !== undefined) config.tls_require_and_verify_client_cert = l.tlsRequireAndVerifyClientCert;
  if (l.tlsDisableClientCerts !== undefined) config.tls_disable_client_certs = l.tlsDisableClientCerts;
  if (l.maxRequestSizeBytes !== undefined) config.max_request_size = l.maxRequestSizeBytes;
  if (l.tlsCipherSuites) config.tls_cipher_suites = l.tlsCipherSuites.written;
  if (l.maxRequestDurationSeconds !== undefined) config.max_request_duration = l.maxRequestDurationSeconds;
  if (l.forwardedFor) {
    config.x_forwarded_for_authorized_addrs = l.forwardedFor.authorizedAddrs.join(",");
    config.x_forwarded_for_hop_skips = l.forwardedFor.hopSkips;
    config.x_forwarded_for_reject_not_authorized = l.forwardedFor.rejectNotAuthorized;
    config.x_forwarded_for_reject_not_present = l.forwardedFor.rejectNotPresent;
  }
  return { type: l.type ?? "tcp", config };
}

export function sanitizedConfigState(input: ConfigStateInput): Record<string, unknown> {
  const f = input.file;
  const apiAddr = f?.apiAddr ?? "";
  const clusterAddr = f?.clusterAddr ?? "";
  return {
    api_addr: apiAddr,
    cluster_addr: clusterAddr,
    cluster_name: f?.clusterName ?? "",
    default_lease_ttl: input.defaultLeaseTtlSeconds,
    max_lease_ttl: input.maxLeaseTtlSeconds,
    disable_mlock: f?.disableMlock ?? false,
    enable_ui: f?.ui ?? false,
    log_level: f?.logLevel ?? "",
    log_format: f?.logFormat ?? "",
    pid_file: f?.pidFile ?? "",
    raw_storage_endpoint: false,
    listeners: input.listeners.map(listenerState),
    seals: [{ type: "shamir", disabled: false }],
    storage: { type: input.storageType, redirect_addr: apiAddr, cluster_addr: clusterAddr, disable_clustering: false },
    ...(f?.leaseRecoveryGraceSeconds !== undefined ? { lease_recovery_grace: f.leaseRecoveryGraceSeconds } : {}),
    default_max_request_duration: f?.defaultMaxRequestDurationSeconds ?? 0,
  };
}
