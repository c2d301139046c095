/**
 * One server configuration file (HCL or JSON) read on its own: what it sets and where.
 * Checks that need every file (one storage block, at least one listener, the lease TTLs
 * against each other) wait for `mergeConfigFiles` in config.ts. Every error names the
 * file and, when the problem sits somewhere, the line:
 * `config.hcl:4: unknown storage type "s3" (supported: sqlite, inmem)`.
 */
import { badRequest, type MayflyError } from "../framework/errors.js";
import { join as joinPath } from "node:path";
import { getBlocks, isHclError, parseHcl, type HclBlock, type HclItem, type HclObject } from "../hcl/index.js";
import type { StorageConfig } from "../storage/open.js";
import { readListener, type ListenerConfig } from "./config-listener.js";
import { boolOf, durationOf, settingsOf, type At } from "./config-values.js";
import { IGNORED_TOP_LEVEL, ignoredWarning, REFUSED_TOP_LEVEL } from "./vault-settings.js";

export {
  DEFAULT_LISTENER_ADDRESS,
  DEFAULT_MAX_REQUEST_DURATION_SECONDS,
  DEFAULT_MAX_REQUEST_SIZE_BYTES,
  type ListenerConfig,
  type TlsVersion,
} from "./config-listener.js";

export type ConfigLogLevel = "trace" | "debug" | "info" | "warn" | "error";

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

/** Vault's system default for both default_lease_ttl and max_lease_ttl: 32 days. */
export const SYSTEM_DEFAULT_LEASE_TTL_SECONDS = 768 * 3600;

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

  const storage = readStorage(body, file, at, warnings);
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

/**
 * Vault's `file` and (single-node) `raft` storage name a directory: Mayfly keeps its SQLite
 * database there, so a configuration written for Vault starts and its data stays where the
 * operator put it. Mayfly cannot read Vault's own layout in that directory; nor does it join
 * a raft cluster, so retry_join is refused.
 */
const DIRECTORY_STORAGE: Readonly<Record<string, { ignored: readonly string[] }>> = {
  file: { ignored: [] },
  raft: {
    ignored: [
      "node_id",
      "performance_multiplier",
      "trailing_logs",
      "snapshot_threshold",
      "snapshot_interval",
      "max_entry_size",
      "autopilot_reconcile_interval",
      "autopilot_update_interval",
      "max_mount_and_namespace_table_entry_size",
    ],
  },
};
const DIRECTORY_DB_FILE = "mayfly.db";

function readDirectoryStorage(block: HclBlock, type: string, file: string, at: At, warnings: string[]): StorageConfig {
  const where = `storage "${type}"`;
  for (const item of block.body.items) {
    const key = item.keys[0]?.name ?? "";
    if (key === "retry_join" || key === "auto_join") throw at(item.line, `${where}: ${key}: raft clustering is not supported; Mayfly runs as a single node`);
  }
  const spec = DIRECTORY_STORAGE[type] as { ignored: readonly string[] };
  const items = settingsOf(block, where, ["path", ...spec.ignored], at);
  const pathItem = items.get("path");
  if (!pathItem || pathItem.value.type !== "string" || pathItem.value.value === "") {
    throw at(pathItem?.line ?? block.item.line, `${where}: path must be set to a directory`);
  }
  for (const key of spec.ignored) {
    const item = items.get(key);
    if (item) warnings.push(ignoredWarning(file, item.line, `${where}: `, key));
  }
  const dbPath = joinPath(pathItem.value.value, DIRECTORY_DB_FILE);
  warnings.push(`${file}:${block.item.line}: ${where}: Mayfly keeps its data in one SQLite database, ${dbPath}, not in Vault's ${type} layout`);
  return { type: "sqlite", path: dbPath };
}

function readStorage(body: HclObject, file: string, at: At, warnings: string[]): Placed<StorageConfig> | undefined {
  const blocks = [...getBlocks(body, "storage", 1), ...getBlocks(body, "backend", 1)].sort((a, b) => a.item.line - b.item.line);
  const supported = [...STORAGE_TYPES, ...Object.keys(DIRECTORY_STORAGE)].join(", ");
  const first = blocks[0];
  if (!first) return undefined;
  const placed = (value: StorageConfig): Placed<StorageConfig> => ({ value, file, line: first.item.line });
  const second = blocks[1];
  if (second) throw at(second.item.line, `only one storage block is allowed (another is on line ${first.item.line})`);
  const type = first.labels[0] ?? "";
  if (Object.prototype.hasOwnProperty.call(DIRECTORY_STORAGE, type)) return placed(readDirectoryStorage(first, type, file, at, warnings));
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

