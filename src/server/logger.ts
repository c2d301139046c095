import pino from "pino";
import type { Logger } from "../framework/types.js";

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

/** Changes a logger's verbosity while the server runs (`sys/loggers`). */
export interface LogLevelControl {
  /** The level the server started with (config file, flag or environment). */
  readonly configuredLevel: LogLevel;
  level(): LogLevel;
  setLevel(level: LogLevel): void;
}

const controls = new WeakMap<Logger, LogLevelControl>();

/**
 * Structured JSON logs on stderr. Callers pass only the fields they name, typed as plain
 * scalars, so a request body or a token cannot slip into a line by accident.
 */
export function createLogger(level: LogLevel = "info", destination: NodeJS.WritableStream = process.stderr): Logger {
  const base = pino({ level, base: { service: "mayfly" }, timestamp: pino.stdTimeFunctions.isoTime }, destination as pino.DestinationStream);
  const logger: Logger = {
    debug: (msg, fields) => base.debug(fields ?? {}, msg),
    info: (msg, fields) => base.info(fields ?? {}, msg),
    warn: (msg, fields) => base.warn(fields ?? {}, msg),
    error: (msg, fields) => base.error(fields ?? {}, msg),
  };
  controls.set(logger, {
    configuredLevel: level,
    // pino also knows "fatal" and "silent", which Mayfly's levels do not name.
    level: () => (["trace", "debug", "info", "warn", "error"].includes(base.level) ? parseLogLevel(base.level) : level),
    setLevel: (next) => {
      base.level = next;
    },
  });
  return logger;
}

/** Lets `wrapper` (a logger that forwards to `inner`) report and change inner's level. */
export function adoptLevelControl(wrapper: Logger, inner: Logger): void {
  const control = controls.get(inner);
  if (control) controls.set(wrapper, control);
}

/** The level control of a logger made by `createLogger`; undefined for any other logger. */
export function logLevelControl(logger: Logger): LogLevelControl | undefined {
  return controls.get(logger);
}

/** A control that only remembers its level, for loggers that cannot change theirs (tests). */
export function detachedLevelControl(configuredLevel: LogLevel = "info"): LogLevelControl {
  let current = configuredLevel;
  return {
    configuredLevel,
    level: () => current,
    setLevel: (next) => {
      current = next;
    },
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
