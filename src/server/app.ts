import http from "node:http";
import type net from "node:net";
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, unlinkSync, type Stats } from "node:fs";
import { dirname } from "node:path";
import type tls from "node:tls";
import { Core } from "../core/core.js";
import type { ExpirationOptions } from "../core/expiration/expiration-manager.js";
import { BackendRegistry } from "../core/registry.js";
import type { Logger } from "../framework/types.js";
import { createFront } from "../http/front.js";
import type { ForwardedForConfig } from "../http/forwarded-for.js";
import { createHttpHandler } from "../http/handler.js";
import { InFlightRequests } from "../http/in-flight.js";
import type { Storage } from "../storage/storage.js";
import { createSysExtras } from "../system/extras.js";
import type { ServerConfig } from "./config.js";
import { sanitizedConfigState } from "./config-state.js";
import { databasePluginNames, registerBuiltins } from "./registry.js";
import { LogMonitor } from "./log-monitor.js";
import { adoptLevelControl } from "./logger.js";

export interface ListenerSpec {
  /** "unix": `address` is the path of a Unix domain socket (no TLS). Default tcp. */
  type?: "tcp" | "unix";
  /** unix only: mode and owner given to the socket file. */
  socket?: { readonly mode?: number; readonly user?: string; readonly group?: string };
  /** host:port; port 0 picks a free one. */
  address: string;
  tlsDisable: boolean;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  tlsClientCaFile?: string;
  tlsMinVersion?: "tls10" | "tls11" | "tls12" | "tls13";
  tlsMaxVersion?: "tls10" | "tls11" | "tls12" | "tls13";
  /** Refuse the TLS handshake without a client certificate the CA file vouches for. */
  tlsRequireAndVerifyClientCert?: boolean;
  /** Do not ask clients for certificates at all. */
  tlsDisableClientCerts?: boolean;
  /** Largest request body; 0 means no limit; absent means the server's default. */
  maxRequestSizeBytes?: number;
  /** A request still unanswered after this long gets 408 (0: no limit). */
  maxRequestDurationSeconds?: number;
  /** tls_cipher_suites: the TLS 1.2 suites offered (OpenSSL's names in `openssl`). */
  tlsCipherSuites?: { readonly written: string; readonly openssl: string };
  /** x_forwarded_for_*: the client address from X-Forwarded-For, behind trusted proxies. */
  forwardedFor?: ForwardedForConfig;
}

export interface ServerOptions {
  storage: Storage;
  storageType: string;
  listeners: readonly ListenerSpec[];
  logger: Logger;
  defaultLeaseTtlSeconds?: number;
  maxLeaseTtlSeconds?: number;
  nowMs?: () => number;
  expiration?: Partial<ExpirationOptions>;
  maxRequestBytes?: number;
  /** Vault's default_max_request_duration: bounds each wait on a database (default 90 s). */
  maxRequestDurationSeconds?: number;
  /** The configuration files the server started from, for sys/config/state and sys/ha-status. */
  serverConfig?: ServerConfig;
}

export interface RunningServer {
  core: Core;
  /** `http://127.0.0.1:8200`-style addresses, one per listener. */
  addresses: string[];
  /**
   * SIGHUP: each TLS listener takes its certificate, key and client CA from its files
   * again (from `listeners`, the re-read configuration, position by position), so a
   * renewed certificate needs no restart. Returns the problems; a listener whose files
   * fail to load keeps what it had.
   */
  reloadTls(listeners: readonly ListenerSpec[]): string[];
  close(): Promise<void>;
}

