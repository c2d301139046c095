import { envelope, envelopeJson } from "../core/response-envelope.js";
import type { Response, ResponseStream } from "../framework/types.js";
import { mayflyVersion } from "../framework/version.js";

export { envelope };

/** Reported by sys/health and sys/seal-status; a Vault API level with our build after `+`. */
export const SERVER_VERSION = `1.15.0+mayfly.${mayflyVersion() || "0.0.0"}`;

export interface HttpReply {
  status: number;
  body?: string | Buffer;
  contentType?: string;
  /** Written as it comes (sys/monitor) instead of `body`. */
  stream?: ResponseStream;
}

const JSON_TYPE = "application/json";

export function replyFor(requestId: string, resp: Response | undefined, mountType: string): HttpReply {
  if (!resp) return { status: 204 };
  if (resp.stream) return { status: resp.status ?? 200, stream: resp.stream, contentType: resp.stream.contentType };
  if (resp.raw) return { status: resp.status ?? 200, body: resp.raw.body, contentType: resp.raw.contentType };
  if (resp.bare) return jsonReply(resp.status ?? 200, resp.data ?? {});
  const empty = resp.data == null && !resp.secret && !resp.auth && !resp.wrapInfo && !(resp.warnings && resp.warnings.length);
  if (empty) return { status: resp.status ?? 204 };
  return { status: resp.status ?? 200, body: envelopeJson(requestId, resp, mountType), contentType: JSON_TYPE };
}

export function jsonReply(status: number, value: unknown): HttpReply {
  return { status, body: JSON.stringify(value), contentType: JSON_TYPE };
}

export function errorReply(status: number, errors: readonly string[]): HttpReply {
  return jsonReply(status, { errors });
}
