import type { IncomingMessage, ServerResponse } from "node:http";
import type { LaneRequestLike } from "./lane/connection.js";
import type { ResponseLike } from "./lane/response.js";
import type { TLSSocket } from "node:tls";
import { randomUUID } from "node:crypto";
import type { Core } from "../core/core.js";
import { handleRequest, type InboundRequest } from "../core/request-handler.js";
import { badRequest, isMayflyError, MayflyError, unsupportedOperation } from "../framework/errors.js";
import { parseGoBool } from "../framework/fields.js";
import { clientOf, type ClientAddress, type ForwardedForConfig } from "./forwarded-for.js";
import type { Logger, ResponseStream } from "../framework/types.js";
import { parseBody, readBody, DEFAULT_MAX_BODY_BYTES } from "./body.js";
import { decideCors, type CorsPolicy } from "./cors.js";
import { envelope, errorReply, replyFor, type HttpReply } from "./envelope.js";
import { isListRequest } from "./front.js";
import type { InFlightRequests } from "./in-flight.js";
import { BARE_PATHS, handleBare } from "./sys-bare.js";

export interface HttpHandlerOptions {
  maxBodyBytes?: number;
  storageType: string;
  logger: Logger;
  /** sys/config/cors, enforced before anything else (absent: CORS off). */
  cors?: { current(): CorsPolicy };
  /** Records each request while it is served, for sys/in-flight-req. */
  inFlight?: InFlightRequests;
  /** The listener's x_forwarded_for_* settings: whom to believe about the client's address. */
  forwardedFor?: ForwardedForConfig;
}

const NO_QUERY: Readonly<URLSearchParams> = new URLSearchParams();

/** A request from node:http or from the lane (src/http/lane), which serves ordinary ones itself. */
type RequestIn = IncomingMessage | LaneRequestLike;

/**
 * Translates HTTP to the core's requests and back; the only place that writes status codes.
 * The same function serves node:http (http.createServer) and the lane (createFront's `lane`).
 */
export function createHttpHandler(core: Core, opts: HttpHandlerOptions): (req: RequestIn, res: ServerResponse | ResponseLike) => void {
  const limit = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return (req: RequestIn, res: ServerResponse | ResponseLike): void => {
    const cors = opts.cors ? decideCors(req.method ?? "GET", req.headers, opts.cors.current()) : undefined;
    if (cors?.kind === "answer") {
      req.resume();
      send(res, cors.reply, cors.headers);
      return;
    }
    const extraHeaders = cors?.kind === "serve" ? cors.headers : undefined;
    const finished = opts.inFlight?.start(req);
    // Rate limit headers (Retry-After, X-Ratelimit-*) are found while serving, sent with the answer.
    const quotaHeaders: string[] = [];
    const headers = (): readonly string[] | undefined =>
      quotaHeaders.length === 0 ? extraHeaders : [...(extraHeaders ?? []), ...quotaHeaders];
    serve(core, opts, limit, req, quotaHeaders)
      .then((reply) => {
        finished?.();
        send(res, reply, headers());
      })
      .catch((err: unknown) => {
        finished?.();
        send(res, replyForError(err, opts.logger), headers());
      });
  };
}

async function serve(core: Core, opts: HttpHandlerOptions, limit: number, req: RequestIn, quotaHeaders: string[]): Promise<HttpReply> {
  // Split by hand rather than with `new URL`, which costs more and would also resolve
  // `..` segments: Vault takes the path as sent, and so do we (then refuse `..`).
  const rawUrl = req.url ?? "/";
  const q = rawUrl.indexOf("?");
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  // Most requests carry no query string: they share one empty (and never modified) set.
  const query = q === -1 ? NO_QUERY : new URLSearchParams(rawUrl.slice(q + 1));
  if (!rawPath.startsWith("/v1/")) {
    // Drain the body so keep-alive connections stay usable.
    req.resume();
    return errorReply(404, []);
  }
  let path = rawPath.slice(4);
  if (path.includes("%")) {
    try {
      path = decodeURIComponent(path);
    } catch {
      throw badRequest("invalid percent-encoding in path");
    }
  }
  if (path.includes("\0") || (path.includes("..") && path.split("/").includes(".."))) throw badRequest("invalid path");
  const client = clientOf(req, opts.forwardedFor);
  // Before the body is read or a token looked at: a flood costs as little as possible.
  const quota = core.quotas.check(path, client.remoteAddress);
  if (quota) {
    if (core.quotas.responseHeaders) {
      quotaHeaders.push("X-Ratelimit-Limit", String(Math.max(1, Math.floor(quota.rule.rate))), "X-Ratelimit-Remaining", String(quota.remaining), "X-Ratelimit-Reset", String(quota.resetSeconds));
    }
    if (!quota.allowed) {
      quotaHeaders.push("Retry-After", String(quota.resetSeconds));
      req.resume();
      const message = `request path ${JSON.stringify(path)}: rate limit quota exceeded`;
      if (core.quotas.auditRefusals && core.audit.enabled) await auditQuotaRefusal(core, req, path, message, client);
      throw new MayflyError(429, [message]);
    }
  }
  const method = req.method ?? "GET";
  const listByMethod = isListRequest(req);

  const bodiless = method === "GET" || method === "HEAD";
  if (bodiless) req.resume();
  const data = bodiless ? {} : parseBody(await readBody(req, limit), req.headers["content-type"], method);

  // Vault serves help for any method whenever `help` is non-empty, before anything else.
  if (query.get("help")) {
    const handled = await handleRequest(core, inbound(req, path, {}, client, "read", true));
    return replyFor(handled.requestId, handled.response, handled.mountType);
  }

  if (BARE_PATHS.has(path)) {
    const connection = client;
    return handleBare(core, path, method, query, data, opts.storageType, connection);
  }

  let operation: InboundRequest["operation"];
  switch (method) {
    case "GET":
    case "HEAD": {
      const listParam = query.get("list");
      let list = listByMethod;
      if (listParam !== null) {
        const b = parseGoBool(listParam);
        if (b === undefined) throw new MayflyError(400, []);
        list = list || b;
      }
      operation = list ? "list" : "read";
      for (const [k, v] of query) if (k !== "list") data[k] = v;
      if (list && !path.endsWith("/")) path += "/";
      break;
    }
    case "POST":
    case "PUT":
      operation = "write";
      break;
    case "PATCH":
      operation = "patch";
      break;
    case "DELETE":
      operation = "delete";
      for (const [k, v] of query) data[k] = v;
      break;
    default:
      throw unsupportedOperation();
  }

  const handled = await handleRequest(core, inbound(req, path, data, client, operation, false));
  return replyFor(handled.requestId, handled.response, handled.mountType);
}

