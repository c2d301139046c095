/** KV version 2: versioned secrets with metadata, check-and-set, soft delete and destroy. */
import { definePath, type Backend, type BackendContext, type Request } from "../../../framework/types.js";
import { configPath } from "./config.js";
import { invalidPath } from "./paths-common.js";
import { dataPath } from "./data.js";
import { deletePath } from "./delete.js";
import { destroyPath } from "./destroy.js";
import { metadataPath } from "./metadata.js";
import { KvStore } from "./store.js";
import { subkeysPath } from "./subkeys.js";
import { undeletePath } from "./undelete.js";
import { upgradeFromV1 } from "./upgrade.js";

// Vault's 404 body for these carries only its own warning, not one about ignored fields.
const anyInput = {};
const answerInvalid = async (req: Request) => invalidPath(req);
const everyOperation = {
  read: answerInvalid,
  create: answerInvalid,
  update: answerInvalid,
  patch: answerInvalid,
  delete: answerInvalid,
  list: answerInvalid,
};

/**
 * The bare group names (`data`, `destroy`, ...): Vault's path patterns all need the slash,
 * so these fall to its catch-all. `metadata` is not here: listing it lists the root.
 */
const groupRoots = definePath({
  pattern: ["data", "delete", "undelete", "destroy", "subkeys"],
  fields: anyInput,
  operations: everyOperation,
  takesArbitraryInput: true,
  help: `Not served without a secret's location after it, as in data/<path>.

Every request answers 404 with a warning that points at the versioned paths or at the kv
command. To list the secrets of the store, list metadata/.`,
});

const CATCH_ALL_HELP = `Not served: a versioned store keeps its secrets under data/ and metadata/.

Every request outside the versioned paths (data/<path>, metadata/<path>, delete/<path>,
undelete/<path>, destroy/<path>, subkeys/<path> and config) answers 404 with a warning
that points at them or at the kv command, which uses them.`;

/** Whatever no other declaration matched: Vault's 404 with a pointer to the v2 API. */
const catchAll = [
  definePath({ pattern: "/", fields: anyInput, operations: everyOperation, takesArbitraryInput: true, help: CATCH_ALL_HELP }),
  definePath({ pattern: "*rest", fields: anyInput, operations: everyOperation, takesArbitraryInput: true, help: CATCH_ALL_HELP }),
];

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
      groupRoots,
      configPath(store),
      dataPath(store),
      metadataPath(store),
      deletePath(store),
      undeletePath(store),
      destroyPath(store),
      subkeysPath(store),
      ...catchAll,
    ],
  };
}
