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
      max_versions: {
        type: "int",
        description: "Versions to keep per key; older ones are removed as new ones are written. 0 (the default) keeps 10. A key's own max_versions may raise it.",
      },
      cas_required: { type: "bool", description: "Refuse every data write and patch that does not carry the cas option (default false)." },
      delete_version_after: {
        type: "duration",
        description: "Soft-delete each version this long after it is written; a key's own setting applies when shorter. 0 clears the setting; a negative value turns the feature off for every key.",
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
    help: `Read and change the settings that apply to every key of this versioned store.

A write changes only the settings it sends. Each key may also carry its own settings in
metadata/<path>: a key's max_versions counts when it is larger, its delete_version_after
when it is shorter, and cas is required when either the mount or the key requires it.`,
  });
}
