import { openStorage } from "../storage/open.js";
import { loadServerConfig } from "./config.js";
import type { Logger } from "../framework/types.js";
import { createLogger, logLevelControl, parseLogLevel } from "./logger.js";
import { startServer, type RunningServer } from "./app.js";
import { devBanner, startDevServer } from "./dev.js";

interface ServerFlags {
  dev: boolean;
  devRootTokenId?: string;
  devListenAddress?: string;
  configFiles: string[];
  logLevel?: string;
}

const USAGE = `Usage: mayfly server [options]

  Starts a Mayfly server that responds to API requests.

  -config=<path>               HCL or JSON server configuration file, or a directory
                               of them (*.hcl, *.json, in lexical order). Repeatable:
                               later files override earlier settings; listeners add up.
  -dev                         In-memory, unsealed development server with a root token.
  -dev-root-token-id=<string>  Root token for dev mode.
  -dev-listen-address=<addr>   Address for dev mode (default 127.0.0.1:8200).
  -log-level=<level>           trace, debug, info, warn, error.
`;

export function parseServerFlags(args: readonly string[]): ServerFlags {
  const flags: ServerFlags = { dev: false, configFiles: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const m = /^--?([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unexpected argument "${arg}"\n\n${USAGE}`);
    const name = m[1] as string;
    const takeValue = (): string => {
      if (m[2] !== undefined) return m[2];
      const next = args[++i];
      if (next === undefined) throw new Error(`flag -${name} needs a value`);
      return next;
    };
    switch (name) {
      case "dev":
        flags.dev = m[2] === undefined || m[2] === "true" || m[2] === "1";
        break;
      case "dev-root-token-id":
        flags.devRootTokenId = takeValue();
        break;
      case "dev-listen-address":
        flags.devListenAddress = takeValue();
        break;
      case "config":
        flags.configFiles.push(takeValue());
        break;
      case "log-level":
        flags.logLevel = takeValue();
        break;
      case "h":
      case "help":
        throw new Error(USAGE);
      default:
        throw new Error(`flag provided but not defined: -${name}\n\n${USAGE}`);
    }
  }
  if (!flags.dev && flags.configFiles.length === 0) throw new Error(`a configuration file must be given with -config, or use -dev\n\n${USAGE}`);
  return flags;
}

/** `mayfly server`: returns the exit code once the server has stopped. */
export async function runServerCommand(args: readonly string[]): Promise<number> {
  let flags: ServerFlags;
  try {
    flags = parseServerFlags(args);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
  let server: RunningServer;
  // What SIGHUP reloads besides the audit files: nothing in dev mode.
  let reload: () => void = () => undefined;
  try {
    if (flags.dev) {
      const logger = createLogger(parseLogLevel(flags.logLevel ?? process.env.MAYFLY_LOG_LEVEL ?? "info"));
      const dev = await startDevServer({
        logger,
        storeToken: true,
        ...(flags.devRootTokenId !== undefined ? { rootTokenId: flags.devRootTokenId } : {}),
        ...(flags.devListenAddress !== undefined ? { listenAddress: flags.devListenAddress } : {}),
      });
      process.stdout.write(devBanner(dev));
      server = dev;
    } else {
      const config = loadServerConfig(flags.configFiles);
      const logger = createLogger(parseLogLevel(flags.logLevel ?? config.logLevel ?? "info"));
      for (const warning of config.warnings) logger.warn(`configuration: ${warning}`);
      server = await startServer({
        storage: openStorage(config.storage),
        storageType: config.storage.type,
        listeners: config.listeners,
        logger,
        defaultLeaseTtlSeconds: config.defaultLeaseTtlSeconds,
        maxLeaseTtlSeconds: config.maxLeaseTtlSeconds,
        serverConfig: config,
        ...(config.defaultMaxRequestDurationSeconds ? { maxRequestDurationSeconds: config.defaultMaxRequestDurationSeconds } : {}),
        ...(config.leaseRecoveryGraceSeconds ? { expiration: { recoveryGraceMs: config.leaseRecoveryGraceSeconds * 1000 } } : {}),
      });
      const running = server;
      reload = () => reloadConfiguration(running, flags, logger);
      process.stdout.write(`Mayfly server started; listening on ${server.addresses.join(", ")}\n`);
      if (!(await server.core.seal.initialized())) process.stdout.write("The server is not initialised: run `mayfly operator init`.\n");
      else process.stdout.write("The server is sealed: run `mayfly operator unseal` with the threshold of key shares.\n");
    }
  } catch (err) {
    process.stderr.write(`Error starting the server: ${(err as Error).message}\n`);
    return 1;
  }
  return waitForSignals(server, reload);
}

/**
 * SIGHUP, as Vault: the configuration files are read again; TLS listeners take their
 * certificates and keys anew and the log level follows log_level (unless -log-level was
 * given). Everything else needs a restart. A file that no longer parses changes nothing.
 */
function reloadConfiguration(server: RunningServer, flags: ServerFlags, logger: Logger): void {
  let config;
  try {
    config = loadServerConfig(flags.configFiles);
  } catch (err) {
    logger.error("reload: the configuration could not be read; nothing changed", { error: (err as Error).message });
    return;
  }
  for (const problem of server.reloadTls(config.listeners)) logger.error(`reload: ${problem}`);
  if (flags.logLevel === undefined) logLevelControl(logger)?.setLevel(config.logLevel ?? "info");
  logger.info("reload: configuration read again", { listeners: config.listeners.length });
}

function waitForSignals(server: RunningServer, reload: () => void): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stdout.write(`${signal} received: shutting down\n`);
      server
        .close()
        .then(() => resolve(0))
        .catch((err: unknown) => {
          process.stderr.write(`shutdown error: ${String(err)}\n`);
          resolve(1);
        });
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    // logrotate moves the audit file, then sends SIGHUP so we reopen it at its path; a
    // renewed TLS certificate is picked up the same way.
    process.on("SIGHUP", () => {
      server.core.audit.reopen();
      reload();
    });
  });
}
