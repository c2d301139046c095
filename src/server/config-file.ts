/**
 * One server configuration file (HCL or JSON) read on its own: what it sets and where.
 * Checks that need every file (one storage block, at least one listener, the lease TTLs
 * against each other) wait for `mergeConfigFiles` in config.ts. Every error names the
 * file and, when the problem sits somewhere, the line:
 * `config.hcl:4: unknown storage type "s3" (supported: sqlite, inmem)`.
 */
import { isIP } from "node:net";
import type { ForwardedForConfig } from "../http/forwarded-for.js";
import { opensslCipherList } from "./cipher-suites.js";
import { IGNORED_LISTENER, IGNORED_TOP_LEVEL, ignoredWarning, REFUSED_LISTENER, REFUSED_TOP_LEVEL } from "./vault-settings.js";
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
  /** tls_cipher_suites as written (Go's names) and as Node takes them (OpenSSL's). */
  readonly tlsCipherSuites?: { readonly written: string; readonly openssl: string };
  /** Largest request body accepted; 0 means no limit (Vault: a negative max_request_size). */
  readonly maxRequestSizeBytes: number;
  readonly maxRequestDurationSeconds: number;
  /** Vault's x_forwarded_for_*: whom to believe about the client's address. */
  readonly forwardedFor?: ForwardedForConfig;
  /** Where the block is, for messages raised later (e.g. a port already in use). */
  readonly file: string;
  readonly line: number;
}

/** A value with the place it was written, for checks that look across files. */
export interface Placed<T> {
  readonly value: T;
  readonly file: string;
  readonly line: number;
}

/** What one file sets; a setting the file leaves out is absent, so another file can decide it. */
export interface ConfigFile {
  readonly file: string;
  readonly storage?: Placed<StorageConfig>;
  readonly listeners: readonly ListenerConfig[];
  readonly apiAddr?: string;
  readonly clusterAddr?: string;
  /** Absent when unset or 0 (Vault's "the system default"). */
  readonly defaultLeaseTtlSeconds?: Placed<number>;
  readonly maxLeaseTtlSeconds?: Placed<number>;
  readonly leaseRecoveryGraceSeconds?: number;
  readonly defaultMaxRequestDurationSeconds?: number;
  readonly logLevel?: ConfigLogLevel;
  readonly logFormat?: "standard" | "json";
  readonly ui?: boolean;
  readonly pidFile?: string;
  readonly clusterName?: string;
  readonly disableMlock?: boolean;
  /** Settings that were accepted but deserve a mention at startup, each led by file:line. */
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
  "default_max_request_duration",
] as const;

const STORAGE_KEYS: Readonly<Record<StorageConfig["type"], readonly string[]>> = {
  sqlite: ["path", "synchronous"],
  inmem: [],
};
export const STORAGE_TYPES = Object.keys(STORAGE_KEYS) as readonly StorageConfig["type"][];

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
  "tls_cipher_suites",
  "max_request_size",
  "max_request_duration",
  "x_forwarded_for_authorized_addrs",
  "x_forwarded_for_hop_skips",
  "x_forwarded_for_reject_not_authorized",
  "x_forwarded_for_reject_not_present",
] as const;

const TLS_VERSIONS: readonly TlsVersion[] = ["tls10", "tls11", "tls12", "tls13"];

/** Reads one file; refuses anything wrong within it, naming the file and line. */
export function parseConfigFile(text: string, fileName: string): ConfigFile {
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
    return readConfig(body, fileName, at);
  } catch (e) {
    // Block-shape problems found while collecting blocks carry a position too.
    if (isHclError(e)) throw badRequest(`${fileName}:${e.line}:${e.column}: ${e.detail}`);
    throw e;
  }
}

type At = (line: number | undefined, message: string) => MayflyError;

