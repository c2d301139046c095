/**
 * `sys/monitor` (and `mayfly monitor`): the server's log lines streamed to a client as they
 * are written, at the level the client asks for whatever the server's own level, in
 * Vault's "standard" text or JSON. Only what goes through the Logger interface is seen, and
 * that only ever carries the scalar fields its callers name: never a token or a secret.
 */
import type { Logger } from "../framework/types.js";
import type { LogLevel } from "./logger.js";

export type MonitorFormat = "standard" | "json";

const RANK: Readonly<Record<LogLevel, number>> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };
type Fields = Record<string, string | number | boolean>;

interface Subscriber {
  readonly minRank: number;
  readonly format: MonitorFormat;
  readonly write: (line: string) => void;
  readonly end: () => void;
}

export class LogMonitor {
  private readonly subscribers = new Set<Subscriber>();

  /** A logger that writes to `inner` and to every subscriber whose level admits the line. */
  wrap(inner: Logger): Logger {
    const at =
      (level: Exclude<LogLevel, "trace">) =>
      (msg: string, fields?: Fields): void => {
        inner[level](msg, fields);
        if (this.subscribers.size > 0) this.publish(level, msg, fields);
      };
    return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  }

  /** Calls `write` with each line from now on; returns the function that stops it. */
  subscribe(level: LogLevel, format: MonitorFormat, write: (line: string) => void, end: () => void = () => undefined): () => void {
    const s: Subscriber = { minRank: RANK[level], format, write, end };
    this.subscribers.add(s);
    return () => {
      this.subscribers.delete(s);
    };
  }

  /** Ends every stream: the server is shutting down and would otherwise wait on them. */
  endAll(): void {
    const all = [...this.subscribers];
    this.subscribers.clear();
    for (const s of all) s.end();
  }

  get size(): number {
    return this.subscribers.size;
  }

  private publish(level: LogLevel, msg: string, fields: Fields | undefined): void {
    const time = new Date().toISOString();
    let standard: string | undefined;
    let json: string | undefined;
    for (const s of this.subscribers) {
      if (RANK[level] < s.minRank) continue;
      if (s.format === "json") s.write((json ??= jsonLine(time, level, msg, fields)));
      else s.write((standard ??= standardLine(time, level, msg, fields)));
    }
  }
}

/** hclog's text form: `2026-01-02T03:04:05.678Z [INFO]  message: key=value`. */
function standardLine(time: string, level: LogLevel, msg: string, fields: Fields | undefined): string {
  const tag = `[${level.toUpperCase()}]`;
  const pairs = fields ? Object.entries(fields).map(([k, v]) => `${k}=${quoteIfNeeded(String(v))}`) : [];
  return `${time} ${tag.padEnd(7)} ${msg}${pairs.length > 0 ? `: ${pairs.join(" ")}` : ""}\n`;
}

function quoteIfNeeded(v: string): string {
  return v === "" || /[\s"=]/.test(v) ? JSON.stringify(v) : v;
}

/** hclog's JSON form. */
function jsonLine(time: string, level: LogLevel, msg: string, fields: Fields | undefined): string {
  return `${JSON.stringify({ "@level": level, "@message": msg, "@timestamp": time, ...(fields ?? {}) })}\n`;
}
