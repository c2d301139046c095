/** What operator rekey and operator generate-root share: the API call and how a share is given. */
import type { Ctx } from "../command.js";
import { wrapAtLength } from "../gofmt.js";
import type { VaultClient } from "../http-client.js";
import { readAll } from "../io.js";

export type Json = Record<string, unknown>;

export async function call(client: VaultClient, method: string, path: string, body?: unknown): Promise<Json> {
  const res = await client.request(method, path, body === undefined ? {} : { body });
  return res.body.trim() === "" ? {} : (JSON.parse(res.body) as Json);
}

export const str = (v: unknown): string => (typeof v === "string" ? v : "");
export const num = (v: unknown): number => (typeof v === "number" ? v : 0);
export const strings = (v: unknown): string[] | null => (Array.isArray(v) ? v.map(String) : null);

/**
 * The share to send and the nonce to send it with, as Vault's `provide` finds them: "-"
 * reads stdin to its end, no argument asks (the attempt's own nonce then serves), an
 * argument is the share itself and -nonce must name the attempt.
 */
export async function shareAndNonce(ctx: Ctx, statusNonce: string, noncePrompt: string): Promise<{ key: string; nonce: string } | number> {
  const arg = ctx.args[0];
  let key: string;
  let nonce = ctx.flags.str("nonce");
  if (arg === "-") {
    key = await readAll(ctx.io.stdin);
  } else if (arg === undefined || arg.trim() === "") {
    if (nonce === "") nonce = statusNonce;
    // Shown to a person at a terminal only: piped output must stay parseable.
    if (ctx.io.stdin.isTTY === true) ctx.ui.output(`${noncePrompt}: ${nonce}`);
    try {
      key = await ctx.prompt("Unseal Key (will be hidden): ");
    } catch (err) {
      ctx.ui.error(wrapAtLength(`An error occurred attempting to ask for the unseal key: ${(err as Error).message}`));
      return 1;
    }
  } else {
    key = arg;
  }
  key = key.trim();
  if (nonce === "") {
    ctx.ui.error("Missing nonce value: specify it via the -nonce flag");
    return 1;
  }
  return { key, nonce };
}