function readConfig(body: HclObject, file: string, at: At): ConfigFile {
  const known: ReadonlySet<string> = new Set(TOP_LEVEL_KEYS);
  const warnings: string[] = [];
  const ignored = new Set<HclItem>();
  for (const item of body.items) {
    const key = item.keys[0]?.name ?? "";
    if (known.has(key)) continue;
    const refusal = REFUSED_TOP_LEVEL[key];
    if (refusal !== undefined) throw at(item.line, `${key}: ${refusal}`);
    if (key === "seal") {
      // Shamir is what Mayfly does; any other seal would mean an auto-unseal it cannot do.
      const type = item.keys[1]?.name ?? "";
      if (type !== "shamir") throw at(item.line, `seal "${type}": auto-unseal is not supported; Mayfly unseals with Shamir key shares`);
      ignored.add(item);
    } else if (IGNORED_TOP_LEVEL.has(key)) {
      warnings.push(ignoredWarning(file, item.line, "", key));
      ignored.add(item);
    }
  }
  const unknown = body.items.filter((item) => !known.has(item.keys[0]?.name ?? "") && !ignored.has(item));
  if (unknown.length > 0) {
    const names = unknown.map((i) => `"${i.keys[0]?.name ?? ""}"${unknown.length > 1 ? ` (line ${i.line})` : ""}`).join(", ");
    throw at(unknown[0]?.line, `unknown ${unknown.length > 1 ? "keys" : "key"} ${names} (supported: ${TOP_LEVEL_KEYS.join(", ")})`);
  }

  const attrs = new Map<string, HclItem>();
  for (const item of body.items) {
    const key = item.keys[0]?.name ?? "";
    if (key === "storage" || key === "backend" || key === "listener" || ignored.has(item)) continue;
    if (item.keys.length > 1 || !item.assign) throw at(item.line, `"${key}" is a setting, not a block: write ${key} = <value>`);
    if (attrs.has(key)) warnings.push(`${file}:${item.line}: "${key}" is set more than once in this file; this value is used`);
    attrs.set(key, item);
  }

  const storage = readStorage(body, file, at);
  const listeners = getBlocks(body, "listener", 1).map((b) => readListener(b, file, at, warnings));

  const str = (key: string): string | undefined => {
    const item = attrs.get(key);
    if (!item) return undefined;
    if (item.value.type !== "string") throw at(item.line, `${key} must be a string`);
    return item.value.value === "" ? undefined : item.value.value;
  };
  const bool = (key: string): boolean | undefined => {
    const item = attrs.get(key);
    return item ? boolOf(item.value, key, item.line, at) : undefined;
  };
  const duration = (key: string): Placed<number> | undefined => {
    const item = attrs.get(key);
    if (!item) return undefined;
    const seconds = durationOf(item.value, key, item.line, at);
    if (seconds < 0) throw at(item.line, `${key} must not be negative`);
    // 0 means "the system default", as in Vault
    return seconds === 0 ? undefined : { value: seconds, file, line: item.line };
  };

  const config: { -readonly [K in keyof ConfigFile]: ConfigFile[K] } = { file, listeners, warnings };
  if (storage) config.storage = storage;
  const defaultLease = duration("default_lease_ttl");
  if (defaultLease) config.defaultLeaseTtlSeconds = defaultLease;
  const maxLease = duration("max_lease_ttl");
  if (maxLease) config.maxLeaseTtlSeconds = maxLease;
  const grace = duration("lease_recovery_grace");
  if (grace) config.leaseRecoveryGraceSeconds = grace.value;
  const requestDuration = duration("default_max_request_duration");
  if (requestDuration) config.defaultMaxRequestDurationSeconds = requestDuration.value;

  const levelText = str("log_level");
  if (levelText !== undefined) {
    const v = levelText.trim().toLowerCase();
    const mapped = v === "warning" ? "warn" : v === "err" ? "error" : v === "notice" ? "info" : v;
    if (!["trace", "debug", "info", "warn", "error"].includes(mapped)) {
      throw at(attrs.get("log_level")?.line, `unknown log_level "${levelText}" (supported: trace, debug, info, warn, error)`);
    }
    config.logLevel = mapped as ConfigLogLevel;
  }
  const formatText = str("log_format");
  if (formatText !== undefined) {
    if (formatText !== "standard" && formatText !== "json") {
      throw at(attrs.get("log_format")?.line, `unknown log_format "${formatText}" (supported: standard, json)`);
    }
    config.logFormat = formatText;
  }
  const apiAddr = str("api_addr");
  if (apiAddr !== undefined) {
    if (!/^https?:\/\/[^/\s]+/.test(apiAddr)) throw at(attrs.get("api_addr")?.line, `api_addr must be a URL such as "https://vault.example.com:8200", got "${apiAddr}"`);
    config.apiAddr = apiAddr;
  }
  const clusterAddr = str("cluster_addr");
  if (clusterAddr !== undefined) config.clusterAddr = clusterAddr;
  const pidFile = str("pid_file");
  if (pidFile !== undefined) config.pidFile = pidFile;
  const clusterName = str("cluster_name");
  if (clusterName !== undefined) config.clusterName = clusterName;
  const ui = bool("ui");
  if (ui !== undefined) config.ui = ui;
  const disableMlock = bool("disable_mlock");
  if (disableMlock !== undefined) config.disableMlock = disableMlock;
  return config;
}

