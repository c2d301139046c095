import type { Core } from "../core/core.js";
import { tokenAcl } from "../core/identity/index.js";
import { badRequest } from "../framework/errors.js";
import { definePath, type PathDef, type Response } from "../framework/types.js";

/** `holder` is the token asked about (its policies and entity), undefined when it is unknown. */
async function capabilitiesFor(
  core: Core,
  holder: { policies: readonly string[]; entityId: string } | undefined,
  paths: string[],
): Promise<Response> {
  if (paths.length === 0) throw badRequest("paths must be supplied");
  const data: Record<string, unknown> = {};
  const acl = holder ? await tokenAcl(core, holder.policies, holder.entityId) : undefined;
  for (const p of paths) data[p] = acl ? acl.capabilities(p.replace(/^\/+/, "")) : ["deny"];
  // Kept for old clients, as Vault does, when exactly one path was asked about.
  if (paths.length === 1) data.capabilities = data[paths[0] as string];
  return { data, injectDataAtTop: true };
}

const pathFields = {
  paths: { type: "comma-strings" },
  path: { type: "comma-strings" },
} as const;

function pathsOf(f: { values: { paths: string[]; path: string[] } }): string[] {
  return [...f.values.paths, ...f.values.path];
}

export function capabilityPaths(core: Core): PathDef[] {
  return [
    definePath({
      pattern: "capabilities",
      fields: { token: { type: "string" }, ...pathFields },
      operations: {
        update: async (req, f) => {
          const entry = await core.tokens.lookup(f.values.token, req.nowMs);
          return capabilitiesFor(core, entry, pathsOf(f));
        },
      },
    }),
    definePath({
      pattern: "capabilities-self",
      fields: { token: { type: "string" }, ...pathFields },
      operations: {
        update: async (req, f) => capabilitiesFor(core, req.caller, pathsOf(f)),
      },
    }),
    definePath({
      pattern: "capabilities-accessor",
      fields: { accessor: { type: "string", required: true }, ...pathFields },
      operations: {
        update: async (req, f) => {
          const entry = await core.tokens.lookupAccessor(f.values.accessor, req.nowMs);
          if (!entry) throw badRequest("invalid accessor");
          return capabilitiesFor(core, entry, pathsOf(f));
        },
      },
    }),
  ];
}
