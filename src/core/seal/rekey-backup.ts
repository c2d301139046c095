/**
 * `backup=true` on a PGP rekey: the encrypted new shares are also kept behind the barrier,
 * keyed by the fingerprint of the PGP key each is encrypted to, until an operator with sudo
 * deletes them (sys/rekey/backup). They are PGP messages, so reading them back gives no one
 * an unseal key without the matching private key.
 */
import { getJson, putJson, type Storage } from "../../storage/storage.js";

export interface RekeyBackup {
  nonce: string;
  /** Fingerprint -> that key's encrypted shares, as hex. */
  keys: Record<string, string[]>;
  /** The same, as base64. */
  keys_base64: Record<string, string[]>;
}

const KEY = "backup";

export class RekeyBackupStore {
  constructor(private readonly storage: Storage) {}

  async put(nonce: string, fingerprints: readonly string[], shares: readonly Buffer[]): Promise<void> {
    const backup: RekeyBackup = { nonce, keys: {}, keys_base64: {} };
    shares.forEach((share, i) => {
      const fp = fingerprints[i] as string;
      (backup.keys[fp] ??= []).push(share.toString("hex"));
      (backup.keys_base64[fp] ??= []).push(share.toString("base64"));
    });
    await putJson(this.storage, KEY, backup);
  }

  get(): Promise<RekeyBackup | undefined> {
    return getJson<RekeyBackup>(this.storage, KEY);
  }

  delete(): Promise<void> {
    return this.storage.delete(KEY);
  }
}
