import http from "node:http";
import type net from "node:net";
import { readFileSync } from "node:fs";
import { Core } from "../core/core.js";
import type { ExpirationOptions } from "../core/expiration/expiration-manager.js";
import { BackendRegistry } from "../core/registry.js";
import type { Logger } from "../framework/types.js";
import { createFront } from "../http/front.js";
import { createHttpHandler } from "../http/handler.js";
import type { Storage } from "../storage/storage.js";
import { registerBuiltins } from "./registry.js";

export interface ListenerSpec {
  /** host:port; port 0 picks a free one. */
  address: string;
  tlsDisable: boolean;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  tlsClientCaFile?: string;
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
}

export interface RunningServer {
  core: Core;
  /** `http://127.0.0.1:8200`-style addresses, one per listener. */
  addresses: string[];
  close(): Promise<void>;
}

/** Builds the core and its listeners. The core starts sealed (or uninitialised). */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const registry = new BackendRegistry();
  const core = new Core({
    storage: opts.storage,
    registry,
    logger: opts.logger,
    ...(opts.defaultLeaseTtlSeconds ? { defaultLeaseTtlSeconds: opts.defaultLeaseTtlSeconds } : {}),
    ...(opts.maxLeaseTtlSeconds ? { maxLeaseTtlSeconds: opts.maxLeaseTtlSeconds } : {}),
    ...(opts.nowMs ? { nowMs: opts.nowMs } : {}),
    ...(opts.expiration ? { expiration: opts.expiration } : {}),
  });
  registerBuiltins(registry, core);
  core.metrics.attach({
    sealed: () => core.sealed,
    tokenCount: () => core.tokens.count(),
    irrevocableLeaseCount: () => core.expiration.countIrrevocable(),
  });

  const handler = createHttpHandler(core, {
    storageType: opts.storageType,
    logger: opts.logger,
    ...(opts.maxRequestBytes ? { maxBodyBytes: opts.maxRequestBytes } : {}),
  });
  const httpServer = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 120_000 }, handler);
  const fronts: net.Server[] = [];
  const addresses: string[] = [];
  try {
    for (const l of opts.listeners) {
      const tls = l.tlsDisable ? undefined : tlsOptions(l);
      const front = createFront(httpServer, tls ? { tls } : {});
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
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(fronts.map((f) => new Promise((r) => f.close(r))));
      httpServer.closeAllConnections();
      await core.shutdown().catch((err: unknown) => opts.logger.error("shutdown failed", { error: String(err) }));
      await opts.storage.close();
    },
  };
}

function tlsOptions(l: ListenerSpec): { cert: Buffer; key: Buffer; ca?: Buffer; requestCert: boolean; rejectUnauthorized: boolean } {
  if (!l.tlsCertFile || !l.tlsKeyFile) {
    throw new Error(`listener ${l.address}: tls_cert_file and tls_key_file are required unless tls_disable is set`);
  }
  return {
    cert: readFileSync(l.tlsCertFile),
    key: readFileSync(l.tlsKeyFile),
    ...(l.tlsClientCaFile ? { ca: readFileSync(l.tlsClientCaFile) } : {}),
    // Client certificates are asked for but not required: the cert auth method decides.
    requestCert: true,
    rejectUnauthorized: false,
  };
}

export function splitAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address.trim());
  if (!m) throw new Error(`invalid listener address "${address}" (expected host:port)`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid port in "${address}"`);
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}
