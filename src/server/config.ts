/**
 * `mayfly server -config=<file or directory> [-config=...]`: Vault's server configuration,
 * one file or several, merged as Vault merges them and reduced to what Mayfly runs.
 */
import { readdirSync, readFileSync, statSync, type Stats } from "node:fs";
import { join, resolve } from "node:path";
import { badRequest } from "../framework/errors.js";
import type { StorageConfig } from "../storage/open.js";
import {
  DEFAULT_LISTENER_ADDRESS,
  parseConfigFile,
  STORAGE_TYPES,
  SYSTEM_DEFAULT_LEASE_TTL_SECONDS,
  type ConfigFile,
  type ConfigLogLevel,
  type ListenerConfig,
  type Placed,
} from "./config-file.js";

export {
  DEFAULT_LISTENER_ADDRESS,
  DEFAULT_MAX_REQUEST_DURATION_SECONDS,
  DEFAULT_MAX_REQUEST_SIZE_BYTES,
  parseConfigFile,
  SYSTEM_DEFAULT_LEASE_TTL_SECONDS,
  type ConfigFile,
  type ConfigLogLevel,
  type ListenerConfig,
  type TlsVersion,
} from "./config-file.js";

export interface ServerConfig {
  readonly storage: StorageConfig;
  readonly listeners: readonly ListenerConfig[];
  readonly apiAddr?: string;
  readonly clusterAddr?: string;
  readonly defaultLeaseTtlSeconds: number;
  readonly maxLeaseTtlSeconds: number;
  /** Mayfly: how long after a crash an undone issuance is revoked once more (absent: the default). */
  readonly leaseRecoveryGraceSeconds?: number;
  /**
   * Vault's `default_max_request_duration`: how long one operation may wait on a system
   * outside Mayfly (a database) before it fails; absent: 90 s.
   */
  readonly defaultMaxRequestDurationSeconds?: number;
  /** Absent when no file sets it, so a -log-level flag or env var can decide. */
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

/** One configuration text, as a whole configuration. */
export function parseServerConfig(text: string, fileName: string): ServerConfig {
  return mergeConfigFiles([parseConfigFile(text, fileName)]);
}

/**
 * Reads every `-config` path in order (a directory stands for its *.hcl and *.json files,
 * in lexical order) and merges them.
 */
export function loadServerConfig(paths: readonly string[]): ServerConfig {
  return mergeConfigFiles(configFilePaths(paths).map((file) => parseConfigFile(readConfigText(file), file)));
}

/**
 * Vault's merge, file after file: listeners add up; a setting a later file writes replaces
 * an earlier one; the lease TTLs keep the largest value written and `ui` and
 * `disable_mlock` are on if any file turns them on (Vault merges those by max and by OR).
 * Storage is stricter than Vault, which lets the last block win: two storage blocks are
 * refused, since silently opening a different database than one of the files names is
 * how data goes missing.
 */
export function mergeConfigFiles(files: readonly ConfigFile[]): ServerConfig {
  const where = files.map((f) => f.file).join(", ") || "configuration";

  const storages = files.flatMap((f) => (f.storage ? [f.storage] : []));
  const [storage, second] = storages;
  if (!storage) {
    throw badRequest(`${where}: no storage configured: add a storage "sqlite" { path = "..." } block (supported: ${STORAGE_TYPES.join(", ")})`);
  }
  if (second) {
    throw badRequest(`${at(second)}: only one storage block is allowed (another is at ${at(storage)})`);
  }

  const listeners = files.flatMap((f) => f.listeners);
  if (listeners.length === 0) {
    throw badRequest(`${where}: no listener configured: add a listener "tcp" { address = "${DEFAULT_LISTENER_ADDRESS}" } block`);
  }

  const largest = (pick: (f: ConfigFile) => Placed<number> | undefined): Placed<number> | undefined =>
    files.reduce<Placed<number> | undefined>((best, f) => {
      const v = pick(f);
      return v && (!best || v.value > best.value) ? v : best;
    }, undefined);
  const maxSet = largest((f) => f.maxLeaseTtlSeconds);
  const defaultSet = largest((f) => f.defaultLeaseTtlSeconds);
  const maxLease = maxSet?.value ?? SYSTEM_DEFAULT_LEASE_TTL_SECONDS;
  // Vault refuses a default above the max even when the default was never written; we
  // only refuse an explicit one and otherwise lower the implicit default to the max.
  const defaultLease = defaultSet?.value ?? Math.min(SYSTEM_DEFAULT_LEASE_TTL_SECONDS, maxLease);
  if (defaultSet && defaultLease > maxLease) {
    const maxWhere = maxSet && maxSet.file !== defaultSet.file ? `, set at ${at(maxSet)}` : "";
    throw badRequest(`${at(defaultSet)}: default_lease_ttl (${defaultLease}s) must not exceed max_lease_ttl (${maxLease}s${maxWhere})`);
  }

  const latest = <K extends keyof ConfigFile>(key: K): ConfigFile[K] | undefined => {
    for (let i = files.length - 1; i >= 0; i--) {
      const v = files[i]?.[key];
      if (v !== undefined) return v;
    }
    return undefined;
  };

  const config: { -readonly [K in keyof ServerConfig]: ServerConfig[K] } = {
    storage: storage.value,
    listeners,
    defaultLeaseTtlSeconds: defaultLease,
    maxLeaseTtlSeconds: maxLease,
    ui: files.some((f) => f.ui === true),
    disableMlock: files.some((f) => f.disableMlock === true),
    warnings: files.flatMap((f) => f.warnings),
  };
  const grace = latest("leaseRecoveryGraceSeconds");
  if (grace !== undefined) config.leaseRecoveryGraceSeconds = grace;
  const requestDuration = latest("defaultMaxRequestDurationSeconds");
  if (requestDuration !== undefined) config.defaultMaxRequestDurationSeconds = requestDuration;
  const apiAddr = latest("apiAddr");
  if (apiAddr !== undefined) config.apiAddr = apiAddr;
  const clusterAddr = latest("clusterAddr");
  if (clusterAddr !== undefined) config.clusterAddr = clusterAddr;
  const logLevel = latest("logLevel");
  if (logLevel !== undefined) config.logLevel = logLevel;
  const logFormat = latest("logFormat");
  if (logFormat !== undefined) config.logFormat = logFormat;
  const pidFile = latest("pidFile");
  if (pidFile !== undefined) config.pidFile = pidFile;
  const clusterName = latest("clusterName");
  if (clusterName !== undefined) config.clusterName = clusterName;
  return config;
}

/**
 * The files behind the `-config` paths, in the order they merge. A directory gives its
 * *.hcl and *.json files (not its subdirectories), without emacs lock files (`.#x.hcl`),
 * which Vault skips too.
 */
export function configFilePaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Map<string, string>();
  for (const path of paths) {
    const stat = statOrThrow(path);
    const files = stat.isDirectory() ? configFilesIn(path) : [path];
    for (const file of files) {
      const key = resolve(file);
      const earlier = seen.get(key);
      // Its listeners would be bound twice and its storage block counted twice.
      if (earlier !== undefined) throw new Error(`${file}: the same configuration file is given twice (as ${earlier} and ${file})`);
      seen.set(key, file);
      out.push(file);
    }
  }
  if (out.length === 0) throw new Error(`${paths.join(", ")}: no configuration files (a directory contributes its *.hcl and *.json files)`);
  return out;
}

function configFilesIn(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new Error(`${dir}: cannot read the configuration directory: ${errCode(err)}`);
  }
  return names
    .filter((n) => (n.endsWith(".hcl") || n.endsWith(".json")) && !n.startsWith(".#"))
    .sort()
    .map((n) => join(dir, n))
    .filter((file) => !statOrThrow(file).isDirectory());
}

function statOrThrow(path: string): Stats {
  try {
    return statSync(path);
  } catch (err) {
    throw new Error(`${path}: cannot read the configuration file: ${errCode(err)}`);
  }
}

function readConfigText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`${file}: cannot read the configuration file: ${errCode(err)}`);
  }
}

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}

function at(p: Placed<unknown>): string {
  return `${p.file}:${p.line}`;
}
