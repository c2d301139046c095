/**
 * `mayfly server -config=<file>`: Vault's server configuration (HCL or JSON) reduced to
 * what Mayfly runs. Every error names the file and, when the problem sits somewhere, the
 * line: `config.hcl:4: unknown storage type "s3" (supported: sqlite, inmem)`.
 */
import { badRequest, isMayflyError, type MayflyError } from "../framework/errors.js";
import { parseDurationSeconds } from "../framework/duration.js";
import { getBlocks, isHclError, parseHcl, type HclBlock, type HclItem, type HclObject, type HclValue } from "../hcl/index.js";
import type { StorageConfig } from "../storage/open.js";

export type TlsVersion = "tls10" | "tls11" | "tls12" | "tls13";
export type ConfigLogLevel = "trace" | "debug" | "info" | "warn" | "error";

export interface ListenerConfig {
  readonly type: "tcp";
  /** host:port as written (default 127.0.0.1:8200). */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  readonly tlsDisable: boolean;
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
  readonly tlsClientCaFile?: string;
  readonly tlsMinVersion: TlsVersion;
  readonly tlsMaxVersion: TlsVersion;
  readonly tlsRequireAndVerifyClientCert: boolean;
  readonly tlsDisableClientCerts: boolean;
  /** Largest request body accepted; 0 means no limit (Vault: a negative max_request_size). */
  readonly maxRequestSizeBytes: number;
  readonly maxRequestDurationSeconds: number;
  /** Where the block starts, for messages raised later (e.g. a port already in use). */
  readonly line: number;
}

export interface ServerConfig {
  readonly storage: StorageConfig;
  readonly listeners: readonly ListenerConfig[];
  readonly apiAddr?: string;
  readonly clusterAddr?: string;
  readonly defaultLeaseTtlSeconds: number;
  readonly maxLeaseTtlSeconds: number;
  /** Mayfly: how long after a crash an undone issuance is revoked once more (absent: the default). */
  readonly leaseRecoveryGraceSeconds?: number;
  /** Absent when the file does not set it, so a -log-level flag or env var can decide. */
  readonly logLevel?: ConfigLogLevel;
  readonly logFormat?: "standard" | "json";
  readonly ui: boolean;
  readonly pidFile?: string;
  readonly clusterName?: string;
  /** Accepted for compatibility with Vault configs; Mayfly does not lock memory. */
  readonly disableMlock: boolean;
  /** Settings that were accepted but deserve a mention at startup. */
  readonly warnings: readonly string[];
}

export const DEFAULT_LISTENER_ADDRESS = "127.0.0.1:8200";
/** Vault's system default for both default_lease_ttl and max_lease_ttl: 32 days. */
export const SYSTEM_DEFAULT_LEASE_TTL_SECONDS = 768 * 3600;
export const DEFAULT_MAX_REQUEST_SIZE_BYTES = 32 * 1024 * 1024;
export const DEFAULT_MAX_REQUEST_DURATION_SECONDS = 90;

const TOP_LEVEL_KEYS = [
  "storage",
  "backend",
  "listener",
  "api_addr",
  "cluster_addr",
  "default_lease_ttl",
  "max_lease_ttl",
  "log_level",
  "log_format",
  "ui",
  "disable_mlock",
  "pid_file",
  "cluster_name",
  "lease_recovery_grace",
] as const;

const STORAGE_KEYS: Readonly<Record<StorageConfig["type"], readonly string[]>> = {
  sqlite: ["path", "synchronous"],
  inmem: [],
};

const LISTENER_KEYS = [
  "address",
  "cluster_address",
  "tls_disable",
  "tls_cert_file",
  "tls_key_file",
  "tls_client_ca_file",
  "tls_min_version",
  "tls_max_version",
  "tls_require_and_verify_client_cert",
  "tls_disable_client_certs",
  "max_request_size",
  "max_request_duration",
] as const;

const TLS_VERSIONS: readonly TlsVersion[] = ["tls10", "tls11", "tls12", "tls13"];

export function parseServerConfig(text: string, fileName: string): ServerConfig {
  const at = (line: number | undefined, message: string): MayflyError =>
    badRequest(line === undefined ? `${fileName}: ${message}` : `${fileName}:${line}: ${message}`);
  let body: HclObject;
  try {
    body = parseHcl(text).body;
  } catch (e) {
    if (isHclError(e)) throw badRequest(`${fileName}:${e.line}:${e.column}: ${e.detail}`);
    throw e;
  }
  try {
    return readConfig(body, at);
  } catch (e) {
    // Block-shape problems found while collecting blocks carry a position too.
    if (isHclError(e)) throw badRequest(`${fileName}:${e.line}:${e.column}: ${e.detail}`);
    throw e;
  }
}

