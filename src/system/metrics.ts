import type { Core } from "../core/core.js";
import { badRequest } from "../framework/errors.js";
import { definePath, type PathDef } from "../framework/types.js";

export function metricsPaths(core: Core): PathDef[] {
  return [
    definePath({
      pattern: "metrics",
      fields: {
        format: { type: "string", description: 'Output format: "prometheus" or empty; both give Prometheus text.' },
      },
      help: `Report the server's metrics as Prometheus text.

Mayfly's own metrics are mayfly_request_duration_seconds and mayfly_requests_total (by
mount, operation and, for the count, HTTP status), mayfly_core_unsealed, mayfly_tokens and
mayfly_leases_irrevocable, followed by Node's process metrics (mayfly_process_*). The
names are not Vault's. The body is the text itself, not a JSON envelope; Vault's JSON
format is not served, so any format but "prometheus" answers 400.`,
      operations: {
        read: async (_req, f) => {
          if (f.values.format !== "" && f.values.format !== "prometheus") {
            throw badRequest(`unsupported metrics format "${f.values.format}" (this server serves "prometheus")`);
          }
          const { contentType, body } = await core.metrics.text();
          return { raw: { contentType, body } };
        },
      },
    }),
  ];
}
