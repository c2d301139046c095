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
  paths: { type: "comma-strings", description: "Paths to ask about, as a list or a comma-separated string; a leading slash is ignored." },
  path: { type: "comma-strings", description: "Older name of paths; paths given in both are all answered." },
} as const;

/** What the three capabilities paths answer, as the last paragraph of each one's help. */
const ANSWER_HELP = `The answer holds, for each path, the capabilities the token's policies (its own, and its
entity's and groups') grant there, sorted by name: ["root"] for a root token, ["deny"]
when nothing is granted or a deny rule applies. When one path was asked about, its list
is also given as capabilities. At least one path must be given.`;

function pathsOf(f: { values: { paths: string[]; path: string[] } }): string[] {
  return [...f.values.paths, ...f.values.path];
}

export function capabilityPaths(core: Core): PathDef[] {
  return [
    definePath({
      pattern: "capabilities",
      fields: { token: { type: "string", description: "The token to ask about." }, ...pathFields },
      help: `Report what a given token may do on each of some paths.

An unknown or expired token gets "deny" on every path.

${ANSWER_HELP}`,
      operations: {
        update: async (req, f) => {
          const entry = await core.tokens.lookup(f.values.token, req.nowMs);
          return capabilitiesFor(core, entry, pathsOf(f));
        },
      },
    }),
    definePath({
      pattern: "capabilities-self",
      fields: { token: { type: "string", description: "Ignored: the calling token is the one asked about." }, ...pathFields },
      help: `Report what the calling token may do on each of some paths.

The default policy allows it, so any token may ask about itself.

${ANSWER_HELP}`,
      operations: {
        update: async (req, f) => capabilitiesFor(core, req.caller, pathsOf(f)),
      },
    }),
    definePath({
      pattern: "capabilities-accessor",
      fields: { accessor: { type: "string", required: true, description: "Accessor of the token to ask about." }, ...pathFields },
      help: `Report what the token with a given accessor may do on each of some paths.

An unknown accessor answers 400.

${ANSWER_HELP}`,
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