type At = (line: number | undefined, message: string) => MayflyError;

function readConfig(body: HclObject, at: At): ServerConfig {
  const known: ReadonlySet<string> = new Set(TOP_LEVEL_KEYS);
  const unknown = body.items.filter((item) => !known.has(item.keys[0]?.name ?? ""));
  if (unknown.length > 0) {
    const names = unknown.map((i) => `"${i.keys[0]?.name ?? ""}"${unknown.length > 1 ? ` (line ${i.line})` : ""}`).join(", ");
    throw at(unknown[0]?.line, `unknown ${unknown.length > 1 ? "keys" : "key"} ${names} (supported: ${TOP_LEVEL_KEYS.join(", ")})`);
  }

  const warnings: string[] = [];
  const attrs = new Map<string, HclItem>();
  for (const item of body.items) {
    const key = item.keys[0]?.name ?? "";
    if (key === "storage" || key === "backend" || key === "listener") continue;
    if (item.keys.length > 1 || !item.assign) throw at(item.line, `"${key}" is a setting, not a block: write ${key} = <value>`);
    if (attrs.has(key)) warnings.push(`"${key}" is set more than once; the value on line ${item.line} is used`);
    attrs.set(key, item);
  }

  const storage = readStorage(body, at);
  const listeners = getBlocks(body, "listener", 1).map((b) => readListener(b, at));
  if (listeners.length === 0) throw at(undefined, `no listener configured: add a listener "tcp" { address = "${DEFAULT_LISTENER_ADDRESS}" } block`);

  const str = (key: string): string | undefined => {
    const item = attrs.get(key);
    if (!item) return undefined;
    if (item.value.type !== "string") throw at(item.line, `${key} must be a string`);
    return item.value.value;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const item = attrs.get(key);
    return item ? boolOf(item.value, key, item.line, at) : fallback;
  };
  const duration = (key: string): number | undefined => {
    const item = attrs.get(key);
    if (!item) return undefined;
    const seconds = durationOf(item.value, key, item.line, at);
    if (seconds < 0) throw at(item.line, `${key} must not be negative`);
    return seconds === 0 ? undefined : seconds; // 0 means "the system default", as in Vault
  };

  const maxLease = duration("max_lease_ttl") ?? SYSTEM_DEFAULT_LEASE_TTL_SECONDS;
  const defaultLeaseSet = duration("default_lease_ttl");
  // Vault refuses a default above the max even when the default was never written; we
  // only refuse an explicit one and otherwise lower the implicit default to the max.
  const defaultLease = defaultLeaseSet ?? Math.min(SYSTEM_DEFAULT_LEASE_TTL_SECONDS, maxLease);
  if (defaultLease > maxLease) {
    throw at(attrs.get("default_lease_ttl")?.line, `default_lease_ttl (${defaultLease}s) must not exceed max_lease_ttl (${maxLease}s)`);
  }

  let logLevel: ConfigLogLevel | undefined;
  const levelText = str("log_level");
  if (levelText !== undefined && levelText !== "") {
    const v = levelText.trim().toLowerCase();
    const mapped = v === "warning" ? "warn" : v === "err" ? "error" : v === "notice" ? "info" : v;
    if (!["trace", "debug", "info", "warn", "error"].includes(mapped)) {
      throw at(attrs.get("log_level")?.line, `unknown log_level "${levelText}" (supported: trace, debug, info, warn, error)`);
    }
    logLevel = mapped as ConfigLogLevel;
  }
  let logFormat: "standard" | "json" | undefined;
  const formatText = str("log_format");
  if (formatText !== undefined && formatText !== "") {
    if (formatText !== "standard" && formatText !== "json") {
      throw at(attrs.get("log_format")?.line, `unknown log_format "${formatText}" (supported: standard, json)`);
    }
    logFormat = formatText;
  }

  const config: { -readonly [K in keyof ServerConfig]: ServerConfig[K] } = {
    storage,
    listeners,
    defaultLeaseTtlSeconds: defaultLease,
    maxLeaseTtlSeconds: maxLease,
    ui: bool("ui", false),
    disableMlock: bool("disable_mlock", false),
    warnings,
  };
  const grace = duration("lease_recovery_grace");
  if (grace !== undefined) config.leaseRecoveryGraceSeconds = grace;
  const apiAddr = str("api_addr");
  if (apiAddr !== undefined && apiAddr !== "") {
    if (!/^https?:\/\/[^/\s]+/.test(apiAddr)) throw at(attrs.get("api_addr")?.line, `api_addr must be a URL such as "https://vault.example.com:8200", got "${apiAddr}"`);
    config.apiAddr = apiAddr;
  }
  const clusterAddr = str("cluster_addr");
  if (clusterAddr !== undefined && clusterAddr !== "") config.clusterAddr = clusterAddr;
  if (logLevel !== undefined) config.logLevel = logLevel;
  if (logFormat !== undefined) config.logFormat = logFormat;
  const pidFile = str("pid_file");
  if (pidFile !== undefined && pidFile !== "") config.pidFile = pidFile;
  const clusterName = str("cluster_name");
  if (clusterName !== undefined && clusterName !== "") config.clusterName = clusterName;
  return config;
}

