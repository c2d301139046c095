import pino from "pino";
import type { Logger } from "../framework/types.js";

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

/**
 * Structured JSON logs on stderr. Callers pass only the fields they name, typed as plain
 * scalars, so a request body or a token cannot slip into a line by accident.
 */
export function createLogger(level: LogLevel = "info", destination: NodeJS.WritableStream = process.stderr): Logger {
  const base = pino({ level, base: { service: "mayfly" }, timestamp: pino.stdTimeFunctions.isoTime }, destination as pino.DestinationStream);
  return {
    debug: (msg, fields) => base.debug(fields ?? {}, msg),
    info: (msg, fields) => base.info(fields ?? {}, msg),
    warn: (msg, fields) => base.warn(fields ?? {}, msg),
    error: (msg, fields) => base.error(fields ?? {}, msg),
  };
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export function parseLogLevel(s: string | undefined): LogLevel {
  const v = (s ?? "info").toLowerCase();
  if (v === "trace" || v === "debug" || v === "info" || v === "warn" || v === "error") return v;
  if (v === "warning") return "warn";
  if (v === "err") return "error";
  throw new Error(`unknown log level "${s}" (trace, debug, info, warn, error)`);
}
