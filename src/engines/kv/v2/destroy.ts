/** `<mount>/destroy/<key>`: removes the data of the given versions for good. */
import { definePath, type PathDef } from "../../../framework/types.js";
import type { StorageOp } from "../../../storage/storage.js";
import { keyIn } from "./paths-common.js";
import type { KvStore } from "./store.js";
import { requireVersions, versionsField } from "./versions-field.js";

export function destroyPath(store: KvStore): PathDef {
  return definePath({
    pattern: ["destroy/*path", "destroy/"],
    fields: { path: { type: "string", description: "Location of the secret." }, versions: versionsField },
    operations: {
      update: async (req, f) => {
        const key = keyIn(req, "destroy");
        const versions = requireVersions(f.values.versions, "no version number provided");
        await store.withKey(key, async () => {
          const meta = await store.getMeta(key);
          if (meta === undefined) return;
          const ops: StorageOp[] = [];
          for (const n of new Set(versions)) {
            const v = meta.versions[String(n)];
            if (v === undefined || v.destroyed) continue;
            v.destroyed = true;
            ops.push(store.deleteVersionOp(key, n));
          }
          // The metadata flag and the data removal land together: never a live flag on missing data.
          await store.commit([store.putMetaOp(key, meta), ...ops]);
        });
        return undefined;
      },
    },
    help: `Permanently remove the data of versions of a secret; their metadata stays, marked destroyed.

A destroyed version reads as 404 with destroyed set in its metadata and cannot be
undeleted; unknown versions are skipped. To remove a key with all its versions and its
metadata, delete metadata/<path>.`,
  });
}
