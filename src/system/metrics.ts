import type { Core } from "../core/core.js";
import { badRequest } from "../framework/errors.js";
import { definePath, type PathDef } from "../framework/types.js";

export function metricsPaths(core: Core): PathDef[] {
  return [
    definePath({
      pattern: "metrics",
      fields: { format: { type: "string" } },
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
