import type { Core } from "../core/core.js";
import { notFound } from "../framework/errors.js";
import { formatGoDuration } from "../framework/duration.js";
import { definePath, type PathDef } from "../framework/types.js";

export function keyPaths(core: Core): PathDef[] {
  return [
    definePath({
      pattern: "rotate",
      help: `Install a new encryption key in the barrier for everything written from now on.

Values already stored stay encrypted under the key term that wrote them, and each older
term keeps decrypting them; nothing is re-encrypted. The keyring is sealed by the root
key, so unsealing does not change. Mayfly also rotates on its own once the active key
has made about 3.86 billion encryptions. Needs sudo.`,
      operations: {
        update: async () => {
          await core.barrier.rotate();
          return undefined;
        },
      },
    }),
    definePath({
      pattern: "rotate/config",
      fields: {
        max_operations: { type: "int", description: "Encryptions after which the active key is replaced (1,000,000 to 3,865,470,566, the default)." },
        interval: { type: "duration", description: "Replace the active key once it is this old (0: never; at least 24h)." },
        enabled: { type: "bool", description: "Whether the key is replaced automatically (default true)." },
      },
      help: `Read or change when the barrier's active encryption key is replaced on its own.

The key is replaced once it has made max_operations encryptions or, with an interval, once
it is that old; enabled=false turns that off, except at 3,865,470,566 encryptions, past
which AES-GCM with random nonces is no longer safe and the key is always replaced. A
write changes only the fields it gives. The check runs once a minute. Needs sudo.`,
      operations: {
        read: async () => {
          const c = core.rotationConfig.get();
          return { data: { max_operations: c.max_operations, enabled: c.enabled, interval: c.interval_seconds > 0 ? formatGoDuration(c.interval_seconds) : 0 } };
        },
        update: async (_req, f) => {
          const c = core.rotationConfig.get();
          await core.rotationConfig.set({
            max_operations: f.getOk("max_operations") ?? c.max_operations,
            interval_seconds: f.getOk("interval") ?? c.interval_seconds,
            enabled: f.getOk("enabled") ?? c.enabled,
          });
          return undefined;
        },
      },
    }),
    definePath({
      pattern: "key-status",
      help: `Report the barrier's active encryption key: its term, when it was installed, its use.

term counts from 1 and grows with each rotation; install_time is when the key was made;
encryptions is how many values it has encrypted so far.`,
      operations: { read: async () => ({ data: { ...core.barrier.keyStatus() }, injectDataAtTop: true }) },
    }),
    definePath({
      pattern: "seal",
      help: `Seal the server: forget the keys in memory until it is unsealed again.

The 204 comes once the server is sealed, as Vault's does: a status check right after it
sees sealed=true. The request is audited; the seal stops the audit devices before a
response line could be written. From then on requests answer 503, except sys/seal-status,
sys/health, sys/init, sys/unseal and the like, until enough unseal key shares are given.
Needs sudo.`,
      operations: {
        update: async () => {
          await core.sealVault();
          return undefined;
        },
      },
    }),
    definePath({
      pattern: "rekey/backup",
      help: `Read or delete the backup of the last rekey's new unseal keys.

A rekey started with backup=true and pgp_keys keeps its new shares here as well, still
encrypted to the operators' PGP keys: keys and keys_base64 map each key's fingerprint to
the shares encrypted to it, with the rekey's nonce. Reading them gives nobody an unseal
key without the matching private key. Delete the backup once every share is safe. Needs
sudo.`,
      operations: {
        read: async () => {
          const backup = await core.rekeyBackups.get();
          if (!backup) throw notFound();
          return { data: { ...backup } };
        },
        delete: async () => {
          await core.rekeyBackups.delete();
          return undefined;
        },
      },
    }),
    // No HA cluster to step down from; accepted as Vault's single-node servers do.
    definePath({
      pattern: "step-down",
      help: `Ask the active node to step down; Mayfly has no standby, so this does nothing.

Mayfly runs as one node without HA, so there is no other node to take over: the request
is accepted (204) and the server stays active. Needs sudo.`,
      operations: { update: async () => undefined },
    }),
  ];
}
