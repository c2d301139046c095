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

const KEY_HELP = `Write, read, list and delete secrets that only the calling token can reach.

Every token has a cubbyhole of its own. What a token writes here can be read, listed and
deleted only by requests made with that same token: not by its parent or its children,
not by a root token. Everything in it is removed when the token is revoked or expires.

A write stores the request body as it is, replacing whatever was at the path (an empty
body is refused); a read returns it. There are no versions and no lease_duration. A
listing returns the keys and folders (ending in "/") directly under the path.

Response wrapping keeps a wrapped response in the cubbyhole of its wrapping token, which
is how cubbyhole/response serves it.`;

const ROOT_HELP = `List the top-level keys and folders of the calling token's cubbyhole.

At the root only a listing means anything: a read, a write or a delete is refused with
"missing path". Secrets live at paths under the mount.`;

export const createCubbyholeBackend: BackendFactory = (ctx: BackendContext) => ({
  type: "cubbyhole",
  paths: passthroughPaths({
    storage: ctx.storage,
    prefixFor: (req: Request) => tokenPrefix(req.caller.tokenHash),
    rootIsError: true,
    help: { root: ROOT_HELP, key: KEY_HELP, path: "Location of the secret in the calling token's cubbyhole." },
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
