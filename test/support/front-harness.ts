// Shared by the raw-socket tests of the LIST front (test/http-front*.test.ts): a real
// http.Server behind createFront, an echo handler that reports what reached it, and a client
// that writes exactly the bytes it is given.
import http from "node:http";
import net from "node:net";
import tls from "node:tls";
import { setTimeout as delay } from "node:timers/promises";
import { afterEach, expect } from "vitest";
import {
  createFront,
  FrontSocket,
  isListRequest,
  TlsFrontSocket,
  type FrontOptions,
} from "../../src/http/front.js";

export interface Echo {
  method: string;
  url: string;
  httpVersion: string;
  list: boolean;
  forged: string | null;
  body: string;
  trailers: Record<string, string>;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  remoteFamily: string | undefined;
  localPort: number | undefined;
  encrypted: boolean;
  authorized: boolean | null;
  authorizationError: string | null;
  peerCommonName: string | null;
  alpnProtocol: string | false | null;
}

export function echo(req: http.IncomingMessage, res: http.ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const socket = req.socket as unknown as FrontSocket;
    const tlsSocket = socket instanceof TlsFrontSocket ? socket : null;
    const peer = tlsSocket?.getPeerCertificate() ?? null;
    const payload: Echo = {
      method: req.method ?? "",
      url: req.url ?? "",
      httpVersion: req.httpVersion,
      list: isListRequest(req),
      forged: (req.headers["x-mayfly-list-forged"] as string | undefined) ?? null,
      body: Buffer.concat(chunks).toString("latin1"),
      trailers: req.trailers as Record<string, string>,
      remoteAddress: socket.remoteAddress,
      remotePort: socket.remotePort,
      remoteFamily: socket.remoteFamily,
      localPort: socket.localPort,
      encrypted: (req.socket as { encrypted?: boolean }).encrypted === true,
      authorized: tlsSocket?.authorized ?? null,
      authorizationError: tlsSocket?.authorizationError ? String(tlsSocket.authorizationError) : null,
      peerCommonName: (peer?.subject?.CN as string | undefined) ?? null,
      alpnProtocol: tlsSocket?.alpnProtocol ?? null,
    };
    const text = JSON.stringify(payload);
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  });
}

export async function within<T>(timeoutMs: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const cleanups: Array<() => Promise<void>> = [];

/** Sockets a test took over from http.Server (upgrades): destroyed after each test. */
export const openSockets = new Set<net.Socket>();

/** Call once per test file: closes what each test started, after it. */
export function closeFrontsAfterEach(): void {
  afterEach(async () => {
    // Upgraded connections are no longer http.Server's to close; the test owns both ends.
    for (const socket of openSockets) socket.destroy();
    openSockets.clear();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
}

export async function startFront(
  options: { handler?: Handler; http?: http.ServerOptions; front?: FrontOptions } = {},
): Promise<{ httpServer: http.Server; front: net.Server; port: number }> {
  const httpServer = http.createServer(options.http ?? {}, options.handler ?? echo);
  const front = createFront(httpServer, options.front);
  await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    httpServer.closeAllConnections();
    await new Promise<void>((resolve) => front.close(() => resolve()));
  });
  return { httpServer, front, port: (front.address() as net.AddressInfo).port };
}

export interface Response {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** A client that writes exactly the bytes it is given and parses what comes back. */
export class RawClient {
  private received = Buffer.alloc(0);
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private awaitedBytes = 0;
  private readonly responses: Response[] = [];
  private waiter: (() => void) | null = null;
  readonly closed: Promise<void>;
  isClosed = false;

  constructor(readonly socket: net.Socket) {
    openSockets.add(socket);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      // Concatenating on every read would copy a large body over and over.
      if (this.pendingBytes < this.awaitedBytes) return;
      this.received = Buffer.concat([this.received, ...this.pending]);
      this.pending = [];
      this.pendingBytes = 0;
      this.parse();
      this.waiter?.();
    });
    socket.on("error", () => {});
    this.closed = new Promise((resolve) =>
      socket.on("close", () => {
        this.isClosed = true;
        this.waiter?.();
        resolve();
      }),
    );
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = net.connect(port, "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    return new RawClient(socket);
  }

  static async connectTls(port: number, options: tls.ConnectionOptions): Promise<RawClient> {
    const socket = tls.connect({ port, host: "127.0.0.1", servername: "localhost", ...options });
    await new Promise((resolve) => socket.once("secureConnect", resolve));
    return new RawClient(socket);
  }

  /** Bytes after the last complete response, e.g. once the connection was upgraded. */
  get unparsed(): string {
    return this.received.toString("latin1");
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** One write per piece, far enough apart that the server reads them separately. */
  async writeInPieces(text: string, pieceBytes: number): Promise<void> {
    for (let i = 0; i < text.length; i += pieceBytes) {
      this.socket.write(text.slice(i, i + pieceBytes));
      await delay(3);
    }
  }

  async read(count: number, timeoutMs = 10_000): Promise<Response[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.responses.length < count && !this.isClosed) {
      if (Date.now() > deadline) throw new Error(`got ${this.responses.length} of ${count} responses`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.responses.splice(0, count);
  }

  async echoes(count: number): Promise<Echo[]> {
    const responses = await this.read(count);
    expect(responses.map((r) => r.status)).toEqual(Array(count).fill(200));
    return responses.map((r) => JSON.parse(r.body.toString("latin1")) as Echo);
  }

  private parse(): void {
    for (;;) {
      this.awaitedBytes = 0;
      const headEnd = this.received.indexOf("\r\n\r\n");
      if (headEnd === -1) return;
      const [statusLine = "", ...lines] = this.received.toString("latin1", 0, headEnd).split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const bodyBytes = Number(headers["content-length"] ?? 0);
      this.awaitedBytes = headEnd + 4 + bodyBytes - this.received.length;
      if (this.awaitedBytes > 0) return;
      this.responses.push({
        status: Number(statusLine.split(" ")[1]),
        headers,
        body: this.received.subarray(headEnd + 4, headEnd + 4 + bodyBytes),
      });
      this.received = this.received.subarray(headEnd + 4 + bodyBytes);
    }
  }
}

export const list = (path: string, extra = ""): string => `LIST ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
export const get = (path: string, extra = ""): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
export const post = (path: string, body: string): string =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