/** Builds the core and its listeners. The core starts sealed (or uninitialised). */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const registry = new BackendRegistry();
  // Every log line also reaches sys/monitor's subscribers.
  const monitor = new LogMonitor();
  const logger = monitor.wrap(opts.logger);
  adoptLevelControl(logger, opts.logger);
  const core = new Core({
    storage: opts.storage,
    registry,
    logger,
    ...(opts.defaultLeaseTtlSeconds ? { defaultLeaseTtlSeconds: opts.defaultLeaseTtlSeconds } : {}),
    ...(opts.maxLeaseTtlSeconds ? { maxLeaseTtlSeconds: opts.maxLeaseTtlSeconds } : {}),
    ...(opts.nowMs ? { nowMs: opts.nowMs } : {}),
    ...(opts.expiration ? { expiration: opts.expiration } : {}),
    ...(opts.maxRequestDurationSeconds ? { maxRequestDurationSeconds: opts.maxRequestDurationSeconds } : {}),
  });
  const addresses: string[] = [];
  const inFlight = new InFlightRequests();
  const extras = createSysExtras(core, {
    registry,
    databasePlugins: databasePluginNames,
    inFlight,
    monitor,
    configState: () =>
      sanitizedConfigState({
        storageType: opts.storageType,
        listeners: opts.listeners,
        defaultLeaseTtlSeconds: core.defaultLeaseTtlSeconds,
        maxLeaseTtlSeconds: core.maxLeaseTtlSeconds,
        ...(opts.serverConfig ? { file: opts.serverConfig } : {}),
      }),
    apiAddress: () => opts.serverConfig?.apiAddr || addresses[0] || "",
    clusterAddress: () => opts.serverConfig?.clusterAddr ?? "",
  });
  registerBuiltins(registry, core, extras);
  core.metrics.attach({
    sealed: () => core.sealed,
    tokenCount: () => core.tokens.count(),
    irrevocableLeaseCount: () => core.expiration.countIrrevocable(),
  });

  const httpServers: http.Server[] = [];
  const fronts: net.Server[] = [];
  try {
    for (const l of opts.listeners) {
      // One HTTP server per listener, so each keeps its own body and duration limits.
      const limit = l.maxRequestSizeBytes !== undefined ? l.maxRequestSizeBytes || Number.MAX_SAFE_INTEGER : opts.maxRequestBytes;
      const handler = createHttpHandler(core, {
        storageType: opts.storageType,
        logger,
        cors: extras.cors,
        inFlight,
        ...(limit ? { maxBodyBytes: limit } : {}),
        ...(l.forwardedFor ? { forwardedFor: l.forwardedFor } : {}),
      });
      const durationMs = (l.maxRequestDurationSeconds ?? 120) * 1000;
      const httpServer = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: durationMs }, handler);
      httpServers.push(httpServer);
      const tls = l.tlsDisable ? undefined : tlsOptions(l);
      const front = createFront(httpServer, { lane: handler, ...(tls ? { tls } : {}) });
      if (l.type === "unix") {
        await listenUnix(front, l);
        addresses.push(`unix://${l.address}`);
        fronts.push(front);
        continue;
      }
      const { host, port } = splitAddress(l.address);
      await new Promise<void>((resolve, reject) => {
        front.once("error", reject);
        front.listen(port, host, () => {
          front.off("error", reject);
          resolve();
        });
      });
      const bound = front.address();
      const boundPort = typeof bound === "object" && bound ? bound.port : port;
      addresses.push(`${tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${boundPort}`);
      fronts.push(front);
    }
  } catch (err) {
    await Promise.all(fronts.map((f) => new Promise((r) => f.close(r))));
    throw err;
  }

  let closed = false;
  return {
    core,
    addresses,
    reloadTls(listeners) {
      const problems: string[] = [];
      if (listeners.length !== opts.listeners.length) {
        problems.push(`the configuration now has ${listeners.length} listeners, the server ${opts.listeners.length}: listeners are not added or removed without a restart`);
      }
      opts.listeners.forEach((old, i) => {
        const next = listeners[i];
        const front = fronts[i];
        if (!next || !front || old.tlsDisable) return;
        if (next.tlsDisable || next.address !== old.address) {
          problems.push(`listener ${old.address}: its address and TLS setting change only with a restart`);
          return;
        }
        try {
          (front as tls.Server).setSecureContext(tlsOptions(next));
        } catch (err) {
          problems.push(`listener ${old.address}: keeping the current certificate: ${(err as Error).message}`);
        }
      });
      return problems;
    },
    async close() {
      if (closed) return;
      closed = true;
      // Streams (sys/monitor) never end by themselves; closing waits for every connection.
      monitor.endAll();
      await Promise.all(fronts.map((f) => new Promise((r) => f.close(r))));
      for (const s of httpServers) s.closeAllConnections();
      await core.shutdown().catch((err: unknown) => logger.error("shutdown failed", { error: String(err) }));
      await opts.storage.close();
    },
  };
}

