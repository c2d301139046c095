/**
 * `sys/monitor`: the server's log lines, streamed until the client disconnects, at the
 * level asked for (default info) and in Vault's "standard" text or "json". The pipeline
 * has checked the token and the ACL (read on sys/monitor) and audited the request before
 * the first line goes out.
 */
import { badRequest } from "../framework/errors.js";
import { definePath, type PathDef } from "../framework/types.js";
import type { MonitorFormat } from "../server/log-monitor.js";
import type { SysExtras } from "./extras.js";
import { parseLevel } from "./loggers.js";

const fields = {
  log_level: { type: "string", default: "info", description: 'Lowest level streamed: "trace", "debug", "info", "warn" or "error".' },
  log_format: { type: "string", default: "standard", description: 'Line format: "standard" (text) or "json".' },
} as const;

export function monitorPaths(extras: SysExtras): PathDef[] {
  return [
    definePath({
      pattern: "monitor",
      fields,
      help: `Stream the server's log lines as they are written, until the client disconnects.

log_level picks the lowest level sent, whatever level the server itself logs at (default
info); log_format is standard (text lines) or json (one object per line). The answer is
not JSON and has no envelope. A client that reads too slowly misses lines, and is told so.
Log lines name only the scalar fields the server chose to log: no token or secret.`,
      operations: {
        read: async (_req, f) => {
          const level = parseLevel(f.values.log_level || "info");
          const format = (f.values.log_format || "standard").trim().toLowerCase();
          if (format !== "standard" && format !== "json") {
            throw badRequest(`unknown log format "${f.values.log_format}"; supported: standard, json`);
          }
          return {
            stream: {
              contentType: format === "json" ? "application/json" : "text/plain; charset=utf-8",
              start: (write, end) => extras.monitor.subscribe(level, format as MonitorFormat, write, end),
            },
          };
        },
      },
    }),
  ];
}
