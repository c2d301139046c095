/** `<mount>/undelete/<key>`: restores soft-deleted versions (not destroyed ones). */
import { definePath, type PathDef } from "../../../framework/types.js";
import { scheduledDeletionMs } from "./model.js";
import { keyIn } from "./paths-common.js";
import type { KvStore } from "./store.js";
import { requireVersions, versionsField } from "./versions-field.js";

export function undeletePath(store: KvStore): PathDef {
  return definePath({
    pattern: ["undelete/*path", "undelete/"],
    fields: { path: { type: "string", description: "Location of the secret." }, versions: versionsField },
    operations: {
      update: async (req, f) => {
        const key = keyIn(req, "undelete");
        const versions = requireVersions(f.values.versions, "No version number provided");
        await store.withKey(key, async () => {
          const meta = await store.getMeta(key);
          if (meta === undefined) return;
          const config = await store.getConfig();
          for (const n of versions) {
            const v = meta.versions[String(n)];
            if (v === undefined || v.destroyed) continue;
            // As Vault: delete_version_after starts counting again from the undelete.
            v.deletionMs = scheduledDeletionMs(req.nowMs, config, meta);
          }
          await store.commit([store.putMetaOp(key, meta)]);
        });
        return undefined;
      },
    },
    help: `Restore soft-deleted versions of a secret.

Destroyed versions cannot come back, and unknown versions are skipped. A restored
version's delete_version_after countdown starts again from the undelete.`,
  });
}