function readStorage(body: HclObject, at: At): StorageConfig {
  const blocks = [...getBlocks(body, "storage", 1), ...getBlocks(body, "backend", 1)].sort((a, b) => a.item.line - b.item.line);
  const supported = Object.keys(STORAGE_KEYS).join(", ");
  const first = blocks[0];
  if (!first) throw at(undefined, `no storage configured: add a storage "sqlite" { path = "..." } block (supported: ${supported})`);
  const second = blocks[1];
  if (second) throw at(second.item.line, `only one storage block is allowed (another is on line ${first.item.line})`);
  const type = first.labels[0] ?? "";
  const allowed = STORAGE_KEYS[type as StorageConfig["type"]];
  if (!Object.prototype.hasOwnProperty.call(STORAGE_KEYS, type) || allowed === undefined) {
    throw at(first.at.line, `unknown storage type "${type}" (supported: ${supported})`);
  }
  const where = `storage "${type}"`;
  const items = settingsOf(first, where, allowed, at);
  if (type === "inmem") return { type: "inmem" };
  const pathItem = items.get("path");
  if (!pathItem || pathItem.value.type !== "string" || pathItem.value.value === "") {
    throw at(pathItem?.line ?? first.item.line, `${where}: path must be set to the database file, e.g. path = "/var/lib/mayfly/mayfly.db"`);
  }
  const syncItem = items.get("synchronous");
  if (syncItem) {
    const v = syncItem.value.type === "string" ? syncItem.value.value.toLowerCase() : "";
    if (v !== "full" && v !== "normal") throw at(syncItem.line, `${where}: synchronous must be "full" or "normal"`);
    return { type: "sqlite", path: pathItem.value.value, synchronous: v };
  }
  return { type: "sqlite", path: pathItem.value.value };
}

