import type { Core } from "../../core/core.js";
import { badRequest } from "../../framework/errors.js";
import type { FieldSchemas } from "../../framework/fields.js";
import { definePath, type PathDef } from "../../framework/types.js";
import { callerHasSudo } from "./caller.js";

const tokenField = { token: { type: "string", description: "The token to revoke." } } as const satisfies FieldSchemas;
const accessorField = { accessor: { type: "string", description: "Accessor of the token to revoke." } } as const satisfies FieldSchemas;

const REVOKE_NOTES = `Every descendant of the token goes with it, children first, each with its leases (so
the secrets engines undo what they issued) and its cubbyhole. Batch tokens cannot be
revoked: they end when they expire.`;

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
      help: `Revoke the calling token and its children.

${REVOKE_NOTES}

The default policy allows it.`,
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
      help: `Revoke a token, leaving its children alive as orphans.

The token's leases and cubbyhole go; its children stay, now without a parent. Needs root
or sudo on this path (checked by the handler: without it, 400). An unknown token answers
400, and batch tokens cannot be revoked.`,
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
      help: `Revoke a token and its children by the token's accessor.

${REVOKE_NOTES}

An unknown accessor succeeds with a warning.`,
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
      help: `Revoke a token and its children.

${REVOKE_NOTES}

Revoking a token that does not exist succeeds quietly, so a retried revoke is harmless.`,
    }),
  ];
}
