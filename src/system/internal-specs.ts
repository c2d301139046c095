/**
 * `sys/internal/specs/openapi`: one OpenAPI 3 document for the paths of every mount the
 * caller may see, merged from the per-mount documents `?help=1` renders. As in Vault the
 * endpoint needs no token, and what it shows follows the caller: with a token, the mounts
 * its policies reach (root: all); without one, only mounts tuned `listing_visibility=unauth`.
 */
import type { Core } from "../core/core.js";
import type { Mounted } from "../core/mounts.js";
import { routePrefix } from "../core/router/mount-entry.js";
import { openApiDocument } from "../framework/help.js";
import { definePath, type PathDef, type Request } from "../framework/types.js";
import { hasMountAccess } from "./internal-ui.js";
import { mayflyVersion } from "../framework/version.js";


/** Vault tags the built-in mounts' operations by what they are. */
function tagOf(m: Mounted): string {
  if (m.entry.kind === "auth") return "auth";
  if (m.entry.type === "system") return "system";
  if (m.entry.type === "identity") return "identity";
  return "secrets";
}

const OPERATION_KEYS = ["get", "post", "patch", "delete"] as const;

/** The OpenAPI path items of one mount, keyed by their full path (`/secret/data/{path}`). */
export function mountPathItems(m: Mounted, version: string, genericMountPaths: boolean): Record<string, unknown> {
  const backend = m.runner.backend;
  const entries = backend.paths.flatMap((def) => (typeof def.pattern === "string" ? [def.pattern] : def.pattern).map((pattern) => ({ def, pattern })));
  const doc = openApiDocument(entries, {
    mountType: m.entry.type,
    mountDescription: m.entry.description,
    version,
    needsSudo: m.needsSudo,
    isUnauthenticated: m.isUnauthenticated,
  });
  const prefix = routePrefix(m.entry);
  // Vault keeps sys/ and identity/ at their real paths even with generic mount paths.
  const generic = genericMountPaths && m.entry.type !== "system" && m.entry.type !== "identity";
  const mountPart = generic ? (m.entry.kind === "auth" ? "auth/{mountPath}/" : "{mountPath}/") : prefix;
  const tag = tagOf(m);
  const out: Record<string, unknown> = {};
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
    for (const key of OPERATION_KEYS) {
      const op = item[key] as Record<string, unknown> | undefined;
      if (op) item[key] = { ...op, tags: [tag] };
    }
    out[`/${mountPart}${path.replace(/^\/+/, "")}`] = item;
  }
  return out;
}

async function visibleTo(core: Core, req: Request, m: Mounted): Promise<boolean> {
  if (m.entry.config.listing_visibility === "unauth") return true;
  return hasMountAccess(core, req, routePrefix(m.entry));
}

export function internalSpecsPaths(core: Core): PathDef[] {
  return [
    definePath({
      pattern: "internal/specs/openapi",
      fields: {
        context: { type: "string", description: "Accepted for Vault compatibility; Mayfly's documents carry no operation ids." },
        generic_mount_paths: { type: "bool", description: "Use {mountPath} in place of each mount's path (not for sys/ and identity/)." },
      },
      help: `Return an OpenAPI 3 document of the paths of every mount the caller may see.

No token is needed. With one, the document covers the mounts its policies reach (all for
root); without, only mounts tuned listing_visibility=unauth. The paths, parameters and
descriptions come from the same declarations as path help. The body is the document
itself, not a JSON envelope.`,
      operations: {
        read: async (req, f) => {
          const version = mayflyVersion();
          const paths: Record<string, unknown> = {};
          const mounts = [...core.mounts.router.all()].sort((a, b) => (routePrefix(a.entry) < routePrefix(b.entry) ? -1 : 1));
          for (const m of mounts) {
            if (!(await visibleTo(core, req, m))) continue;
            Object.assign(paths, mountPathItems(m, version, f.values.generic_mount_paths));
          }
          const doc = {
            openapi: "3.0.2",
            info: {
              title: "Mayfly API",
              description: "HTTP API of Mayfly, compatible with HashiCorp Vault's. All API routes are prefixed with `/v1/`.",
              version,
            },
            paths,
            components: { schemas: {} },
          };
          // Vault sends the document itself as the body, not inside the usual envelope.
          return { raw: { contentType: "application/json", body: JSON.stringify(doc) } };
        },
      },
    }),
  ];
}
