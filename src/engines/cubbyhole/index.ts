/**
 * The cubbyhole: KV v1 semantics in a private space per token. Keys live under the
 * caller's token hash, so no other token (root included) can reach them, and they go
 * when the token is revoked.
 */
import { badRequest } from "../../framework/errors.js";
import type { BackendContext, BackendFactory, Request } from "../../framework/types.js";
import type { Storage } from "../../storage/storage.js";
import { passthroughPaths } from "../kv/passthrough.js";
import { deleteTree } from "../kv/storage-walk.js";

function tokenPrefix(tokenHash: string): string {
  if (tokenHash === "") throw badRequest("client token empty");
  return `${tokenHash}/`;
}

export const createCubbyholeBackend: BackendFactory = (ctx: BackendContext) => ({
  type: "cubbyhole",
  paths: passthroughPaths({
    storage: ctx.storage,
    prefixFor: (req: Request) => tokenPrefix(req.caller.tokenHash),
    rootIsError: true,
  }),
});

/**
 * Removes everything a token stored in its cubbyhole; `storage` is the cubbyhole mount's.
 * The core calls this when it revokes the token. Returns the number of entries removed.
 */
export async function destroyCubbyhole(storage: Storage, tokenHash: string): Promise<number> {
  if (tokenHash === "" || tokenHash.includes("/")) throw new Error("destroyCubbyhole: invalid token hash");
  return deleteTree(storage, `${tokenHash}/`);
}
