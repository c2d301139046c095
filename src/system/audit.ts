import type { Core } from "../core/core.js";
import { badRequest } from "../framework/errors.js";
import { definePath, type PathDef } from "../framework/types.js";

export function auditPaths(core: Core): PathDef[] {
  return [
    definePath({
      pattern: "audit",
      operations: { read: async () => ({ data: { ...core.audit.list() }, injectDataAtTop: true }) },
    }),
    definePath({
      pattern: "audit/*path",
      fields: {
        path: { type: "string", required: true },
        type: { type: "string" },
        description: { type: "string" },
        options: { type: "string-map" },
        local: { type: "bool" },
      },
      operations: {
        update: async (_req, f) => {
          if (f.values.type === "") throw badRequest("audit type must be specified");
          await core.audit.enable(f.values.path, {
            type: f.values.type,
            description: f.values.description,
            local: f.values.local,
            options: f.values.options,
          });
          return undefined;
        },
        delete: async (_req, f) => {
          await core.audit.disable(f.values.path);
          return undefined;
        },
      },
    }),
    definePath({
      pattern: "audit-hash/*path",
      fields: { path: { type: "string", required: true }, input: { type: "string" } },
      operations: {
        update: async (_req, f) => ({ data: { hash: core.audit.hash(f.values.path, f.values.input) }, injectDataAtTop: true }),
      },
    }),
  ];
}