function readStorage(body: HclObject, file: string, at: At): Placed<StorageConfig> | undefined {
  const blocks = [...getBlocks(body, "storage", 1), ...getBlocks(body, "backend", 1)].sort((a, b) => a.item.line - b.item.line);
  const supported = STORAGE_TYPES.join(", ");
  const first = blocks[0];
  if (!first) return undefined;
  const placed = (value: StorageConfig): Placed<StorageConfig> => ({ value, file, line: first.item.line });
  const second = blocks[1];
  if (second) throw at(second.item.line, `only one storage block is allowed (another is on line ${first.item.line})`);
  const type = first.labels[0] ?? "";
  const allowed = STORAGE_KEYS[type as StorageConfig["type"]];
  if (!Object.prototype.hasOwnProperty.call(STORAGE_KEYS, type) || allowed === undefined) {
    throw at(first.at.line, `unknown storage type "${type}" (supported: ${supported})`);
  }
  const where = `storage "${type}"`;
  const items = settingsOf(first, where, allowed, at);
  if (type === "inmem") return placed({ type: "inmem" });
  const pathItem = items.get("path");
  if (!pathItem || pathItem.value.type !== "string" || pathItem.value.value === "") {
    throw at(pathItem?.line ?? first.item.line, `${where}: path must be set to the database file, e.g. path = "/var/lib/mayfly/mayfly.db"`);
  }
  const syncItem = items.get("synchronous");
  if (syncItem) {
    const v = syncItem.value.type === "string" ? syncItem.value.value.toLowerCase() : "";
    if (v !== "full" && v !== "normal") throw at(syncItem.line, `${where}: synchronous must be "full" or "normal"`);
    return placed({ type: "sqlite", path: pathItem.value.value, synchronous: v });
  }
  return placed({ type: "sqlite", path: pathItem.value.value });
}

function readListener(block: HclBlock, file: string, at: At, warnings: string[]): ListenerConfig {
  const type = block.labels[0] ?? "";
  if (type !== "tcp") throw at(block.at.line, `unknown listener type "${type}" (supported: tcp)`);
  const where = `listener "tcp"`;
  const items = settingsOf(block, where, LISTENER_KEYS, at, { file, warnings, ignored: IGNORED_LISTENER, refused: REFUSED_LISTENER });
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

  const forwardedFor = readForwardedFor(items, where, at);
  const suites = str("tls_cipher_suites");
  let tlsCipherSuites: ListenerConfig["tlsCipherSuites"];
  if (suites !== undefined) {
    try {
      tlsCipherSuites = { written: suites, openssl: opensslCipherList(suites) };
    } catch (e) {
      throw at(items.get("tls_cipher_suites")?.line, `${where}: tls_cipher_suites: ${(e as Error).message}`);
    }
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
    file,
    line: block.item.line,
  };
  if (tlsCertFile !== undefined) listener.tlsCertFile = tlsCertFile;
  if (tlsKeyFile !== undefined) listener.tlsKeyFile = tlsKeyFile;
  if (tlsClientCaFile !== undefined) listener.tlsClientCaFile = tlsClientCaFile;
  if (forwardedFor) listener.forwardedFor = forwardedFor;
  if (tlsCipherSuites) listener.tlsCipherSuites = tlsCipherSuites;
  return listener;
}

