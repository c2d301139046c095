/** KV version 2: versioned secrets with metadata, check-and-set, soft delete and destroy. */
import { invalidPath } from "./paths-common.js";
import { definePath, type Backend, type BackendContext, type PathDef } from "../../../framework/types.js";
import { configPath } from "./config.js";
import { dataPath } from "./data.js";
import { deletePath } from "./delete.js";
import { destroyPath } from "./destroy.js";
import { metadataPath } from "./metadata.js";
import { KvStore } from "./store.js";
import { subkeysPath } from "./subkeys.js";
import { undeletePath } from "./undelete.js";
import { upgradeFromV1 } from "./upgrade.js";

/** Whatever no other declaration matched: Vault's 404 with a pointer to the v2 API. */
function invalidPaths(): PathDef[] {
  const answer = async (req: Parameters<typeof invalidPath>[0]) => invalidPath(req);
  const operations = { read: answer, create: answer, update: answer, patch: answer, delete: answer, list: answer };
  return [definePath({ pattern: "/", operations }), definePath({ pattern: "*rest", fields: { rest: { type: "string" } }, operations })];
}

export async function createKvV2Backend(ctx: BackendContext): Promise<Backend> {
  // Under the mount's UUID, as Vault does, so v1 entries left from before a version
  // upgrade can never collide with v2's own keys.
  const prefix = ctx.mount.uuid !== "" ? `${ctx.mount.uuid}/` : "versioned/";
  const store = new KvStore(ctx.storage, prefix);
  const upgraded = await upgradeFromV1(store, ctx.system.nowMs());
  if (upgraded > 0) ctx.system.logger.info("upgraded kv entries to version 2", { mount: ctx.mount.path, count: upgraded });
  return {
    type: "kv",
    paths: [
      configPath(store),
      dataPath(store),
      metadataPath(store),
      deletePath(store),
      undeletePath(store),
      destroyPath(store),
      subkeysPath(store),
      ...invalidPaths(),
    ],
  };
}
