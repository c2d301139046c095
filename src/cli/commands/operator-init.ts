/** `operator init`: the root key, its unseal key shares (optionally PGP-encrypted) and the root token. */
import type { Command } from "../command.js";
import { goStruct, wrapAtLength } from "../gofmt.js";
import { readPgpKeyFiles } from "../pgp-keys.js";
import { getJson, putJson, type Json } from "./operator.js";

export const operatorInitCommand: Command = {
  path: "operator init",
  synopsis: "Initializes a server",
  help: `
Usage: mayfly operator init [options]

  Initializes a Mayfly server: generates the root key, splits it into unseal key
  shares with Shamir's scheme, and creates the initial root token. This can be
  done only once.

      $ mayfly operator init
      $ mayfly operator init -key-shares=1 -key-threshold=1 -format=json

  With -pgp-keys each unseal key comes back encrypted to the key at its position
  (base64 of a PGP message; "base64 -d | gpg -dq" gives the key to unseal with),
  and with -root-token-pgp-key the root token too:

      $ mayfly operator init -key-shares=3 -key-threshold=2 \
          -pgp-keys="alice.b64,bob.b64,carol.asc" -root-token-pgp-key=admin.b64`,
  flags: [
    { name: "key-shares", kind: "int", aliases: ["n"], default: 5, usage: 'Number of key shares ("unseal keys") to split the root key into.' },
    { name: "key-threshold", kind: "int", aliases: ["t"], default: 3, usage: "Number of key shares needed to reconstruct the root key." },
    { name: "status", kind: "bool", usage: "Print the initialization status: exit 0 if initialized, 2 if not, 1 on error." },
    {
      name: "pgp-keys",
      kind: "string",
      usage: "Comma-separated files with one PGP public key per key share (base64, binary or armoured); each share is encrypted to its key.",
    },
    { name: "root-token-pgp-key", kind: "string", usage: "A file with a PGP public key to encrypt the initial root token to." },
  ],
  async run(ctx) {
    const bad = ctx.expectArgs(0, 0);
    if (bad !== undefined) return bad;
    const client = await ctx.client();
    if (ctx.flags.bool("status")) {
      let initialized: boolean;
      try {
        initialized = (await getJson(client, "sys/init"))["initialized"] === true;
      } catch (err) {
        ctx.fail("Error checking init status", err);
        return 1;
      }
      if (ctx.format === "table") ctx.ui.output(initialized ? "Mayfly is initialized" : "Mayfly is not initialized");
      else ctx.data(goStruct({ initialized }));
      return initialized ? 0 : 2;
    }
    const shares = ctx.flags.num("key-shares");
    const threshold = ctx.flags.num("key-threshold");
    let pgpKeys: string[];
    let rootKey: string | undefined;
    try {
      pgpKeys = await readPgpKeyFiles(ctx.flags.str("pgp-keys"));
      rootKey = (await readPgpKeyFiles(ctx.flags.str("root-token-pgp-key")))[0];
    } catch (err) {
      ctx.ui.error(`Error initializing: ${(err as Error).message}`);
      return 1;
    }
    if (pgpKeys.length > 0 && pgpKeys.length !== shares) {
      ctx.ui.error(`Error initializing: incorrect number of PGP keys (${pgpKeys.length} for ${shares} key shares)`);
      return 1;
    }
    let resp: Json;
    try {
      resp = await putJson(client, "sys/init", {
        secret_shares: shares,
        secret_threshold: threshold,
        ...(pgpKeys.length > 0 ? { pgp_keys: pgpKeys } : {}),
        ...(rootKey !== undefined ? { root_token_pgp_key: rootKey } : {}),
      });
    } catch (err) {
      return ctx.fail("Error initializing", err);
    }
    const hex = Array.isArray(resp["keys"]) ? resp["keys"].map(String) : [];
    const b64 = Array.isArray(resp["keys_base64"]) ? resp["keys_base64"].map(String) : [];
    const rootToken = typeof resp["root_token"] === "string" ? resp["root_token"] : "";
    if (ctx.format !== "table") {
      return ctx.data(
        goStruct({
          unseal_keys_b64: b64,
          unseal_keys_hex: hex,
          unseal_shares: hex.length > 0 ? shares : 1,
          unseal_threshold: hex.length > 0 ? threshold : 1,
          recovery_keys_b64: [],
          recovery_keys_hex: [],
          recovery_keys_shares: 0,
          recovery_keys_threshold: 0,
          root_token: rootToken,
        }),
      );
    }
    hex.forEach((key, i) => ctx.ui.output(`Unseal Key ${i + 1}: ${b64.length === hex.length ? b64[i] : key}`));
    ctx.ui.output("");
    ctx.ui.output(`Initial Root Token: ${rootToken}`);
    ctx.ui.output("");
    ctx.ui.output(
      wrapAtLength(
        `Mayfly initialized with ${shares} key shares and a key threshold of ${threshold}. Please securely distribute the key shares printed above. When Mayfly is re-sealed, restarted, or stopped, you must supply at least ${threshold} of these keys to unseal it before it can start servicing requests.`,
      ),
    );
    ctx.ui.output("");
    ctx.ui.output(
      wrapAtLength(
        `Mayfly does not store the generated root key. Without at least ${threshold} keys to reconstruct the root key, Mayfly will remain permanently sealed!`,
      ),
    );
    return 0;
  },
};
