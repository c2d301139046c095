/** `<mount>/delete/<key>`: soft-deletes the given versions; undelete can bring them back. */
import { definePath, type PathDef } from "../../../framework/types.js";
import { isLive } from "./model.js";
import { keyIn } from "./paths-common.js";
import type { KvStore } from "./store.js";
import { requireVersions, versionsField } from "./versions-field.js";

export function deletePath(store: KvStore): PathDef {
  return definePath({
    pattern: ["delete/*path", "delete/"],
    fields: { path: { type: "string", description: "Location of the secret." }, versions: versionsField },
    operations: {
      update: async (req, f) => {
        const key = keyIn(req, "delete");
        const versions = requireVersions(f.values.versions, "No version number provided");
        await store.withKey(key, async () => {
          const meta = await store.getMeta(key);
          if (meta === undefined) return;
          for (const n of versions) {
            const v = meta.versions[String(n)];
            // Destroyed and already-deleted versions keep their state and deletion time.
            if (v === undefined || !isLive(v, req.nowMs)) continue;
            v.deletionMs = req.nowMs;
          }
          await store.commit([store.putMetaOp(key, meta)]);
        });
        return undefined;
      },
    },
    help: `Mark versions of a secret deleted: reads of them answer 404 until they are undeleted.

The data stays in storage: undelete/<path> restores it, destroy/<path> removes it for good.
Versions that are unknown, already deleted or destroyed are left as they are, and a key
that does not exist is no error.`,
  });
}
