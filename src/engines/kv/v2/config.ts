/** `<mount>/config`: mount-wide KV v2 settings. */
import { formatGoDuration } from "../../../framework/duration.js";
import { badRequest } from "../../../framework/errors.js";
import { definePath, type PathDef } from "../../../framework/types.js";
import { DELETE_VERSION_AFTER_DISABLED } from "./model.js";
import type { KvStore } from "./store.js";

export function configPath(store: KvStore): PathDef {
  return definePath({
    pattern: "config",
    fields: {
      max_versions: { type: "int", description: "Versions to keep per key; 0 = 10." },
      cas_required: { type: "bool", description: "Require the cas option on every write." },
      delete_version_after: {
        type: "duration",
        description: "Delete versions this long after they are written; 0 clears, a negative value disables it on every key.",
      },
    },
    operations: {
      read: async () => {
        const c = await store.getConfig();
        return {
          data: {
            cas_required: c.casRequired,
            delete_version_after: formatGoDuration(c.deleteVersionAfterSeconds),
            max_versions: c.maxVersions,
          },
        };
      },
      update: async (_req, f) => {
        const maxVersions = f.getOk("max_versions");
        const casRequired = f.getOk("cas_required");
        const dva = f.getOk("delete_version_after");
        if (maxVersions === undefined && casRequired === undefined && dva === undefined) return undefined;
        if (maxVersions !== undefined && maxVersions < 0) throw badRequest("max_versions cannot be negative");
        await store.updateConfig((c) => {
          if (maxVersions !== undefined) c.maxVersions = maxVersions;
          if (casRequired !== undefined) c.casRequired = casRequired;
          if (dva !== undefined) c.deleteVersionAfterSeconds = dva < 0 ? DELETE_VERSION_AFTER_DISABLED : dva;
        });
        return undefined;
      },
    },
    help: "Settings that apply to every key of this versioned key/value store.",
  });
}
