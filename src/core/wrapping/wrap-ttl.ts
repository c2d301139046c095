import { parseDurationSeconds } from "../../framework/duration.js";
import { badRequest, isMayflyError } from "../../framework/errors.js";

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/**
 * The wrap TTL a request asks for in `X-Vault-Wrap-TTL`, in seconds: undefined when the
 * header is absent or empty, 0 when it asks for no wrapping ("0"). A value Vault would
 * not parse, or a negative one, is refused with 400 as Vault does.
 */
export function requestedWrapTtlSeconds(headers: Headers): number | undefined {
  const raw = headers["x-vault-wrap-ttl"];
  const text = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (text === undefined || text === "") return undefined;
  let seconds: number;
  try {
    seconds = parseDurationSeconds(text);
  } catch (err) {
    const reason = isMayflyError(err) ? err.errors.join("; ") : "invalid duration";
    throw badRequest(`error parsing X-Vault-Wrap-TTL header: ${reason}`);
  }
  if (seconds < 0) throw badRequest("error parsing X-Vault-Wrap-TTL header: requested wrap ttl cannot be negative");
  return seconds;
}
