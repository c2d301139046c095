/** operator generate-root (command/operator_generate_root.go). */
import { randomInt } from "node:crypto";
import type { Command, Ctx } from "../command.js";
import { columnize, goStruct, wrapAtLength } from "../gofmt.js";
import type { VaultClient } from "../http-client.js";
import { readPgpKeyFiles } from "../pgp-keys.js";
import { call, num, shareAndNonce, str, type Json } from "./operator-shares.js";

function generateRootData(s: Json): Json {
  return goStruct({
    nonce: str(s["nonce"]),
    started: s["started"] === true,
    progress: num(s["progress"]),
    required: num(s["required"]),
    complete: s["complete"] === true,
    encoded_token: str(s["encoded_token"]),
    encoded_root_token: str(s["encoded_root_token"]),
    pgp_fingerprint: str(s["pgp_fingerprint"]),
    otp: str(s["otp"]),
    otp_length: num(s["otp_length"]),
  });
}

function printGenerateRootStatus(ctx: Ctx, s: Json): number {
  if (ctx.format !== "table") return ctx.data(generateRootData(s));
  const rows: string[][] = [
    ["Nonce", str(s["nonce"])],
    ["Started", String(s["started"] === true)],
    ["Progress", `${num(s["progress"])}/${num(s["required"])}`],
    ["Complete", String(s["complete"] === true)],
  ];
  if (str(s["pgp_fingerprint"]) !== "") rows.push(["PGP Fingerprint", str(s["pgp_fingerprint"])]);
  if (str(s["encoded_token"]) !== "") rows.push(["Encoded Token", str(s["encoded_token"])]);
  else if (str(s["encoded_root_token"]) !== "") rows.push(["Encoded Root Token", str(s["encoded_root_token"])]);
  if (str(s["otp"]) !== "") {
    ctx.ui.warn(
      wrapAtLength(
        "A One-Time-Password has been generated for you and is shown in the OTP field. You will need this value to decode the resulting root token, so keep it safe.",
      ),
    );
    rows.push(["OTP", str(s["otp"])]);
  }
  if (num(s["otp_length"]) !== 0) rows.push(["OTP Length", String(num(s["otp_length"]))]);
  ctx.ui.output(columnize(rows));
  return 0;
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Vault's base62.Random: an OTP the server will take as it is. */
function randomOtp(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += BASE62[randomInt(62)];
  return out;
}

/** The token XOR the OTP, from the unpadded base64 the server answers with. */
export function decodeRootToken(encoded: string, otp: string): string {
  const bytes = Buffer.from(encoded, "base64");
  const pad = Buffer.from(otp, "utf8");
  if (bytes.length !== pad.length) throw new Error(`length of byte slices is not equivalent: ${bytes.length} != ${pad.length}`);
  return Buffer.from(bytes.map((b, i) => b ^ (pad[i] as number))).toString("utf8");
}

/** PrintRaw: the value alone, without a newline when piped. */
function printRaw(ctx: Ctx, text: string): number {
  if (ctx.ui.stdoutIsTty) ctx.ui.output(text);
  else ctx.ui.raw(text);
  return 0;
}

async function generateRootStatus(ctx: Ctx, client: VaultClient): Promise<Json | number> {
  try {
    return await call(client, "GET", "sys/generate-root/attempt");
  } catch (err) {
    return ctx.fail("Error getting root generation status", err);
  }
}

export const operatorGenerateRootCommand: Command = {
  path: "operator generate-root",
  synopsis: "Generates a new root token",
  help: `
Usage: mayfly operator generate-root [options] [KEY]

  Generates a new root token by combining a quorum of share holders. The
  resulting token is XORed with a one-time password (OTP) when it is returned;
  use the "-decode" flag with the same OTP to print it. Without "-otp", "-init"
  has the server generate the OTP and show it once.

  An unseal key may be provided directly on the command line as an argument to
  the command. If key is specified as "-", the command will read from stdin. If
  a TTY is available, the command will prompt for text.

  Generate an OTP code for the final token:

      $ mayfly operator generate-root -generate-otp

  Start a root token generation:

      $ mayfly operator generate-root -init -otp="..."

  Enter an unseal key to progress root token generation:

      $ mayfly operator generate-root -nonce=<nonce> <key>

  Decode the encoded token:

      $ mayfly operator generate-root -decode=<encoded token> -otp="..."

  Or have the token encrypted to a PGP key instead of an OTP (a file as for
  "operator init"); "base64 -d | gpg -dq" on the encoded token gives the token:

      $ mayfly operator generate-root -init -pgp-key=admin.b64`,
  flags: [
    { name: "init", kind: "bool", usage: "Start a root token generation. This can only be done if there is not currently one in progress." },
    { name: "cancel", kind: "bool", usage: "Reset the root token generation progress. This will discard any submitted unseal keys or configuration." },
    { name: "status", kind: "bool", usage: "Print the status of the current attempt without providing an unseal key." },
    { name: "decode", kind: "string", usage: "The value to decode; setting this triggers a decode operation." },
    { name: "generate-otp", kind: "bool", usage: 'Generate and print a high-entropy one-time-password (OTP) suitable for use with the "-init" flag.' },
    { name: "otp", kind: "string", usage: 'OTP code to use with "-decode" or "-init".' },
    { name: "nonce", kind: "string", usage: "Nonce value provided at initialization. The same nonce value must be provided with each unseal key." },
    { name: "pgp-key", kind: "string", usage: "A file with the PGP public key to encrypt the new root token to (instead of an OTP)." },
  ],
  async run(ctx) {
    const bad = ctx.expectArgs(0, 1);
    if (bad !== undefined) return bad;
    const client = await ctx.client();

    if (ctx.flags.bool("generate-otp")) {
      const status = await generateRootStatus(ctx, client);
      if (typeof status === "number") return status;
      const length = num(status["otp_length"]);
      if (length === 0) {
        ctx.ui.error("The server reports no OTP length; it does not take generated OTPs.");
        return 2;
      }
      const otp = randomOtp(length);
      if (ctx.format === "table") return printRaw(ctx, otp);
      return ctx.data({ otp, otp_length: otp.length });
    }

    const encoded = ctx.flags.str("decode");
    if (ctx.flags.isSet("decode")) {
      if (encoded === "") {
        ctx.ui.error("Missing encoded value: use -decode=<string> to supply it");
        return 1;
      }
      const otp = ctx.flags.str("otp");
      if (otp === "") {
        ctx.ui.error("Missing otp: use -otp to supply it");
        return 1;
      }
      let token: string;
      try {
        token = decodeRootToken(encoded, otp);
      } catch (err) {
        ctx.ui.error(`Error xoring token: ${(err as Error).message}`);
        return 1;
      }
      if (ctx.format === "table") return printRaw(ctx, token);
      return ctx.data({ token });
    }

    if (ctx.flags.bool("cancel")) {
      try {
        await call(client, "DELETE", "sys/generate-root/attempt");
      } catch (err) {
        return ctx.fail("Error canceling root token generation", err);
      }
      ctx.ui.output("Success! Root token generation canceled (if it was started)");
      return 0;
    }

    if (ctx.flags.bool("init")) {
      const otp = ctx.flags.str("otp");
      const pgpKeyFile = ctx.flags.str("pgp-key");
      if (otp !== "" && pgpKeyFile !== "") {
        ctx.ui.error("Error initializing: cannot specify both -otp and -pgp-key");
        return 1;
      }
      let pgpKey = "";
      try {
        pgpKey = (await readPgpKeyFiles(pgpKeyFile))[0] ?? "";
      } catch (err) {
        ctx.ui.error(`Error initializing: ${(err as Error).message}`);
        return 1;
      }
      let status: Json;
      try {
        status = await call(client, "PUT", "sys/generate-root/attempt", { otp, pgp_key: pgpKey });
      } catch (err) {
        return ctx.fail("Error initializing root generation", err);
      }
      return printGenerateRootStatus(ctx, status);
    }

    const status = await generateRootStatus(ctx, client);
    if (typeof status === "number") return status;
    if (ctx.flags.bool("status")) return printGenerateRootStatus(ctx, status);
    if (status["started"] !== true) {
      ctx.ui.error(wrapAtLength('No root generation is in progress. Start a root generation by running "mayfly operator generate-root -init".'));
      ctx.ui.warn(
        wrapAtLength(
          `If starting root generation using the OTP method and generating your own OTP, the length of the OTP string needs to be ${num(status["otp_length"])} characters in length.`,
        ),
      );
      return 1;
    }
    const given = await shareAndNonce(ctx, str(status["nonce"]), "Operation nonce");
    if (typeof given === "number") return given;
    let resp: Json;
    try {
      resp = await call(client, "PUT", "sys/generate-root/update", { key: given.key, nonce: given.nonce });
    } catch (err) {
      return ctx.fail("Error posting unseal key", err);
    }
    return printGenerateRootStatus(ctx, resp);
  },
};