function readForwardedFor(items: Map<string, HclItem>, where: string, at: At): ForwardedForConfig | undefined {
  const addrsItem = items.get("x_forwarded_for_authorized_addrs");
  if (!addrsItem) {
    for (const key of ["x_forwarded_for_hop_skips", "x_forwarded_for_reject_not_authorized", "x_forwarded_for_reject_not_present"]) {
      const item = items.get(key);
      if (item) throw at(item.line, `${where}: ${key} needs x_forwarded_for_authorized_addrs`);
    }
    return undefined;
  }
  const v = addrsItem.value;
  const texts =
    v.type === "string"
      ? v.value.split(",")
      : v.type === "list"
        ? v.items.map((i) => {
            if (i.type !== "string") throw at(addrsItem.line, `${where}: x_forwarded_for_authorized_addrs must hold strings`);
            return i.value;
          })
        : undefined;
  if (!texts) throw at(addrsItem.line, `${where}: x_forwarded_for_authorized_addrs must be a string or a list of CIDR blocks`);
  const authorizedAddrs = texts.map((t) => t.trim()).filter((t) => t !== "");
  for (const cidr of authorizedAddrs) {
    const [ip = "", bits] = cidr.split("/");
    const family = isIP(ip);
    const maxBits = family === 4 ? 32 : 128;
    if (family === 0 || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits))) {
      throw at(addrsItem.line, `${where}: x_forwarded_for_authorized_addrs: "${cidr}" is not an address or CIDR block`);
    }
  }
  const hopsItem = items.get("x_forwarded_for_hop_skips");
  let hopSkips = 0;
  if (hopsItem) {
    const h = hopsItem.value;
    const n = h.type === "number" ? h.value : h.type === "string" ? Number(h.value) : NaN;
    if (!Number.isInteger(n) || n < 0) throw at(hopsItem.line, `${where}: x_forwarded_for_hop_skips must be a whole number of hops, 0 or more`);
    hopSkips = n;
  }
  const flag = (key: string): boolean => {
    const item = items.get(key);
    return item ? boolOf(item.value, `${where}: ${key}`, item.line, at) : true;
  };
  return {
    authorizedAddrs,
    hopSkips,
    rejectNotAuthorized: flag("x_forwarded_for_reject_not_authorized"),
    rejectNotPresent: flag("x_forwarded_for_reject_not_present"),
  };
}

/** A block's settings by name, refusing keys outside `allowed` and nested blocks. */
interface VaultOnly {
  file: string;
  warnings: string[];
  ignored: ReadonlySet<string>;
  refused: Readonly<Record<string, string>>;
}

function settingsOf(block: HclBlock, where: string, allowed: readonly string[], at: At, vaultOnly?: VaultOnly): Map<string, HclItem> {
  const out = new Map<string, HclItem>();
  for (const item of block.body.items) {
    const key = item.keys[0]?.name ?? "";
    if (!allowed.includes(key) && vaultOnly) {
      const refusal = vaultOnly.refused[key];
      if (refusal !== undefined) throw at(item.line, `${where}: ${key} ${refusal}`);
      if (vaultOnly.ignored.has(key)) {
        vaultOnly.warnings.push(ignoredWarning(vaultOnly.file, item.line, `${where}: `, key));
        continue;
      }
    }
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
