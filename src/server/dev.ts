import { writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { InmemStorage } from "../storage/inmem.js";
import type { Logger } from "../framework/types.js";
import { startServer, type RunningServer } from "./app.js";

export interface DevOptions {
  rootTokenId?: string;
  listenAddress?: string;
  logger: Logger;
  /** Write the root token to ~/.mayfly-token as Vault's dev mode does. */
  storeToken?: boolean;
  homeDir?: string;
  /** Vault's default_max_request_duration (tests shorten it to see a frozen database time out). */
  maxRequestDurationSeconds?: number;
}

export interface DevServer extends RunningServer {
  rootToken: string;
  unsealKey: string;
}

/**
 * Vault's dev mode: in memory, initialised with one key share, unsealed, root token known,
 * KV version 2 at `secret/`. Nothing survives the process.
 */
export async function startDevServer(opts: DevOptions): Promise<DevServer> {
  const server = await startServer({
    storage: new InmemStorage(),
    storageType: "inmem",
    listeners: [{ address: opts.listenAddress ?? "127.0.0.1:8200", tlsDisable: true }],
    logger: opts.logger,
    ...(opts.maxRequestDurationSeconds ? { maxRequestDurationSeconds: opts.maxRequestDurationSeconds } : {}),
  });
  try {
    const { core } = server;
    const { keys, rootToken } = await core.initialize(1, 1, opts.rootTokenId);
    await core.unsealWith(keys);
    await core.mounts.mount("secret", "secret/", { type: "kv", options: { version: "2" }, description: "key/value secret storage" });
    const unsealKey = (keys[0] as Buffer).toString("base64");
    if (opts.storeToken) {
      writeFileSync(join(opts.homeDir ?? homedir(), ".mayfly-token"), rootToken, { mode: 0o600 });
    }
    return { ...server, rootToken, unsealKey };
  } catch (err) {
    await server.close();
    throw err;
  }
}

export function devBanner(s: DevServer): string {
  const addr = s.addresses[0] ?? "";
  return [
    "WARNING! dev mode is enabled! In this mode, Mayfly runs entirely in-memory",
    "and starts unsealed with a single unseal key. The root token is already",
    "authenticated to the CLI, so you can immediately begin using Mayfly.",
    "",
    "You may need to set the following environment variables:",
    "",
    `    $ export MAYFLY_ADDR='${addr}'`,
    "",
    "The unseal key and root token are displayed below in case you want to",
    "seal/unseal the server or re-authenticate.",
    "",
    `Unseal Key: ${s.unsealKey}`,
    `Root Token: ${s.rootToken}`,
    "",
    "Development mode should NOT be used in production installations!",
    "",
  ].join("\n");
}
