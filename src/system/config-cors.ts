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
      help: "Configures or returns the CORS settings.\n\nGET returns them; POST/PUT sets the allowed origins (and extra headers) and enables CORS; DELETE clears them and disables CORS.",
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
