// One client connection served by the lane: request heads are parsed here (head.ts), each
// request goes to the HTTP handler as a LaneRequest and its answer goes back as one write.
// The first request the lane will not read (see head.ts) hands the connection, with every
// byte not yet consumed, to node:http behind the LIST front; it never comes back.

import type { IncomingHttpHeaders } from "node:http";
import type net from "node:net";
import { parseHead, type ParsedHead } from "./head.js";
import { LaneResponse, type ResponseOutput } from "./response.js";

/** The part of http.IncomingMessage the HTTP handler uses. */
export interface LaneRequestLike {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly socket: net.Socket;
  /** The method as sent was LIST. */
  readonly listMethod: boolean;
  /** The whole body, once it has arrived; rejects past `limitBytes` or when the client leaves. */
  readFullBody(limitBytes: number): Promise<Buffer>;
  /** The body is not wanted: it is skipped as it arrives. */
  resume(): void;
}

export type LaneHandler = (req: LaneRequestLike, res: LaneResponse) => void;

export interface LaneOptions {
  maxHeaderBytes: number;
  keepAliveTimeoutMs: number;
  /** How long a client may take to send a whole request (node:http's requestTimeout). */
  requestTimeoutMs: number;
  /** ... and its head (node:http's headersTimeout). */
  headersTimeoutMs: number;
  /** Header names (lower case) whose requests go to node:http. */
  refusedHeaders?: ReadonlySet<string>;
}

// Bytes of later requests kept while one is served before reading from the client pauses.
const MAX_BUFFERED_BYTES = 64 * 1024;

class LaneRequest implements LaneRequestLike {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly listMethod: boolean;
  readonly contentLength: number;
  chunks: Buffer[] = [];
  received = 0;
  discard = false;
  /** The handler has said what it wants of the body (read it whole, or skip it). */
  claimed = false;
  private waiter: { resolve(b: Buffer): void; reject(e: Error): void } | undefined;

  constructor(
    head: ParsedHead,
    readonly socket: net.Socket,
    /** Called once the handler claims the body, so a reader paused for it can go on. */
    private readonly onClaim: () => void,
  ) {
    this.listMethod = head.method === "LIST";
    this.method = this.listMethod ? "GET" : head.method;
    this.url = head.url;
    this.headers = head.headers;
    this.contentLength = head.contentLength;
  }

  get complete(): boolean {
    return this.received >= this.contentLength;
  }

  readFullBody(limitBytes: number): Promise<Buffer> {
    if (this.contentLength > limitBytes) return Promise.reject(new Error("request body too large"));
    this.claim();
    if (this.complete) return Promise.resolve(this.body());
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  resume(): void {
    this.discard = true;
    this.chunks = [];
    this.claim();
  }

  /** Body bytes held that nobody has asked for yet: past a few, reading pauses (as node:http's stream would). */
  get unclaimedBytes(): number {
    return this.claimed ? 0 : this.received;
  }

  private claim(): void {
    if (this.claimed) return;
    this.claimed = true;
    this.onClaim();
  }

  /** Takes body bytes; returns how many of `data` belonged to this request. */
  take(data: Buffer): number {
    const n = Math.min(this.contentLength - this.received, data.length);
    if (n > 0) {
      if (!this.discard) this.chunks.push(n === data.length ? data : data.subarray(0, n));
      this.received += n;
    }
    if (this.complete && this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve(this.body());
    }
    return n;
  }

  abandon(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(new Error("the client closed the connection"));
  }

  private body(): Buffer {
    if (this.chunks.length === 1) return this.chunks[0] as Buffer;
    return Buffer.concat(this.chunks);
  }
}

export class LaneConnection {
  /** Bytes received and not yet consumed: the start of the next head (or a pipelined request). */
  private pending: Buffer | null = null;
  /** The request being read or served. */
  private current: LaneRequest | null = null;
  private responding = false;
  private inHandler = false;
  private closing = false;
  private gone = false;
  private paused = false;
  private endedByClient = false;
  private goneListeners: Array<() => void> = [];
  /** When the request being received began (0: none), for the request timeout. */
  private partialSinceMs = 0;
  private lastActiveMs = Date.now();

  private readonly onData = (chunk: Buffer): void => this.receive(chunk);
  private readonly onEnd = (): void => this.clientEnded();
  private readonly onClose = (): void => this.lost();
  private readonly onError = (): void => {
    this.raw.destroy();
  };

  constructor(
    private readonly raw: net.Socket,
    private readonly handler: LaneHandler,
    /** Gives the connection to node:http; `unread` is replayed to it first. */
    private readonly handOff: (unread: Buffer | null) => void,
    private readonly options: LaneOptions,
    private readonly forget: (c: LaneConnection) => void,
  ) {
    raw.on("data", this.onData);
    raw.on("end", this.onEnd);
    raw.on("close", this.onClose);
    raw.on("error", this.onError);
  }

  /** Between requests with nothing received: closing now cuts nothing. */
  get idle(): boolean {
    return !this.responding && this.current === null && this.pending === null;
  }

  close(): void {
    this.raw.destroy();
  }

