import { definePath, type PathDef } from "../framework/types.js";
import type { CorsConfigStore } from "./cors-config.js";

/**
 * `sys/config/cors` (sudo): read, enable for a set of origins, disable. The HTTP layer
 * enforces the result on the next request (src/http/cors.ts).
 */
export function configCorsPaths(cors: CorsConfigStore): PathDef[] {
  return [
    definePath({
      pattern: "config/cors",
      fields: {
        allowed_origins: {
          type: "comma-strings",
          description: 'Origins allowed to make cross-origin requests: a list, a comma-separated string, or "*" alone for any.',
        },
        allowed_headers: {
          type: "comma-strings",
          description: "Headers allowed on cross-origin requests, in addition to the ones always allowed.",
        },
        // The Go client sends it; Vault ignores it too: writing the config turns CORS on.
        enabled: { type: "bool", description: "Ignored: writing the configuration enables CORS, deleting it disables CORS." },
      },
      help: `Read, set or clear which web origins may call this server from a browser (CORS).

A read answers enabled, and when it is on, allowed_origins and allowed_headers. A write
sets the origins (and any extra headers) and turns CORS on; a delete clears them and
turns it off. An empty origin list, or "*" among other origins, answers 400. The
settings are stored behind the barrier and applied from the next request; after a
restart they apply once the server is unsealed.

With CORS on, a request with an Origin that is not allowed gets 403, an allowed one gets
Access-Control-Allow-Origin, and a preflight OPTIONS request is answered with the
methods and headers allowed. Needs sudo.`,
      operations: {
        read: async () => {
          const s = cors.current();
          const data: Record<string, unknown> = { enabled: s.enabled };
          if (s.enabled) {
            data.allowed_origins = [...s.allowedOrigins];
            data.allowed_headers = [...s.allowedHeaders];
          }
          return { data, injectDataAtTop: true };
        },
        update: async (_req, f) => {
          await cors.enable(f.values.allowed_origins, f.values.allowed_headers);
          return undefined;
        },
        delete: async () => {
          await cors.disable();
          return undefined;
        },
      },
    }),
  ];
}