/** enable_rate_limit_audit_logging: the refused request, as far as it was read, and why. */
async function auditQuotaRefusal(core: Core, req: RequestIn, path: string, error: string, client: ClientAddress): Promise<void> {
  const method = req.method ?? "GET";
  const operation = method === "GET" || method === "HEAD" ? "read" : method === "DELETE" ? "delete" : method === "PATCH" ? "patch" : "update";
  const input = {
    auth: {},
    request: { id: randomUUID(), operation, path, remoteAddress: client.remoteAddress, remotePort: client.remotePort },
    error,
  };
  // The request is refused either way; a device that cannot record it changes nothing.
  await core.audit.logRequest(input).catch(() => undefined);
  await core.audit.logResponse(input).catch(() => undefined);
}

/** Built as one literal (no spreads): it lives through the whole request, audit included. */
function inbound(
  req: RequestIn,
  path: string,
  data: Record<string, unknown>,
  client: ClientAddress,
  operation: InboundRequest["operation"],
  help: boolean,
): InboundRequest {
  const socket = req.socket as Partial<TLSSocket> & { remoteAddress?: string; remotePort?: number };
  const peer = socket.encrypted && typeof socket.getPeerCertificate === "function" ? socket.getPeerCertificate(false) : undefined;
  return {
    operation,
    path,
    data,
    clientToken: tokenFrom(req),
    connection: {
      remoteAddress: client.remoteAddress,
      remotePort: client.remotePort,
      peerCertificateDer: peer && peer.raw ? peer.raw : undefined,
    },
    headers: req.headers,
    help,
  };
}

function tokenFrom(req: RequestIn): string {
  const header = req.headers["x-vault-token"];
  if (typeof header === "string" && header !== "") return header.trim();
  const auth = req.headers.authorization;
  if (typeof auth === "string" && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, "").trim();
  return "";
}

export function replyForError(err: unknown, logger: Logger): HttpReply {
  if (isMayflyError(err)) {
    if (err.data !== undefined) {
      // A KV v2 read of a deleted version answers 404 with the full envelope.
      return { ...replyFor(randomUUID(), { data: err.data }, ""), status: err.status };
    }
    return errorReply(err.status, err.errors);
  }
  const requestId = randomUUID();
  logger.error("unexpected error serving a request", {
    request_id: requestId,
    error: err instanceof Error ? err.name + ": " + err.message : "unknown",
  });
  return errorReply(500, [`internal error (request id ${requestId})`]);
}

function send(res: ServerResponse | ResponseLike, reply: HttpReply, extraHeaders?: readonly string[]): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (reply.stream) {
    sendStream(res, reply.status, reply.stream, extraHeaders);
    return;
  }
  // A flat list is the cheapest form of headers for writeHead.
  if (reply.body === undefined) {
    res.writeHead(reply.status, extraHeaders ? ["Cache-Control", "no-store", ...extraHeaders] : ["Cache-Control", "no-store"]);
    res.end();
    return;
  }
  const headers = [
    "Cache-Control",
    "no-store",
    "Content-Type",
    reply.contentType ?? "application/json",
    "Content-Length",
    String(Buffer.byteLength(reply.body)),
  ];
  if (extraHeaders) headers.push(...extraHeaders);
  res.writeHead(reply.status, headers);
  res.end(reply.body);
}

/** Beyond this much unsent output a slow reader misses lines rather than growing memory. */
const STREAM_BACKLOG_BYTES = 1024 * 1024;

function sendStream(res: ServerResponse | ResponseLike, status: number, stream: ResponseStream, extraHeaders?: readonly string[]): void {
  res.writeHead(status, ["Cache-Control", "no-store", "Content-Type", stream.contentType, ...(extraHeaders ?? [])]);
  res.flushHeaders();
  let dropped = 0;
  const stop = stream.start((chunk) => {
    if (res.destroyed || res.writableEnded) return;
    if (res.writableLength > STREAM_BACKLOG_BYTES) {
      dropped++;
      return;
    }
    if (dropped > 0) {
      res.write(`(${dropped} lines dropped: the reader fell behind)\n`);
      dropped = 0;
    }
    res.write(chunk);
  }, () => res.end());
  res.on("close", stop);
}

export { envelope };