const TLS_VERSIONS = { tls10: "TLSv1", tls11: "TLSv1.1", tls12: "TLSv1.2", tls13: "TLSv1.3" } as const;

function tlsOptions(l: ListenerSpec): tls.TlsOptions {
  if (!l.tlsCertFile || !l.tlsKeyFile) {
    throw new Error(`listener ${l.address}: tls_cert_file and tls_key_file are required unless tls_disable is set`);
  }
  const require = l.tlsRequireAndVerifyClientCert ?? false;
  if (require && !l.tlsClientCaFile) {
    throw new Error(`listener ${l.address}: tls_require_and_verify_client_cert needs tls_client_ca_file`);
  }
  return {
    cert: readFileSync(l.tlsCertFile),
    key: readFileSync(l.tlsKeyFile),
    ...(l.tlsClientCaFile ? { ca: readFileSync(l.tlsClientCaFile) } : {}),
    // Vault's default is TLS 1.2 at least.
    minVersion: TLS_VERSIONS[l.tlsMinVersion ?? "tls12"],
    ...(l.tlsMaxVersion ? { maxVersion: TLS_VERSIONS[l.tlsMaxVersion] } : {}),
    ...(l.tlsCipherSuites ? { ciphers: l.tlsCipherSuites.openssl } : {}),
    // By default client certificates are asked for but not required: the cert auth method decides.
    requestCert: !(l.tlsDisableClientCerts ?? false),
    rejectUnauthorized: require,
  };
}

/**
 * Listens on a Unix socket path: a socket file left by an earlier run is replaced (a file
 * of any other kind is not touched), then mode and owner are applied as configured.
 */
async function listenUnix(front: net.Server, l: ListenerSpec): Promise<void> {
  const path = l.address;
  let existing: Stats | undefined;
  try {
    existing = lstatSync(path);
  } catch {
    existing = undefined;
  }
  if (existing) {
    if (!existing.isSocket()) throw new Error(`listener ${path}: the path exists and is not a socket`);
    unlinkSync(path);
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  await new Promise<void>((resolve, reject) => {
    front.once("error", reject);
    front.listen(path, () => {
      front.off("error", reject);
      resolve();
    });
  });
  const s = l.socket ?? {};
  if (s.mode !== undefined) chmodSync(path, s.mode);
  if (s.user !== undefined || s.group !== undefined) {
    chownSync(path, s.user !== undefined ? idOf(s.user, "user") : -1, s.group !== undefined ? idOf(s.group, "group") : -1);
  }
  front.once("close", () => {
    try {
      if (lstatSync(path).isSocket()) unlinkSync(path);
    } catch {
      // already gone
    }
  });
}

/** A numeric id, or the id of a user or group name as the system knows it. */
function idOf(name: string, kind: "user" | "group"): number {
  if (/^\d+$/.test(name)) return Number(name);
  const out = execFileSync("getent", [kind === "user" ? "passwd" : "group", name], { encoding: "utf8" }).split(":");
  const id = Number(out[2]);
  if (!Number.isInteger(id)) throw new Error(`unknown socket_${kind} "${name}"`);
  return id;
}

export function splitAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address.trim());
  if (!m) throw new Error(`invalid listener address "${address}" (expected host:port)`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid port in "${address}"`);
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}
