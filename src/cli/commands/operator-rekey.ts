/** operator rekey (command/operator_rekey.go). */
import type { Command, Ctx } from "../command.js";
import { goStruct, tableOutput, wrapAtLength } from "../gofmt.js";
import type { VaultClient } from "../http-client.js";
import { readPgpKeyFiles } from "../pgp-keys.js";
import { call, num, shareAndNonce, str, strings, type Json } from "./operator-shares.js";

function rekeyStatusData(s: Json): Json {
  return goStruct({
    nonce: str(s["nonce"]),
    started: s["started"] === true,
    t: num(s["t"]),
    n: num(s["n"]),
    progress: num(s["progress"]),
    required: num(s["required"]),
    pgp_fingerprints: strings(s["pgp_fingerprints"]),
    backup: s["backup"] === true,
    verification_required: s["verification_required"] === true,
    verification_nonce: str(s["verification_nonce"]),
  });
}

function verificationStatusData(s: Json): Json {
  return goStruct({ nonce: str(s["nonce"]), started: s["started"] === true, t: num(s["t"]), n: num(s["n"]), progress: num(s["progress"]) });
}

function printRekeyStatus(ctx: Ctx, s: Json, verification: boolean): number {
  if (ctx.format !== "table") return ctx.data(verification ? verificationStatusData(s) : rekeyStatusData(s));
  const rows: string[][] = [["Nonce", str(s["nonce"])], ["Started", String(s["started"] === true)]];
  if (verification) {
    rows.push(["New Shares", String(num(s["n"]))], ["New Threshold", String(num(s["t"]))]);
    rows.push(["Verification Progress", `${num(s["progress"])}/${num(s["t"])}`]);
  } else if (s["started"] === true) {
    rows.push(["Rekey Progress", `${num(s["progress"])}/${num(s["required"])}`]);
    rows.push(["New Shares", String(num(s["n"]))], ["New Threshold", String(num(s["t"]))]);
    rows.push(["Verification Required", String(s["verification_required"] === true)]);
  }
  ctx.ui.output(tableOutput(["Key", "Value"], rows));
  return 0;
}

async function rekeyStatus(ctx: Ctx, client: VaultClient, verification: boolean): Promise<number> {
  let s: Json;
  try {
    s = await call(client, "GET", verification ? "sys/rekey/verify" : "sys/rekey/init");
  } catch (err) {
    return ctx.fail("Error reading rekey status", err);
  }
  return printRekeyStatus(ctx, s, verification);
}

async function printNewKeys(ctx: Ctx, client: VaultClient, status: Json, resp: Json): Promise<number> {
  const hex = strings(resp["keys"]) ?? [];
  const b64 = strings(resp["keys_base64"]) ?? [];
  if (ctx.format !== "table") {
    const out: Json = goStruct({
      nonce: str(resp["nonce"]),
      complete: resp["complete"] === true,
      keys: hex,
      keys_base64: b64,
      pgp_fingerprints: strings(resp["pgp_fingerprints"]),
      backup: resp["backup"] === true,
      verification_required: resp["verification_required"] === true,
    });
    if (str(resp["verification_nonce"]) !== "") out["verification_nonce"] = resp["verification_nonce"];
    return ctx.data(out);
  }
  ctx.ui.output("");
  hex.forEach((key, i) => ctx.ui.output(`Key ${i + 1}: ${b64.length === hex.length ? b64[i] : key}`));
  ctx.ui.output("");
  ctx.ui.output(`Operation nonce: ${str(resp["nonce"])}`);
  const n = num(status["n"]);
  const t = num(status["t"]);
  ctx.ui.output("");
  if (resp["verification_required"] !== true) {
    ctx.ui.output(
      wrapAtLength(
        `Mayfly rekeyed with ${n} key shares and a key threshold of ${t}. Please securely distribute the key shares printed above. When Mayfly is re-sealed, restarted, or stopped, you must supply at least ${t} of these keys to unseal it before it can start servicing requests.`,
      ),
    );
    return 0;
  }
  ctx.ui.output(
    wrapAtLength(
      `Mayfly has created a new key, split into ${n} key shares and a key threshold of ${t}. These will not be active until after verification is complete. Please securely distribute the key shares printed above. When Mayfly is re-sealed, restarted, or stopped, you must supply at least ${t} of these keys to unseal it before it can start servicing requests.`,
    ),
  );
  ctx.ui.output("");
  ctx.ui.warn(
    wrapAtLength(
      "Again, these key shares are _not_ valid until verification is performed. Do not lose or discard your current key shares until after verification is complete or you will be unable to unseal Mayfly. If you cancel the rekey process or seal Mayfly before verification is complete the new shares will be discarded and the current shares will remain valid.",
    ),
  );
  ctx.ui.output("");
  ctx.ui.warn(wrapAtLength("The current verification status, including initial nonce, is shown below."));
  ctx.ui.output("");
  return rekeyStatus(ctx, client, true);
}