function readListener(block: HclBlock, at: At): ListenerConfig {
  const type = block.labels[0] ?? "";
  if (type !== "tcp") throw at(block.at.line, `unknown listener type "${type}" (supported: tcp)`);
  const where = `listener "tcp"`;
  const items = settingsOf(block, where, LISTENER_KEYS, at);
  const str = (key: string): string | undefined => {
    const item = items.get(key);
    if (!item) return undefined;
    if (item.value.type !== "string") throw at(item.line, `${where}: ${key} must be a string`);
    return item.value.value === "" ? undefined : item.value.value;
  };
  const bool = (key: string): boolean => {
    const item = items.get(key);
    return item ? boolOf(item.value, `${where}: ${key}`, item.line, at) : false;
  };
  const tlsVersion = (key: string, fallback: TlsVersion): TlsVersion => {
    const v = str(key);
    if (v === undefined) return fallback;
    if (!(TLS_VERSIONS as readonly string[]).includes(v)) {
      throw at(items.get(key)?.line, `${where}: ${key} must be one of ${TLS_VERSIONS.join(", ")}, got "${v}"`);
    }
    return v as TlsVersion;
  };

  const address = str("address") ?? DEFAULT_LISTENER_ADDRESS;
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(address.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw at(items.get("address")?.line ?? block.item.line, `${where}: invalid address "${address}" (expected host:port, e.g. "127.0.0.1:8200")`);
  }
  const host = m[1] ?? (m[2] || "0.0.0.0");

  const tlsDisable = bool("tls_disable");
  const tlsCertFile = str("tls_cert_file");
  const tlsKeyFile = str("tls_key_file");
  const tlsClientCaFile = str("tls_client_ca_file");
  if (!tlsDisable && (tlsCertFile === undefined || tlsKeyFile === undefined)) {
    const missing = tlsCertFile === undefined ? "tls_cert_file" : "tls_key_file";
    throw at(block.item.line, `${where}: ${missing} must be set, or TLS turned off with tls_disable = true`);
  }
  const tlsMinVersion = tlsVersion("tls_min_version", "tls12");
  const tlsMaxVersion = tlsVersion("tls_max_version", "tls13");
  if (TLS_VERSIONS.indexOf(tlsMaxVersion) < TLS_VERSIONS.indexOf(tlsMinVersion)) {
    throw at(items.get("tls_max_version")?.line, `${where}: tls_max_version (${tlsMaxVersion}) is below tls_min_version (${tlsMinVersion})`);
  }
  const requireClientCert = bool("tls_require_and_verify_client_cert");
  if (requireClientCert && !tlsDisable && tlsClientCaFile === undefined) {
    throw at(items.get("tls_require_and_verify_client_cert")?.line, `${where}: tls_require_and_verify_client_cert needs tls_client_ca_file`);
  }

  let maxRequestSizeBytes = DEFAULT_MAX_REQUEST_SIZE_BYTES;
  const sizeItem = items.get("max_request_size");
  if (sizeItem) {
    const v = sizeItem.value;
    if (v.type !== "number" || !Number.isInteger(v.value)) throw at(sizeItem.line, `${where}: max_request_size must be a whole number of bytes`);
    maxRequestSizeBytes = v.value < 0 ? 0 : v.value === 0 ? DEFAULT_MAX_REQUEST_SIZE_BYTES : v.value;
  }
  let maxRequestDurationSeconds = DEFAULT_MAX_REQUEST_DURATION_SECONDS;
  const durationItem = items.get("max_request_duration");
  if (durationItem) {
    const seconds = durationOf(durationItem.value, `${where}: max_request_duration`, durationItem.line, at);
    if (seconds > 0) maxRequestDurationSeconds = seconds;
  }

  const listener: { -readonly [K in keyof ListenerConfig]: ListenerConfig[K] } = {
    type: "tcp",
    address,
    host,
    port,
    tlsDisable,
    tlsMinVersion,
    tlsMaxVersion,
    tlsRequireAndVerifyClientCert: requireClientCert,
    tlsDisableClientCerts: bool("tls_disable_client_certs"),
    maxRequestSizeBytes,
    maxRequestDurationSeconds,
    line: block.item.line,
  };
  if (tlsCertFile !== undefined) listener.tlsCertFile = tlsCertFile;
  if (tlsKeyFile !== undefined) listener.tlsKeyFile = tlsKeyFile;
  if (tlsClientCaFile !== undefined) listener.tlsClientCaFile = tlsClientCaFile;
  return listener;
}

/** A block's settings by name, refusing keys outside `allowed` and nested blocks. */
function settingsOf(block: HclBlock, where: string, allowed: readonly string[], at: At): Map<string, HclItem> {
  const out = new Map<string, HclItem>();
  for (const item of block.body.items) {
    const key = item.keys[0]?.name ?? "";
    if (!allowed.includes(key)) {
      const hint = allowed.length > 0 ? `supported: ${allowed.join(", ")}` : "it takes no settings";
      throw at(item.line, `${where}: unknown key "${key}" (${hint})`);
    }
    if (item.keys.length > 1 || item.value.type === "object") throw at(item.line, `${where}: ${key} must be a value, not a block`);
    out.set(key, item);
  }
  return out;
}

/** Go's strconv.ParseBool, plus HCL booleans and the numbers 0 and 1. */
function boolOf(value: HclValue, what: string, line: number, at: At): boolean {
  if (value.type === "bool") return value.value;
  if (value.type === "number" && (value.value === 0 || value.value === 1)) return value.value === 1;
  if (value.type === "string") {
    if (["1", "t", "T", "TRUE", "true", "True"].includes(value.value)) return true;
    if (["0", "f", "F", "FALSE", "false", "False"].includes(value.value)) return false;
  }
  throw at(line, `${what} must be true or false`);
}

function durationOf(value: HclValue, what: string, line: number, at: At): number {
  if (value.type !== "string" && value.type !== "number") throw at(line, `${what} must be a duration such as "768h" or a number of seconds`);
  try {
    return parseDurationSeconds(value.value);
  } catch (e) {
    if (isMayflyError(e)) throw at(line, `${what}: ${e.message}`);
    throw e;
  }
}
