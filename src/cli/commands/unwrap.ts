/** unwrap (command/unwrap.go with api.Logical().Unwrap). */
import { toApiError } from "../http-client.js";
import { parseSecret, type Secret } from "../secret.js";
import type { Command } from "../command.js";

export const unwrapCommand: Command = {
  path: "unwrap",
  synopsis: "Unwrap a wrapped secret",
  help: `
Usage: mayfly unwrap [options] [TOKEN]

  Unwraps a wrapped secret from Mayfly by the given token. The result is the
  same as the "mayfly read" operation on the non-wrapped secret. If no token
  is given, the data in the currently authenticated token is unwrapped.

  Unwrap the data in the cubbyhole secrets engine for a token:

      $ mayfly unwrap 3de9ece1-b347-e143-29b0-dc739e6ebd8a

  Unwrap the data in the active token:

      $ mayfly login 848f9ccf-7176-098c-5e2b-75a0689d41cd
      $ mayfly unwrap # unwraps 848f9ccf...`,
  async run(ctx) {
    const bad = ctx.expectArgs(0, 1);
    if (bad !== undefined) return bad;
    const wrappingToken = (ctx.args[0] ?? "").trim();
    const client = await ctx.client();
    // As the Go client: with no token of our own the wrapping token is the request's token;
    // with another one, ours authorises the call and the wrapping token goes in the body.
    const opts: { token?: string; body?: Record<string, string> } = {};
    if (wrappingToken !== "") {
      if (client.token === "") opts.token = wrappingToken;
      else if (wrappingToken !== client.token) opts.body = { token: wrappingToken };
    }
    let secret: Secret | null;
    try {
      const res = await client.raw("PUT", "sys/wrapping/unwrap", opts);
      const result = unwrapped(res.status, res.body);
      if (result === undefined) throw toApiError(res);
      secret = result;
    } catch (err) {
      return ctx.fail("Error unwrapping", err);
    }
    if (secret === null) {
      if (ctx.format === "table") ctx.ui.info("Successfully unwrapped. There was no data in the wrapped secret.");
      return 0;
    }
    if (ctx.field !== "") return ctx.rawField({ secret });
    // A wrapped LIST answer prints as a list, as Vault's does.
    if (Array.isArray(secret.data?.["keys"])) return ctx.list(secret);
    return ctx.secret(secret);
  },
};

/**
 * The unwrapped secret; null for an empty answer; undefined when the answer is an error.
 * A 404 can be a wrapped 404 (a deleted KV v2 version), which still carries data.
 */
function unwrapped(status: number, body: string): Secret | null | undefined {
  if (status >= 200 && status < 400) return parseSecret(body);
  if (status !== 404) return undefined;
  let secret: Secret | null = null;
  try {
    secret = parseSecret(body);
  } catch {
    return undefined;
  }
  if (secret && ((secret.warnings?.length ?? 0) > 0 || Object.keys(secret.data ?? {}).length > 0)) return secret;
  return undefined;
}