  /** The server is closing: an idle connection ends now, a busy one once its answer is out (with `Connection: close`). */
  closeWhenDone(): void {
    // Nothing being served (at most part of a head received): nothing to finish.
    if (!this.responding) {
      this.raw.destroy();
      return;
    }
    this.closing = true;
  }

  /** Called by the lane's timer: ends connections idle too long or sending too slowly. */
  checkTimeouts(nowMs: number): void {
    if (this.idle) {
      if (nowMs - this.lastActiveMs > this.options.keepAliveTimeoutMs) this.raw.destroy();
      return;
    }
    const receiving = this.current !== null ? !this.current.complete : this.pending !== null;
    const limitMs = this.current === null ? this.options.headersTimeoutMs : this.options.requestTimeoutMs;
    if (!receiving || nowMs - this.partialSinceMs <= limitMs) return;
    // As node:http: a client that has not sent its whole request in time gets 408 and is cut off.
    if (this.responding) this.raw.destroy();
    else this.raw.end("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n", () => this.raw.destroy());
  }

  private receive(chunk: Buffer): void {
    this.lastActiveMs = Date.now();
    let data: Buffer | null = chunk;
    const req = this.current;
    if (req !== null && !req.complete) {
      const used = req.take(chunk);
      data = used === chunk.length ? null : chunk.subarray(used);
      if (req.unclaimedBytes > MAX_BUFFERED_BYTES) this.pause();
      if (req.complete && !this.responding) this.next();
    }
    if (data === null) return;
    if (this.pending === null) {
      this.pending = data;
      if (this.current === null) this.partialSinceMs = this.lastActiveMs;
    } else {
      this.pending = Buffer.concat([this.pending, data]);
    }
    if (this.current === null) this.parse();
    // Pipelined requests wait for the one being served; past this much, so does the client.
    else if (this.pending.length > MAX_BUFFERED_BYTES) this.pause();
  }

  /** Starts the next request held in `pending`, if its head is all there. */
  private parse(): void {
    const buf = this.pending;
    if (buf === null || this.closing || this.gone) return;
    const head = parseHead(buf, this.options.maxHeaderBytes, this.options.refusedHeaders);
    if (head === "incomplete") return;
    if (head === "fallback") {
      this.detach();
      this.handOff(buf);
      return;
    }
    const req = new LaneRequest(head, this.raw, () => this.unpause());
    this.current = req;
    this.closing = head.close;
    const rest = buf.length > head.headBytes ? buf.subarray(head.headBytes) : null;
    this.pending = null;
    if (rest !== null) {
      const used = req.take(rest);
      if (used < rest.length) this.pending = rest.subarray(used);
    }
    this.responding = true;
    // A body still arriving when the answer is complete is not waited for: the connection closes.
    const res = new LaneResponse(this.output, () => this.closing || !req.complete, Math.floor(this.options.keepAliveTimeoutMs / 1000));
    this.inHandler = true;
    try {
      this.handler(req, res);
    } catch {
      // The handler answers its own errors; one that escapes must not take the server down.
      this.raw.destroy();
    } finally {
      this.inHandler = false;
    }
  }

  /** One per connection: every closure here reads the connection's state, not a request's. */
  private readonly output: ResponseOutput = {
    write: (data) => {
      if (!this.gone) this.raw.write(data);
    },
    pendingBytes: () => this.raw.writableLength,
    gone: () => this.gone,
    finished: (close) => this.finished(close),
    destroy: () => this.raw.destroy(),
    onGone: (listener) => this.goneListeners.push(listener),
  };

  private finished(close: boolean): void {
    this.responding = false;
    this.lastActiveMs = Date.now();
    const listeners = this.goneListeners;
    this.goneListeners = [];
    for (const l of listeners) l();
    if (close) {
      this.closing = true;
      this.raw.end();
      return;
    }
    // Answered while the handler was still being called (a CORS preflight): the next
    // pipelined request starts once this call has returned, so thousands of them cannot
    // nest calls until the stack runs out.
    if (this.inHandler) queueMicrotask(() => this.next());
    else this.next();
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.raw.pause();
  }

  private unpause(): void {
    // Pipelined bytes beyond the limit keep the reader paused until this request is done.
    if (!this.paused || (this.pending !== null && this.pending.length > MAX_BUFFERED_BYTES)) return;
    this.paused = false;
    this.raw.resume();
  }

  private next(): void {
    this.current = null;
    if (this.paused) {
      this.paused = false;
      this.raw.resume();
    }
    if (this.pending !== null) {
      this.partialSinceMs = Date.now();
      this.parse();
    }
    // Half-closed by the client: what it sent is answered, then the connection ends.
    if (this.endedByClient && this.current === null && !this.gone) this.raw.end();
  }

  private clientEnded(): void {
    this.endedByClient = true;
    if (this.current === null) this.raw.end();
  }

  private lost(): void {
    if (this.gone) return;
    this.gone = true;
    this.current?.abandon();
    const listeners = this.goneListeners;
    this.goneListeners = [];
    for (const l of listeners) l();
    this.forget(this);
  }

  private detach(): void {
    this.raw.off("data", this.onData);
    this.raw.off("end", this.onEnd);
    this.raw.off("close", this.onClose);
    this.raw.off("error", this.onError);
    this.pending = null;
    this.forget(this);
  }
}