export const operatorRekeyCommand: Command = {
  path: "operator rekey",
  synopsis: "Generates new unseal keys",
  help: `
Usage: mayfly operator rekey [options] [KEY]

  Generates a new set of unseal keys. This can optionally change the total
  number of key shares or the required threshold of those key shares to
  reconstruct the root key. The root key itself is replaced too: once the
  rekey completes, the old unseal keys no longer unseal the server. This
  operation is zero downtime, but it requires that the server is unsealed and
  a quorum of existing unseal keys are provided.

  An unseal key may be provided directly on the command line as an argument to
  the command. If key is specified as "-", the command will read from stdin. If
  a TTY is available, the command will prompt for text.

  Initialize a rekey:

      $ mayfly operator rekey \\
          -init \\
          -key-shares=15 \\
          -key-threshold=9

  Provide an unseal key to progress the rekey:

      $ mayfly operator rekey -nonce=<nonce> <key>

  Require the new keys to be given back before they take effect:

      $ mayfly operator rekey -init -verify
      $ mayfly operator rekey -verify -nonce=<verification nonce> <new key>

  Encrypt each new key to an operator's PGP key (files as for "operator init"):

      $ mayfly operator rekey -init -key-shares=2 -key-threshold=2 -pgp-keys="alice.b64,bob.b64"

  With -backup the encrypted new keys are also kept on the server, to read with
  -backup-retrieve and remove with -backup-delete (both need sudo).`,
  flags: [
    { name: "init", kind: "bool", usage: "Initialize the rekeying operation. This can only be done if no rekeying operation is in progress. Customize the new number of key shares and key threshold using the -key-shares and -key-threshold flags." },
    { name: "cancel", kind: "bool", usage: "Reset the rekeying progress. This will discard any submitted unseal keys or configuration." },
    { name: "status", kind: "bool", usage: "Print the status of the current attempt without providing an unseal key." },
    { name: "key-shares", kind: "int", aliases: ["n"], default: 5, usage: 'Number of key shares to split the generated root key into. This is the number of "unseal keys" to generate.' },
    { name: "key-threshold", kind: "int", aliases: ["t"], default: 3, usage: "Number of key shares required to reconstruct the root key. This must be less than or equal to -key-shares." },
    { name: "nonce", kind: "string", usage: "Nonce value provided at initialization. The same nonce value must be provided with each unseal key." },
    { name: "target", kind: "string", default: "barrier", usage: 'Target for rekeying. Only "barrier" exists here: Mayfly has no recovery keys.' },
    { name: "verify", kind: "bool", usage: "Indicates that the action (-status, -cancel, or providing a key share) will be affecting verification for the current rekey attempt." },
    { name: "pgp-keys", kind: "string", usage: "Comma-separated files with one PGP public key per new key share; each new share is encrypted to its key." },
    { name: "backup", kind: "bool", usage: "Keep the PGP-encrypted new keys on the server too (needs -pgp-keys); see -backup-retrieve." },
    { name: "backup-retrieve", kind: "bool", usage: "Print the backed-up encrypted keys of the last rekey with -backup." },
    { name: "backup-delete", kind: "bool", usage: "Delete the backed-up encrypted keys from the server." },
  ],
  async run(ctx) {
    const bad = ctx.expectArgs(0, 1);
    if (bad !== undefined) return bad;
    const target = ctx.flags.str("target").trim().toLowerCase();
    if (target !== "barrier") {
      ctx.ui.error(target === "recovery" || target === "hsm" ? "Error: recovery rekeying not supported" : `Unknown target: ${ctx.flags.str("target")}`);
      return 1;
    }
    const verify = ctx.flags.bool("verify");
    const client = await ctx.client();

    if (ctx.flags.bool("backup-retrieve")) {
      let resp: Json;
      try {
        resp = await call(client, "GET", "sys/rekey/backup");
      } catch (err) {
        return ctx.fail("Error retrieving rekey stored keys", err);
      }
      const data = (resp["data"] ?? {}) as Json;
      if (ctx.format !== "table") return ctx.data(goStruct({ nonce: str(data["nonce"]), keys: data["keys"] ?? {}, keys_base64: data["keys_base64"] ?? {} }));
      const rows: Array<[string, string]> = [["Nonce", str(data["nonce"])]];
      for (const [fp, keys] of Object.entries((data["keys_base64"] ?? {}) as Record<string, string[]>)) rows.push([fp, keys.join(", ")]);
      ctx.ui.output(tableOutput(["Key", "Value"], rows));
      return 0;
    }
    if (ctx.flags.bool("backup-delete")) {
      try {
        await call(client, "DELETE", "sys/rekey/backup");
      } catch (err) {
        return ctx.fail("Error deleting rekey stored keys", err);
      }
      ctx.ui.output("Success! Delete stored keys (if they existed)");
      return 0;
    }

    if (ctx.flags.bool("cancel")) {
      try {
        await call(client, "DELETE", verify ? "sys/rekey/verify" : "sys/rekey/init", ctx.flags.str("nonce") !== "" ? { nonce: ctx.flags.str("nonce") } : undefined);
      } catch (err) {
        return ctx.fail("Error canceling rekey", err);
      }
      ctx.ui.output("Success! Canceled rekeying (if it was started)");
      return 0;
    }

    if (ctx.flags.bool("init")) {
      let pgpKeys: string[];
      try {
        pgpKeys = await readPgpKeyFiles(ctx.flags.str("pgp-keys"));
      } catch (err) {
        ctx.ui.error(`Error initializing rekey: ${(err as Error).message}`);
        return 1;
      }
      let status: Json;
      try {
        status = await call(client, "PUT", "sys/rekey/init", {
          secret_shares: ctx.flags.num("key-shares"),
          secret_threshold: ctx.flags.num("key-threshold"),
          pgp_keys: pgpKeys.length === 0 ? null : pgpKeys,
          backup: ctx.flags.bool("backup"),
          require_verification: verify,
        });
      } catch (err) {
        return ctx.fail("Error initializing rekey", err);
      }
      if (ctx.format === "table") {
        ctx.ui.warn(
          wrapAtLength(
            "WARNING! If you lose the keys after they are returned, there is no recovery. Store each key share with its holder before the operation ends.",
          ),
        );
        ctx.ui.output("");
      }
      return printRekeyStatus(ctx, status, false);
    }

    if (ctx.flags.bool("status")) return rekeyStatus(ctx, client, verify);

    let status: Json;
    try {
      status = await call(client, "GET", verify ? "sys/rekey/verify" : "sys/rekey/init");
    } catch (err) {
      return ctx.fail("Error getting rekey status", err);
    }
    if (status["started"] !== true) {
      ctx.ui.error(wrapAtLength('No rekey is in progress. Start a rekey process by running "mayfly operator rekey -init".'));
      return 1;
    }
    const given = await shareAndNonce(ctx, str(status["nonce"]), "Rekey operation nonce");
    if (typeof given === "number") return given;
    let resp: Json;
    try {
      resp = await call(client, "PUT", verify ? "sys/rekey/verify" : "sys/rekey/update", { key: given.key, nonce: given.nonce });
    } catch (err) {
      return ctx.fail("Error posting unseal key", err);
    }
    if (resp["complete"] !== true) return rekeyStatus(ctx, client, verify);
    if (!verify) return printNewKeys(ctx, client, status, resp);
    if (ctx.format !== "table") return ctx.data(goStruct({ nonce: str(resp["nonce"]), complete: true }));
    ctx.ui.output("Rekey verification successful.");
    return 0;
  },
};
