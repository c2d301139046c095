import http from "node:http";
import type { AddressInfo } from "node:net";
import { createTokenBackend } from "../../src/auth/token/index.js";
import { Core } from "../../src/core/core.js";
import { BackendRegistry } from "../../src/core/registry.js";
import { createCubbyholeBackend } from "../../src/engines/cubbyhole/index.js";
import type { BackendFactory, Logger } from "../../src/framework/types.js";
import { createFront } from "../../src/http/front.js";
import { createHttpHandler } from "../../src/http/handler.js";
import { InmemStorage } from "../../src/storage/inmem.js";
import { createSystemBackend } from "../../src/system/index.js";

export const quietLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** A clock tests move by hand; the core reads it for every expiry decision. */
export class ManualClock {
  constructor(public nowMs: number) {}
  advanceSeconds(seconds: number): void {
    this.nowMs += seconds * 1000;
  }
}

export interface ApiReply {
  status: number;
  /** Parsed JSON, or undefined for an empty body. */
  body: Record<string, unknown> | undefined;
  contentType: string | null;
}

export interface CoreServer {
  url: string;
  rootToken: string;
  core: Core;
  clock: ManualClock;
  /** One request to `/v1/<path>`; `LIST` goes through the front as Vault clients send it. */
  api(method: string, path: string, opts?: { token?: string; body?: unknown }): Promise<ApiReply>;
  close(): Promise<void>;
}

export interface CoreServerOptions {
  /** Where the manual clock starts (default: now). */
  startMs?: number;
  defaultLeaseTtlSeconds?: number;
  maxLeaseTtlSeconds?: number;
  /** Further auth method types to register (not mounted). */
  authBackends?: Readonly<Record<string, BackendFactory>>;
}

/**
 * A real in-process server over inmem storage: system, cubbyhole and token backends,
 * initialised with one key share, then unsealed, listening on a free port behind the front
 * that lets LIST through.
 */
export async function startCoreServer(opts: CoreServerOptions = {}): Promise<CoreServer> {
  const clock = new ManualClock(opts.startMs ?? Date.now());
  const registry = new BackendRegistry();
  const core = new Core({
    storage: new InmemStorage(),
    registry,
    logger: quietLogger,
    nowMs: () => clock.nowMs,
    ...(opts.defaultLeaseTtlSeconds !== undefined ? { defaultLeaseTtlSeconds: opts.defaultLeaseTtlSeconds } : {}),
    ...(opts.maxLeaseTtlSeconds !== undefined ? { maxLeaseTtlSeconds: opts.maxLeaseTtlSeconds } : {}),
  });
  registry
    .registerSecret("system", createSystemBackend(core))
    .registerSecret("cubbyhole", createCubbyholeBackend)
    .registerAuth("token", createTokenBackend(core));
  for (const [type, factory] of Object.entries(opts.authBackends ?? {})) registry.registerAuth(type, factory);
  // Init leaves the core sealed, as Vault's does.
  const { keys, rootToken } = await core.initialize(1, 1);
  await core.unsealWith(keys);

  const handler = createHttpHandler(core, { storageType: "inmem", logger: quietLogger });
  const server = http.createServer(handler);
  const front = createFront(server, { lane: handler });
  await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
  const { port } = front.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const api: CoreServer["api"] = async (method, path, o = {}) => {
    const headers: Record<string, string> = {};
    if (o.token !== undefined) headers["X-Vault-Token"] = o.token;
    let body: string | undefined;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers["Content-Type"] = "application/json";
    }
    const res = await rawRequest(url, method, `/v1/${path}`, headers, body);
    return {
      status: res.status,
      body: res.text === "" ? undefined : (JSON.parse(res.text) as Record<string, unknown>),
      contentType: res.contentType,
    };
  };

  return {
    url,
    rootToken,
    core,
    clock,
    api,
    close: async () => {
      await new Promise<void>((resolve) => front.close(() => resolve()));
      server.closeAllConnections();
      await core.shutdown();
    },
  };
}

/** node:http rather than fetch: fetch refuses the LIST method. */
function rawRequest(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<{ status: number; text: string; contentType: string | null }> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, base), { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString("utf8"),
          contentType: res.headers["content-type"] ?? null,
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
