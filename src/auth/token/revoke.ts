import type { Core } from "../../core/core.js";
import { badRequest } from "../../framework/errors.js";
import type { FieldSchemas } from "../../framework/fields.js";
import { definePath, type PathDef } from "../../framework/types.js";
import { callerHasSudo } from "./caller.js";

const tokenField = { token: { type: "string" } } as const satisfies FieldSchemas;
const accessorField = { accessor: { type: "string" } } as const satisfies FieldSchemas;

/**
 * Revocation as Vault's token store does it: the whole subtree goes (children first, each
 * with its leases), except through revoke-orphan. Revoking a token that is already gone
 * succeeds quietly, so a retried revoke is harmless.
 */
export function revokePaths(core: Core): readonly PathDef[] {
  return [
    definePath({
      pattern: "revoke-self",
      operations: {
        update: async (req) => {
          if (req.caller.tokenType === "batch") throw badRequest("batch tokens cannot be revoked");
          // By hash: a token on its last use is already marked revoked and no longer looks up.
          await core.tokens.revokeTree(req.caller.tokenHash);
          return undefined;
        },
      },
      help: "Revoke the calling token and its children.",
    }),
    definePath({
      pattern: "revoke-orphan",
      fields: tokenField,
      operations: {
        update: async (req, f) => {
          const token = f.values.token;
          if (token === "") throw badRequest("missing token ID");
          if (!(await callerHasSudo(core, req))) throw badRequest("root or sudo privileges required to revoke and orphan");
          const entry = await core.tokens.lookup(token, req.nowMs);
          if (!entry) throw badRequest("token to revoke not found");
          if (entry.type === "batch") throw badRequest("batch tokens cannot be revoked");
          await core.tokens.revokeOrphan(entry.hash);
          return undefined;
        },
      },
      help: "Revoke a token, leaving its children alive as orphans.",
    }),
    definePath({
      pattern: "revoke-accessor",
      fields: accessorField,
      operations: {
        update: async (req, f) => {
          const accessor = f.values.accessor;
          if (accessor === "") throw badRequest("missing accessor");
          const entry = await core.tokens.lookupAccessor(accessor, req.nowMs);
          if (!entry) return { data: null, warnings: ["No token found with this accessor"] };
          if (entry.type === "batch") throw badRequest("batch tokens cannot be revoked");
          await core.tokens.revokeTree(entry.hash);
          return undefined;
        },
      },
      help: "Revoke a token and its children by the token's accessor.",
    }),
    definePath({
      pattern: "revoke",
      fields: tokenField,
      operations: {
        update: async (req, f) => {
          const token = f.values.token;
          if (token === "") throw badRequest("missing token ID");
          const entry = await core.tokens.lookup(token, req.nowMs);
          if (!entry) return undefined;
          if (entry.type === "batch") throw badRequest("batch tokens cannot be revoked");
          await core.tokens.revokeTree(entry.hash);
          return undefined;
        },
      },
      help: "Revoke a token and its children.",
    }),
  ];
}
