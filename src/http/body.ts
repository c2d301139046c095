import type { IncomingMessage } from "node:http";
import type { LaneRequestLike } from "./lane/connection.js";
import { badRequest, payloadTooLarge, unsupportedMediaType } from "../framework/errors.js";

/** Vault's default max_request_size. */
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

export async function readBody(req: IncomingMessage | LaneRequestLike, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > limitBytes) throw payloadTooLarge();
  if ("readFullBody" in req) return req.readFullBody(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limitBytes) throw payloadTooLarge();
    chunks.push(b);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

/**
 * Bodies are JSON whatever the Content-Type says (Vault's Go client sends none; some
 * clients send form or text types), except a real form body, and PATCH insists on the
 * merge-patch type as Vault does.
 */
export function parseBody(raw: Buffer, contentType: string | undefined, method: string): Record<string, unknown> {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (method === "PATCH" && type !== "application/merge-patch+json") {
    throw unsupportedMediaType(`PATCH requires Content-Type application/merge-patch+json, got "${type}"`);
  }
  const text = raw.toString("utf8").trim();
  if (text === "") return {};
  if (type === "application/x-www-form-urlencoded" && !text.startsWith("{") && !text.startsWith("[")) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(text)) out[k] = v;
    return out;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw badRequest(`failed to parse JSON input: ${err instanceof Error ? err.message : "invalid JSON"}`);
  }
  // Go's client encodes a nil map as `null` (e.g. `vault unwrap` with no token argument);
  // Vault decodes that to no data.
  if (parsed === null) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw badRequest("failed to parse JSON input: the body must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}
