import type { Core } from "../core/core.js";
import { tokenAcl } from "../core/identity/index.js";
import { routePrefix } from "../core/router/mount-entry.js";
import { permissionDenied } from "../framework/errors.js";
import { definePath, type PathDef, type Request } from "../framework/types.js";
import { mountView } from "./mounts.js";

/**
 * Whether the caller may touch anything under a mount; Vault's CLI asks this endpoint to
 * tell KV v1 from v2 before `kv get`, so a token limited to `secret/data/x` must pass.
 */
export async function hasMountAccess(core: Core, req: Request, prefix: string): Promise<boolean> {
  if (!req.caller.tokenHash) return false;
  const acl = await tokenAcl(core, req.caller.policies, req.caller.entityId);
  return acl.hasMountAccess(prefix);
}

export function internalUiPaths(core: Core): PathDef[] {
  return [
    definePath({
      pattern: "internal/ui/mounts",
      help: `List the secrets engines and auth methods the calling token can reach.

The answer holds secret and auth, each keyed by mount path as sys/mounts and sys/auth
list them, holding the mounts where the token's policies grant something at or below the
mount, and those tuned listing_visibility=unauth. No policy is needed to ask. Without a
token only the unauth-visible mounts are listed, each with just its type, description and
options (what a login page needs).`,
      operations: {
        read: async (req) => {
          const secret: Record<string, unknown> = {};
          const auth: Record<string, unknown> = {};
          const authed = req.caller.tokenHash !== "";
          for (const m of core.mounts.router.all()) {
            const listed = m.entry.config.listing_visibility === "unauth" || (await hasMountAccess(core, req, routePrefix(m.entry)));
            if (!listed) continue;
            const view = mountView(core, m);
            (m.entry.kind === "auth" ? auth : secret)[m.entry.path] = authed
              ? view
              : { type: view.type, description: view.description, options: view.options };
          }
          return { data: { secret, auth } };
        },
      },
    }),
    definePath({
      pattern: "internal/ui/mounts/*path",
      fields: { path: { type: "string", required: true, description: "Any path; the mount that serves it is described." } },
      help: `Describe the mount that serves a path, if the calling token can reach it.

The answer is the mount as sys/mounts lists it, with its path added; the CLI asks here to
tell KV version 1 from version 2 before a kv command. It needs no policy of its own, but
when the path is under no mount, or the token's policies grant nothing at or below the
mount, it answers 403.`,
      operations: {
        read: async (req, f) => {
          const path = f.values.path.replace(/^\/+/, "");
          const match = core.mounts.router.match(path);
          const denied = permissionDenied(
            `preflight capability check returned 403, please ensure client's policies grant access to path "${path.endsWith("/") ? path : path + "/"}"`,
          );
          if (!match) throw denied;
          const prefix = routePrefix(match.mounted.entry);
          if (!(await hasMountAccess(core, req, prefix))) throw denied;
          return { data: { ...mountView(core, match.mounted), path: match.mounted.entry.path } };
        },
      },
    }),
  ];
}
