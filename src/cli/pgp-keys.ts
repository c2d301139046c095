/**
 * `-pgp-keys` / `-root-token-pgp-key` / `-pgp-key`: comma-separated files holding OpenPGP
 * public keys, turned into the base64 binary keys the API takes. As Vault's CLI, a file
 * that is already base64 (`gpg --export KEYID | base64`) is sent as it is and any other is
 * taken as a binary key; an ASCII-armoured key (`gpg --armor --export`) is accepted too.
 * Vault's `keybase:<user>` form would fetch keys from keybase.io; Mayfly never reaches out
 * for keys, so it is refused with the command to run instead.
 */
import { readFile } from "node:fs/promises";

const ARMOR_HEADER = "-----BEGIN PGP PUBLIC KEY BLOCK-----";

export async function readPgpKeyFiles(list: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of list.split(",").map((s) => s.trim())) {
    if (entry === "") continue;
    if (entry.startsWith("keybase:")) {
      throw new Error(
        `${entry}: keys are not fetched from keybase; export the key to a file (gpg --export KEYID | base64 > key.b64) and pass its path`,
      );
    }
    let raw: Buffer;
    try {
      raw = await readFile(entry);
    } catch (e) {
      throw new Error(`error reading PGP key file ${entry}: ${(e as Error).message}`);
    }
    out.push(await asBase64Key(raw));
  }
  return out;
}

async function asBase64Key(raw: Buffer): Promise<string> {
  const text = raw.toString("latin1").trim();
  if (text.startsWith(ARMOR_HEADER)) {
    const openpgp = await import("openpgp");
    const key = await openpgp.readKey({ armoredKey: text });
    return Buffer.from(key.write()).toString("base64");
  }
  const compact = text.replace(/\s+/g, "");
  if (compact !== "" && /^[A-Za-z0-9+/]+={0,2}$/.test(compact) && compact.length % 4 === 0) return compact;
  return raw.toString("base64");
}
