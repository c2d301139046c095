// Vault clients send `LIST /v1/... HTTP/1.1`. Node's HTTP parser (llhttp) knows no LIST method
// and answers 400 before any handler runs, with no option to relax it (client-compat.md 1.1).
// So connections are accepted here, each request head is found by framing the byte stream,
// `LIST ` becomes `GET ` plus a marker header, and http.Server receives a socket-like Duplex.

import { randomBytes, timingSafeEqual } from "node:crypto";
import type http from "node:http";
import net from "node:net";
import tls from "node:tls";
import { RequestFramer } from "./front/framer.js";
import { FrontSocket, TlsFrontSocket } from "./front/socket.js";
import { LaneConnection, type LaneHandler, type LaneRequestLike } from "./lane/connection.js";

export { FrontSocket, TlsFrontSocket } from "./front/socket.js";

/** Header the front adds to a request that arrived as LIST; read it with isListRequest(). */
export const LIST_MARKER_HEADER = "x-mayfly-list-method";

// What a client-sent marker header is renamed to: same length, so the rename is in place.
const FORGED_MARKER_HEADER = "x-mayfly-list-forged";

// The marker's value is random per process rather than "1". Client-sent markers are renamed
// on framed connections, but a connection in pass-through (Upgrade, oversize head) reaches
// llhttp unframed; a value no client can know keeps a forged marker inert there too.
const markerValue = Buffer.from(randomBytes(16).toString("hex"), "latin1");
const markerLine = Buffer.from(`${LIST_MARKER_HEADER}: ${markerValue.toString("latin1")}\r\n`, "latin1");

const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
const REFUSED_IN_LANE: ReadonlySet<string> = new Set([LIST_MARKER_HEADER]);

export interface FrontOptions {
  /** Terminate TLS in the front (cert, key, ca, requestCert, ...); plain TCP without it. */
  tls?: tls.TlsOptions;
  /**
   * Longest request head the front frames; a longer one is passed to llhttp untouched.
   * Default 16 KiB, or httpServer.maxHeaderSize if that is larger.
   */
  maxHeaderBytes?: number;
  /**
   * Serves ordinary requests without node:http (see lane/): the same handler, a fraction of
   * the cost per request. A connection moves to node:http at its first request the lane
   * does not read itself. Without it every connection goes to node:http.
   */
  lane?: LaneHandler;
}

/**
 * A server to listen on in place of `httpServer`, which must not listen itself for the same
 * clients. Each accepted (and, with `tls`, decrypted) connection reaches `httpServer` as a
 * FrontSocket. Closing the returned server also closes `httpServer`'s idle keep-alive
 * connections, as http.Server.close() does for its own.
 */
