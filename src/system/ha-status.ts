import { hostname } from "node:os";
import type { Core } from "../core/core.js";
import { definePath, type PathDef } from "../framework/types.js";
import { SERVER_VERSION } from "../http/envelope.js";
import { PrefixedStorage, getJson, putJson, type Storage } from "../storage/storage.js";
import type { SysExtras } from "./extras.js";

/**
 * `sys/ha-status`, `sys/replication/status` and `sys/version-history`. Mayfly runs as one
 * node with no HA storage, so the node list is this node, active, as Vault answers when it
 * has no peers, and replication is disabled.
 */
export function haStatusPaths(extras: SysExtras, core: Core): PathDef[] {
  return [
    definePath({
      pattern: "ha-status",
      help: `Report the nodes of the cluster; Mayfly runs alone, so this is one active node.

The one entry in nodes holds this server's hostname, api_address (api_addr from the
configuration, else the first listener's address), cluster_address (cluster_addr, else
empty), active_node true and version. There are no peers to echo, so last_echo is null
and the echo, clock-skew and replication figures are 0.`,
      operations: {
        read: async () => ({
          data: {
            nodes: [
              {
                hostname: hostname(),
                api_address: extras.apiAddress(),
                cluster_address: extras.clusterAddress(),
                active_node: true,
                last_echo: null,
                echo_duration_ms: 0,
                clock_skew_ms: 0,
                replication_primary_canary_age_ms: 0,
                version: SERVER_VERSION,
              },
            ],
          },
          injectDataAtTop: true,
        }),
      },
    }),
    definePath({
      pattern: "replication/status",
      help: `Report the state of replication, which Mayfly does not do.

mode is "disabled", as Vault's community edition answers. Served without a token, as in
Vault.`,
      operations: { read: async () => ({ data: { mode: "disabled" } }) },
    }),
    definePath({
      pattern: "version-history/",
      help: `List the versions this server has run, oldest first, with when each was first unsealed.

A version is recorded at its first unseal. key_info gives, for each, timestamp_installed,
previous_version (null for the first) and build_date, which Mayfly leaves empty.`,
      operations: {
        list: async () => {
          const entries = await readVersionHistory(versionStorage(core));
          const keys = entries.map((e) => e.version);
          const keyInfo: Record<string, unknown> = {};
          entries.forEach((e, i) => {
            keyInfo[e.version] = {
              timestamp_installed: new Date(e.timestampInstalledMs).toISOString().replace(/\.\d{3}Z$/, "Z"),
              build_date: e.buildDate,
              previous_version: i > 0 ? (entries[i - 1]?.version ?? null) : null,
            };
          });
          return { data: { keys, key_info: keyInfo } };
        },
      },
    }),
  ];
}

interface VersionEntry {
  version: string;
  timestampInstalledMs: number;
  buildDate: string;
}

function versionStorage(core: Core): Storage {
  return new PrefixedStorage(core.barrier, "sys/version-history/");
}

async function readVersionHistory(storage: Storage): Promise<VersionEntry[]> {
  const out: VersionEntry[] = [];
  for (const key of await storage.list("")) {
    const e = await getJson<VersionEntry>(storage, key);
    if (e) out.push(e);
  }
  return out.sort((a, b) => a.timestampInstalledMs - b.timestampInstalledMs);
}

/** As Vault: the first unseal under a version records it, once. */
export function recordVersionOnUnseal(core: Core): void {
  core.seal.onUnsealed(async () => {
    try {
      const storage = versionStorage(core);
      if (await storage.get(SERVER_VERSION)) return;
      const entry: VersionEntry = { version: SERVER_VERSION, timestampInstalledMs: core.nowMs(), buildDate: "" };
      await putJson(storage, SERVER_VERSION, entry);
    } catch (err) {
      // Losing a history entry must never keep the server sealed.
      core.logger.warn("could not record the version history", { error: err instanceof Error ? err.message : String(err) });
    }
  });
}
