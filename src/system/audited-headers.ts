/**
 * `sys/config/auditing/request-headers[/<header>]`: which request headers audit entries
 * carry, each in clear or HMAC'd (Vault's audited request headers). Needs sudo.
 */
import type { Core } from "../core/core.js";
import { badRequest } from "../framework/errors.js";
import { definePath, type PathDef } from "../framework/types.js";

export function auditedHeaderPaths(core: Core): PathDef[] {
  return [
    definePath({
      pattern: "config/auditing/request-headers",
      help: `List the request headers that audit entries carry, with their hmac setting.

headers maps each lower-case header name to { hmac }. None are configured at first, so
audit entries carry no request headers until an operator names some. Needs sudo.`,
      operations: { read: async () => ({ data: { headers: core.auditedHeaders.all() } }) },
    }),
    definePath({
      pattern: "config/auditing/request-headers/:header",
      fields: {
        header: { type: "string", required: true, description: "The request header's name (case does not matter)." },
        hmac: { type: "bool", default: false, description: "Write the header's values HMAC'd instead of in clear." },
      },
      help: `Read, add or remove one request header that audit entries carry.

A write adds the header (or changes it): from then on each audit entry of a request that
sends it holds its values under request.headers, lower-case, HMAC'd when hmac=true (as
tokens are). Credential headers (X-Vault-Token, Authorization, Cookie) are HMAC'd whatever
hmac says. A read answers { <header>: { hmac } }, or 400 when the header is not
configured; a delete removes it. Needs sudo.`,
      operations: {
        read: async (_req, f) => {
          const settings = core.auditedHeaders.get(f.values.header);
          if (!settings) throw badRequest("Could not find header in config");
          return { data: { [f.values.header]: settings } };
        },
        update: async (_req, f) => {
          await core.auditedHeaders.set(f.values.header, { hmac: f.values.hmac });
          return undefined;
        },
        delete: async (_req, f) => {
          await core.auditedHeaders.delete(f.values.header);
          return undefined;
        },
      },
    }),
  ];
}
