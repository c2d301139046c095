/** `<mount>/subkeys/<key>`: a version's structure with every value replaced by null. */
import { badRequest, isMayflyError, MayflyError } from "../../../framework/errors.js";
import { definePath, type PathDef } from "../../../framework/types.js";
import { readVersion } from "./data.js";
import { keyIn, notFoundWithData } from "./paths-common.js";
import type { KvStore } from "./store.js";

/** Deeper than this, objects are cut off (as leaves) whatever `depth` asks. */
const MAX_DEPTH = 100;

export function subkeysPath(store: KvStore): PathDef {
  return definePath({
    pattern: ["subkeys/*path", "subkeys/"],
    fields: {
      path: { type: "string", description: "Location of the secret." },
      version: { type: "int", description: "The version to describe; the latest when 0 or absent." },
      depth: { type: "int", description: `Deepest nesting level to show; 0 (the default) shows up to ${MAX_DEPTH} levels.` },
    },
    pureReads: true,
    operations: {
      read: async (req, f) => {
        if (f.values.depth < 0) throw badRequest("depth must be a non-negative integer");
        const key = keyIn(req, "subkeys");
        const wanted = f.values.version > 0 ? f.values.version : undefined;
        const depth = f.values.depth === 0 ? MAX_DEPTH : Math.min(f.values.depth, MAX_DEPTH);
        try {
          const resp = await readVersion(store, key, wanted, req.nowMs, false);
          const body = resp.data as { data: Record<string, unknown>; metadata: unknown };
          return { data: { subkeys: stripValues(body.data, 1, depth), metadata: body.metadata } };
        } catch (e) {
          // A deleted version's 404 names its body `subkeys`, not `data`.
          if (isMayflyError(e) && e.status === 404 && e.data !== undefined) {
            return rethrowAsSubkeys(e);
          }
          throw e;
        }
      },
    },
    help: `Read the keys of a secret's version without any of its values.

The answer's subkeys has the version's structure with every value replaced by null,
nested objects followed down to depth levels; metadata is the version's, as a data read
gives it. A deleted or destroyed version answers 404 with its metadata.`,
  });
}

function rethrowAsSubkeys(e: MayflyError): never {
  const { metadata } = e.data as { metadata: unknown };
  throw notFoundWithData({ subkeys: null, metadata });
}

function stripValues(input: Record<string, unknown>, depth: number, maxDepth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    const nested = typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length > 0;
    const value = nested && depth < maxDepth ? stripValues(v as Record<string, unknown>, depth + 1, maxDepth) : null;
    Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