export function createFront(httpServer: http.Server, options: FrontOptions = {}): net.Server {
  // Not smaller than llhttp's limit: a head llhttp accepts should not end framing.
  // http.Server keeps its `maxHeaderSize` option on itself, untyped in @types/node.
  const serverLimitBytes = (httpServer as http.Server & { maxHeaderSize?: number }).maxHeaderSize ?? 0;
  const maxHeaderBytes = options.maxHeaderBytes ?? Math.max(DEFAULT_MAX_HEADER_BYTES, serverLimitBytes);
  const newFramer = (): RequestFramer =>
    new RequestFramer({ maxHeaderBytes, markerName: LIST_MARKER_HEADER, markerLine, forgedName: FORGED_MARKER_HEADER });

  const lanes = new Set<LaneConnection>();
  const accept = (raw: net.Socket, wrap: (framer: RequestFramer) => FrontSocket): void => {
    const toHttp = (unread: Buffer | null): void => {
      const socket = wrap(newFramer());
      httpServer.emit("connection", socket);
      if (unread !== null) socket.replay(unread);
    };
    if (!options.lane) return toHttp(null);
    const lane = new LaneConnection(raw, options.lane, toHttp, laneOptions(httpServer, maxHeaderBytes), (c) => lanes.delete(c));
    lanes.add(lane);
    watchLanes(lanes);
  };

  // allowHalfOpen as http.Server sets it: a client's FIN must not end our replies early.
  const front: net.Server =
    options.tls === undefined
      ? net.createServer({ allowHalfOpen: true, noDelay: true }, (raw) => accept(raw, (f) => new FrontSocket(raw, f)))
      : tls
          .createServer({ ALPNProtocols: ["http/1.1"], ...options.tls, allowHalfOpen: true, noDelay: true })
          .on("secureConnection", (raw: tls.TLSSocket) => accept(raw, (f) => new TlsFrontSocket(raw, f)));

  // Lane connections are closed whenever http.Server closes its own, by whoever asks it to;
  // a busy one at its answer's end, so that closing the front does not wait for keep-alive.
  const closeIdle = httpServer.closeIdleConnections.bind(httpServer);
  httpServer.closeIdleConnections = () => {
    for (const c of lanes) c.closeWhenDone();
    closeIdle();
  };
  const closeAll = httpServer.closeAllConnections.bind(httpServer);
  httpServer.closeAllConnections = () => {
    for (const c of lanes) c.close();
    closeAll();
  };

  front.on("listening", () => startConnectionTracking(httpServer));

  // http.Server never listens itself, so it does not know the front is closing: answers it is
  // still writing then are its connections' last (Connection: close), as the lane's are.
  let closing = false;
  const answering = new Set<http.ServerResponse>();
  httpServer.on("request", (_req: http.IncomingMessage, res: http.ServerResponse) => {
    if (closing) res.shouldKeepAlive = false;
    answering.add(res);
    res.on("close", () => answering.delete(res));
  });

  const closeListener = front.close;
  front.close = function close(callback?: (error?: Error) => void): net.Server {
    closing = true;
    for (const res of answering) {
      if (!res.headersSent) res.shouldKeepAlive = false;
      else res.on("finish", () => res.socket?.destroySoon?.());
    }
    httpServer.closeIdleConnections();
    return closeListener.call(front, callback);
  };
  return front;
}

/** Whether the request arrived with the LIST method (now GET, marked by the front). */
export function isListRequest(req: http.IncomingMessage | LaneRequestLike): boolean {
  // The lane reads the method itself; only node:http's requests carry the marker.
  if ("listMethod" in req) return req.listMethod;
  const value = req.headers[LIST_MARKER_HEADER];
  if (typeof value !== "string" || value.length !== markerValue.length) return false;
  return timingSafeEqual(Buffer.from(value, "latin1"), markerValue);
}

// http.Server keeps the list behind closeAllConnections(), closeIdleConnections(),
// headersTimeout and requestTimeout only once it emits 'listening', which a server fed
// through emit('connection') never does. Its own listener builds the list; run just that one.
function startConnectionTracking(httpServer: http.Server): void {
  for (const listener of httpServer.listeners("listening")) {
    if (listener.name === "setupConnectionsTracking") (listener as () => void).call(httpServer);
  }
}

function laneOptions(httpServer: http.Server, maxHeaderBytes: number) {
  return {
    maxHeaderBytes,
    keepAliveTimeoutMs: httpServer.keepAliveTimeout || 5_000,
    // 0 means none in node:http.
    requestTimeoutMs: httpServer.requestTimeout || Infinity,
    headersTimeoutMs: httpServer.headersTimeout || Infinity,
    // A client-sent LIST marker is renamed by the framer on node:http's side; one place does it.
    refusedHeaders: REFUSED_IN_LANE,
  };
}

// One timer for all lane connections of the process, as node:http checks its own
// connections on an interval rather than arming a timer per request.
const LANE_CHECK_INTERVAL_MS = 1_000;
const watched = new Set<Set<LaneConnection>>();
let laneTimer: NodeJS.Timeout | undefined;

function watchLanes(lanes: Set<LaneConnection>): void {
  watched.add(lanes);
  if (laneTimer !== undefined) return;
  laneTimer = setInterval(() => {
    const now = Date.now();
    let any = false;
    for (const set of watched) {
      if (set.size === 0) watched.delete(set);
      for (const c of set) {
        any = true;
        c.checkTimeouts(now);
      }
    }
    if (!any) {
      clearInterval(laneTimer);
      laneTimer = undefined;
    }
  }, LANE_CHECK_INTERVAL_MS);
  laneTimer.unref();
}
