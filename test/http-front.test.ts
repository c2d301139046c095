// Raw-socket tests of the LIST front against a real http.Server: the bytes on the wire are
// written by hand so that segmenting, pipelining and framing are exactly what each case says.

import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { setTimeout as delay } from "node:timers/promises";
import nodeVault from "node-vault";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createFront,
  FrontSocket,
  isListRequest,
  LIST_MARKER_HEADER,
  TlsFrontSocket,
  type FrontOptions,
} from "../src/http/front.js";

interface Echo {
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

function echo(req: http.IncomingMessage, res: http.ServerResponse): void {
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

async function within<T>(timeoutMs: number, promise: Promise<T>): Promise<T> {
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

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const cleanups: Array<() => Promise<void>> = [];

const openSockets = new Set<net.Socket>();

afterEach(async () => {
  // Upgraded connections are no longer http.Server's to close; the test owns both ends.
  for (const socket of openSockets) socket.destroy();
  openSockets.clear();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startFront(
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

interface Response {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** A client that writes exactly the bytes it is given and parses what comes back. */
class RawClient {
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

const list = (path: string, extra = ""): string => `LIST ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
const get = (path: string, extra = ""): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
const post = (path: string, body: string): string =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe("LIST through the front", () => {
  it("reaches the handler as GET with the marker, and other methods stay as sent", async () => {
    const { port } = await startFront();
    const client = await RawClient.connect(port);
    client.write(list("/v1/secret/") + get("/v1/secret/a") + post("/v1/secret/a", '{"k":"v"}'));
    const [listed, read, written] = await client.echoes(3);
    expect(listed).toMatchObject({ method: "GET", url: "/v1/secret/", list: true });
    expect(read).toMatchObject({ method: "GET", url: "/v1/secret/a", list: false });
    expect(written).toMatchObject({ method: "POST", list: false, body: '{"k":"v"}' });
  });

  it("strips a client-sent marker, so a forged one never makes a list", async () => {
    const { port } = await startFront();
    const client = await RawClient.connect(port);
    client.write(get("/v1/a", `${LIST_MARKER_HEADER}: 1\r\n`) + list("/v1/b/", `X-Mayfly-List-Method: 1\r\n`));
    const [forgedGet, realList] = await client.echoes(2);
    expect(forgedGet).toMatchObject({ method: "GET", list: false, forged: "1" });
    expect(realList).toMatchObject({ method: "GET", list: true, forged: "1" });
  });

  it("answers pipelined POST-with-body then LIST sent in one segment", async () => {
    const { port } = await startFront();
    const client = await RawClient.connect(port);
    const body = "LIST /v1/not-a-request HTTP/1.1\r\n\r\n";
    client.write(post("/v1/a", body) + list("/v1/b/"));
    const [posted, listed] = await client.echoes(2);
    expect(posted).toMatchObject({ method: "POST", body, list: false });
    expect(listed).toMatchObject({ url: "/v1/b/", list: true });
  });

  it("leaves a body that starts with LIST alone, even when it arrives in its own segment", async () => {
    const { port } = await startFront();
    const client = await RawClient.connect(port);
    const body = "LIST /x HTTP/1.1\r\nHost: y\r\n\r\n";
    client.write(`POST /v1/a HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`);
    await delay(20);
    client.write(body);
    const [posted] = await client.echoes(1);
    expect(posted).toMatchObject({ method: "POST", body, list: false });
  });

  it("follows a chunked POST with trailers, then a LIST", async () => {
    const { port } = await startFront();
    const client = await RawClient.connect(port);
    client.write(
      "POST /v1/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "5\r\nLIST \r\n" +
        "10;ext=1\r\n/v1/b HTTP/1.1\r\n\r\n" +
        "0\r\nX-Checksum: abc\r\n\r\n" +
        list("/v1/c/"),
    );
    const [posted, listed] = await client.echoes(2);
    expect(posted).toMatchObject({ body: "LIST /v1/b HTTP/1.1\r\n", trailers: { "x-checksum": "abc" } });
    expect(listed).toMatchObject({ url: "/v1/c/", list: true });
  });

  it("rewrites a LIST whose head arrives byte by byte and in odd pieces", async () => {
    const { port } = await startFront();
    for (const pieceBytes of [1, 3, 7]) {
      const client = await RawClient.connect(port);
      await client.writeInPieces(list("/v1/secret/", `${LIST_MARKER_HEADER}: 1\r\n`), pieceBytes);
      const [listed] = await client.echoes(1);
      expect(listed).toMatchObject({ method: "GET", url: "/v1/secret/", list: true, forged: "1" });
      client.socket.destroy();
    }
  });

  it("serves an HTTP/1.0 LIST and closes the connection after it", async () => {
    const { port } = await startFront();
    const client = await RawClient.connect(port);
    client.write("LIST /v1/secret/ HTTP/1.0\r\n\r\n");
    const [listed] = await client.echoes(1);
    expect(listed).toMatchObject({ httpVersion: "1.0", list: true });
    await client.closed;
  });

  it("keeps one connection alive across many requests", async () => {
    const { port } = await startFront();
    const client = await RawClient.connect(port);
    const seenPorts = new Set<number | undefined>();
    for (let i = 0; i < 150; i++) {
      client.write(i % 3 === 0 ? list(`/v1/l${i}/`) : i % 3 === 1 ? get(`/v1/g${i}`) : post(`/v1/p${i}`, `LIST ${i}`));
      const [response] = await client.echoes(1);
      expect(response!.list).toBe(i % 3 === 0);
      expect(response!.url).toMatch(new RegExp(`${i}/?$`));
      seenPorts.add(response!.remotePort);
    }
    expect(seenPorts).toEqual(new Set([client.socket.localPort]));
  });

  it("exposes the client's address and the local port to handlers", async () => {
    const { port } = await startFront();
    const client = await RawClient.connect(port);
    client.write(get("/"));
    const [seen] = await client.echoes(1);
    expect(seen).toMatchObject({
      remoteAddress: "127.0.0.1",
      remotePort: client.socket.localPort,
      remoteFamily: "IPv4",
      localPort: port,
    });
    expect(seen!.encrypted).toBe(false);
  });
});

describe("a random mix of requests", () => {
  // Deterministic, so a failure can be replayed.
  function prng(seed: number): (n: number) => number {
    let state = seed;
    return (n) => {
      state = (state * 1664525 + 1013904223) >>> 0;
      return state % n;
    };
  }

  it("is answered in order and intact however it is cut into segments", async () => {
    const random = prng(20240611);
    const tricky = ["LIST ", "\r\n", "\r\n\r\n", "0\r\n\r\n", "GET / HTTP/1.1", "x-mayfly-list-method: 1", "abc", ";"];
    const randomBody = (): string => Array.from({ length: random(6) }, () => tricky[random(tricky.length)]).join("");
    let stream = "";
    const expected: Array<Partial<Echo>> = [];
    for (let k = 0; k < 60; k++) {
      const kind = random(4);
      if (kind === 0) {
        stream += list(`/v1/l${k}/`, random(2) ? `${LIST_MARKER_HEADER}: 1\r\n` : "");
        expected.push({ method: "GET", url: `/v1/l${k}/`, list: true, body: "" });
      } else if (kind === 1) {
        stream += get(`/v1/g${k}`, random(2) ? `X-Mayfly-List-Method: 1\r\n` : "");
        expected.push({ method: "GET", url: `/v1/g${k}`, list: false, body: "" });
      } else if (kind === 2) {
        const body = randomBody();
        stream += post(`/v1/p${k}`, body);
        expected.push({ method: "POST", url: `/v1/p${k}`, list: false, body });
      } else {
        const pieces = Array.from({ length: 1 + random(3) }, () => randomBody() || "z");
        stream += `PUT /v1/c${k} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`;
        for (const piece of pieces) stream += `${piece.length.toString(16)}${random(2) ? ";e=1" : ""}\r\n${piece}\r\n`;
        stream += random(2) ? "0\r\nX-T: LIST \r\n\r\n" : "0\r\n\r\n";
        expected.push({ method: "PUT", url: `/v1/c${k}`, list: false, body: pieces.join("") });
      }
    }
    const { port } = await startFront();
    const client = await RawClient.connect(port);
    for (let i = 0; i < stream.length; ) {
      const size = 1 + random(random(2) ? 8 : 400);
      client.write(stream.slice(i, i + size));
      i += size;
      if (random(3) === 0) await delay(1);
    }
    const echoes = await client.echoes(expected.length);
    echoes.forEach((seen, k) => expect(seen, `request ${k}`).toMatchObject(expected[k]!));
  });
});

describe("what the front leaves to llhttp", () => {
  it("passes Content-Length with Transfer-Encoding through, and llhttp refuses it", async () => {
    const { port } = await startFront();
    const client = await RawClient.connect(port);
    client.write("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    const [refused] = await client.read(1);
    expect(refused!.status).toBe(400);
    await client.closed;
  });

  it("passes an oversize head through, and llhttp answers 431", async () => {
    const { port } = await startFront();
    const client = await RawClient.connect(port);
    client.write(get("/a", `X-Big: ${"a".repeat(20 * 1024)}\r\n`));
    const [refused] = await client.read(1);
    expect(refused!.status).toBe(431);
  });

  it("frames heads up to http.Server's own maxHeaderSize, and stops framing past its own limit", async () => {
    const bigHeader = `X-Big: ${"a".repeat(20 * 1024)}\r\n`;
    const { port } = await startFront({ http: { maxHeaderSize: 64 * 1024 } });
    const client = await RawClient.connect(port);
    client.write(list("/v1/a/", bigHeader) + list("/v1/b/"));
    expect((await client.echoes(2)).map((e) => e.list)).toEqual([true, true]);

    const small = await startFront({ http: { maxHeaderSize: 64 * 1024 }, front: { maxHeaderBytes: 1024 } });
    const passedThrough = await RawClient.connect(small.port);
    passedThrough.write(get("/v1/a", bigHeader));
    expect((await passedThrough.read(1))[0]!.status).toBe(200);
    // From here on llhttp alone reads this connection, and it knows no LIST.
    passedThrough.write(list("/v1/b/"));
    expect((await passedThrough.read(1))[0]!.status).toBe(400);
  });

  it("hands an Upgrade to http.Server's upgrade listener with the raw bytes that follow", async () => {
    const { httpServer, port } = await startFront();
    httpServer.on("upgrade", (req: http.IncomingMessage, socket: FrontSocket, head: Buffer) => {
      openSockets.add(socket.underlyingSocket);
      socket.write("HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\n");
      if (head.length > 0) socket.write(head);
      socket.on("data", (chunk: Buffer) => socket.write(chunk));
    });
    const client = await RawClient.connect(port);
    client.write(get("/ws", "Connection: upgrade\r\nUpgrade: echo\r\n") + "LIST x");
    const [switched] = await client.read(1);
    expect(switched!.status).toBe(101);
    await vi.waitFor(() => expect(client.socket.bytesRead).toBeGreaterThan(0));
    client.write(" more");
    await delay(100);
    // After the 101, the connection carries the upgraded protocol's bytes, untouched.
    expect(client.unparsed).toBe("LIST x more");
  });

  it("lets CONNECT reach http.Server's connect listener, and survives a reset there", async () => {
    const { httpServer, port } = await startFront();
    const connected = new Promise<FrontSocket>((resolve) => {
      // No 'error' listener, as a careless handler would have it.
      httpServer.on("connect", (req: http.IncomingMessage, socket: FrontSocket) => {
        expect(req.url).toBe("example.com:443");
        socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        resolve(socket);
      });
    });
    const client = await RawClient.connect(port);
    client.write("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    expect((await client.read(1))[0]!.status).toBe(200);
    const tunnel = await connected;
    client.socket.resetAndDestroy();
    await new Promise((resolve) => tunnel.once("close", resolve));

    const after = await RawClient.connect(port);
    after.write(list("/v1/still-up/"));
    expect((await after.echoes(1))[0]).toMatchObject({ list: true });
  });
});

describe("socket behaviour http.Server relies on", () => {
  it("closes an idle keep-alive connection once keepAliveTimeout passes", async () => {
    const { httpServer, port } = await startFront();
    httpServer.keepAliveTimeout = 100;
    const client = await RawClient.connect(port);
    client.write(get("/"));
    await client.echoes(1);
    const idleSinceMs = Date.now();
    // http.Server adds a fixed 1 s to the advertised keep-alive timeout.
    await within(5_000, client.closed);
    expect(Date.now() - idleSinceMs).toBeGreaterThanOrEqual(1_000);
  });

  it("answers 408 to a head that stalls past headersTimeout", async () => {
    const { port } = await startFront({
      http: { connectionsCheckingInterval: 50, headersTimeout: 300, requestTimeout: 600 },
    });
    const client = await RawClient.connect(port);
    client.write("GET /slow HTTP/1.1\r\nHost: x\r\n");
    const [timedOut] = await client.read(1);
    expect(timedOut!.status).toBe(408);
    await client.closed;
  });

  it("destroys connections on closeAllConnections(), mid-request included", async () => {
    const { httpServer, port } = await startFront({ handler: () => {} });
    const client = await RawClient.connect(port);
    client.write(get("/hangs"));
    await delay(50);
    httpServer.closeAllConnections();
    await client.closed;
  });

  it("closes idle keep-alive connections when the front closes, and finishes the close", async () => {
    const { httpServer, front, port } = await startFront();
    httpServer.keepAliveTimeout = 60_000;
    const client = await RawClient.connect(port);
    client.write(get("/"));
    await client.echoes(1);
    const closed = new Promise<void>((resolve) => front.close(() => resolve()));
    // Without closing idle connections, the front would wait out the 60 s keep-alive.
    await within(5_000, Promise.all([closed, client.closed]));
  });

  it("lets http.Server.close() close the idle connections it was handed", async () => {
    const { httpServer, port } = await startFront();
    httpServer.keepAliveTimeout = 60_000;
    const client = await RawClient.connect(port);
    client.write(get("/"));
    await client.echoes(1);
    httpServer.close();
    await client.closed;
  });

  it("forwards socket options and timeouts to the real socket", async () => {
    const calls: unknown[] = [];
    const { port } = await startFront({
      handler: (req, res) => {
        const socket = req.socket as unknown as FrontSocket;
        const raw = socket.underlyingSocket;
        for (const name of ["setNoDelay", "setKeepAlive", "setTimeout"] as const) {
          vi.spyOn(raw, name).mockImplementation(function (this: net.Socket, ...args: unknown[]) {
            calls.push([name, ...args.filter((a) => typeof a !== "function")]);
            return this;
          });
        }
        expect(socket.setNoDelay(false)).toBe(socket);
        expect(socket.setKeepAlive(true, 1234)).toBe(socket);
        expect(socket.setTimeout(4321)).toBe(socket);
        vi.restoreAllMocks();
        res.end(JSON.stringify(socket.address()));
      },
    });
    const client = await RawClient.connect(port);
    client.write(get("/"));
    const [response] = await client.read(1);
    expect(JSON.parse(response!.body.toString())).toMatchObject({ port, address: "127.0.0.1" });
    expect(calls).toEqual([["setNoDelay", false], ["setKeepAlive", true, 1234], ["setTimeout", 4321]]);
  });

  it("survives clients that reset the connection mid-request and mid-response", async () => {
    const { port } = await startFront({
      handler: (req, res) => {
        if (req.url === "/big") {
          const piece = Buffer.alloc(64 * 1024, 1);
          const writeMore = (): void => {
            while (!res.destroyed && res.write(piece));
            if (!res.destroyed) res.once("drain", writeMore);
          };
          writeMore();
        } else echo(req, res);
      },
    });
    const early = await RawClient.connect(port);
    early.write("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc");
    await delay(20);
    early.socket.resetAndDestroy();
    const late = await RawClient.connect(port);
    late.write(get("/big"));
    await vi.waitFor(() => expect(late.socket.bytesRead).toBeGreaterThan(0));
    late.socket.resetAndDestroy();
    await delay(100);

    const after = await RawClient.connect(port);
    after.write(list("/v1/still-up/"));
    expect((await after.echoes(1))[0]).toMatchObject({ list: true });
  });
});

describe("back-pressure", () => {
  const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

  it("delivers a large upload to a slow reader intact, then the pipelined LIST after it", async () => {
    let rawPauses = 0;
    const { port } = await startFront({
      handler: (req, res) => {
        if (req.method !== "POST") return echo(req, res);
        const raw = (req.socket as unknown as FrontSocket).underlyingSocket;
        const pause = raw.pause.bind(raw);
        raw.pause = () => {
          rawPauses++;
          return pause();
        };
        const hash = createHash("sha256");
        req.on("data", (chunk: Buffer) => {
          hash.update(chunk);
          req.pause();
          setTimeout(() => req.resume(), 1);
        });
        req.on("end", () => res.end(hash.digest("hex")));
      },
    });
    const upload = randomBytes(4 * 1024 * 1024);
    upload.write("LIST /inside/the/body HTTP/1.1\r\n\r\n", 0, "latin1");
    const client = await RawClient.connect(port);
    client.write(`POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: ${upload.length}\r\n\r\n`);
    client.write(upload);
    client.write(list("/v1/after/"));
    const [uploaded, listed] = await client.read(2, 30_000);
    expect(uploaded!.body.toString()).toBe(sha256(upload));
    // The slow reader must have pushed back all the way to the TCP socket.
    expect(rawPauses).toBeGreaterThan(0);
    expect(JSON.parse(listed!.body.toString())).toMatchObject({ url: "/v1/after/", list: true });
  });

  it("delivers a large download to a client that reads late, intact", async () => {
    const download = randomBytes(8 * 1024 * 1024);
    let refusedWrites = 0;
    const { port } = await startFront({
      handler: (req, res) => {
        res.writeHead(200, { "content-length": download.length });
        let offset = 0;
        const writeMore = (): void => {
          while (offset < download.length) {
            const piece = download.subarray(offset, offset + 100_000);
            offset += piece.length;
            if (!res.write(piece)) {
              refusedWrites++;
              return void res.once("drain", writeMore);
            }
          }
          res.end();
        };
        writeMore();
      },
    });
    const client = await RawClient.connect(port);
    client.socket.pause();
    client.write(get("/down"));
    await delay(300);
    client.socket.resume();
    const [response] = await client.read(1, 30_000);
    expect(response!.body.length).toBe(download.length);
    expect(sha256(response!.body)).toBe(sha256(download));
    // The late reader must have made the handler wait for 'drain'.
    expect(refusedWrites).toBeGreaterThan(0);
  });

  it("answers hundreds of pipelined requests with large responses in order", async () => {
    const filler = "f".repeat(20_000);
    const { port } = await startFront({
      handler: (req, res) => {
        const tag = `${req.url} ${isListRequest(req) ? "list" : "get"}`;
        setTimeout(() => res.end(`${tag} ${filler}`), Math.random() * 3);
      },
    });
    const client = await RawClient.connect(port);
    let requests = "";
    for (let i = 0; i < 300; i++) requests += i % 2 === 0 ? list(`/v1/${i}/`) : get(`/v1/${i}`);
    client.write(requests);
    const responses = await client.read(300, 30_000);
    expect(responses.map((r) => r.body.toString().split(" ").slice(0, 2).join(" "))).toEqual(
      Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? `/v1/${i}/ list` : `/v1/${i} get`)),
    );
  });
});

describe("TLS", () => {
  let dir = "";
  const pem: Record<"serverKey" | "serverCert" | "clientKey" | "clientCert" | "strangerKey" | "strangerCert", string> = {
    serverKey: "",
    serverCert: "",
    clientKey: "",
    clientCert: "",
    strangerKey: "",
    strangerCert: "",
  };

  function selfSigned(name: string, commonName: string): [string, string] {
    const key = join(dir, `${name}-key.pem`);
    const cert = join(dir, `${name}-cert.pem`);
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
      "-subj", `/CN=${commonName}`, "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-days", "1", "-keyout", key, "-out", cert,
    ], { stdio: "ignore" });
    return [readFileSync(key, "latin1"), readFileSync(cert, "latin1")];
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "mayfly-front-tls-"));
    [pem.serverKey, pem.serverCert] = selfSigned("server", "localhost");
    [pem.clientKey, pem.clientCert] = selfSigned("client", "mayfly-client");
    [pem.strangerKey, pem.strangerCert] = selfSigned("stranger", "stranger");
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const tlsFront = (): FrontOptions => ({
    tls: { key: pem.serverKey, cert: pem.serverCert, ca: [pem.clientCert], requestCert: true, rejectUnauthorized: false },
  });

  it("terminates TLS, rewrites LIST and shows handlers the verified client certificate", async () => {
    const { port } = await startFront({ front: tlsFront() });
    const client = await RawClient.connectTls(port, {
      ca: pem.serverCert,
      key: pem.clientKey,
      cert: pem.clientCert,
      ALPNProtocols: ["http/1.1"],
    });
    client.write(post("/v1/a", "LIST ") + list("/v1/auth/cert/certs/"));
    const [posted, listed] = await client.echoes(2);
    expect(posted).toMatchObject({ method: "POST", body: "LIST ", list: false });
    expect(listed).toMatchObject({
      method: "GET",
      list: true,
      encrypted: true,
      authorized: true,
      authorizationError: null,
      peerCommonName: "mayfly-client",
      alpnProtocol: "http/1.1",
      remoteAddress: "127.0.0.1",
    });
  });

  it("reports an untrusted or missing client certificate as unauthorized", async () => {
    const { port } = await startFront({ front: tlsFront() });
    const stranger = await RawClient.connectTls(port, { ca: pem.serverCert, key: pem.strangerKey, cert: pem.strangerCert });
    stranger.write(get("/"));
    const [seenStranger] = await stranger.echoes(1);
    expect(seenStranger).toMatchObject({ authorized: false, peerCommonName: "stranger" });
    expect(seenStranger!.authorizationError).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
    const anonymous = await RawClient.connectTls(port, { ca: pem.serverCert });
    anonymous.write(get("/"));
    expect((await anonymous.echoes(1))[0]).toMatchObject({ authorized: false, peerCommonName: null });
  });

  it("shrugs off plain HTTP sent to the TLS port", async () => {
    const { port } = await startFront({ front: tlsFront() });
    const plain = await RawClient.connect(port);
    plain.write(list("/v1/a/"));
    await plain.closed;
    const client = await RawClient.connectTls(port, { ca: pem.serverCert });
    client.write(list("/v1/a/"));
    expect((await client.echoes(1))[0]).toMatchObject({ list: true });
  });

  it("serves node-vault's list() over TLS with a client certificate", async () => {
    const { port } = await startFront({ front: tlsFront(), handler: vaultStub });
    const vault = nodeVault({
      endpoint: `https://localhost:${port}`,
      token: "t",
      requestOptions: { ca: pem.serverCert, key: pem.clientKey, cert: pem.clientCert },
    });
    await expect(vault.list("secret/")).resolves.toEqual({ data: { keys: ["a"] } });
  });
});

// Answers like Vault's list of secret/ for a LIST, and 404 for everything else.
function vaultStub(req: http.IncomingMessage, res: http.ServerResponse): void {
  const found = isListRequest(req) && req.method === "GET" && req.url === "/v1/secret/";
  res.writeHead(found ? 200 : 404, { "content-type": "application/json" });
  res.end(found ? '{"data":{"keys":["a"]}}' : '{"errors":[]}');
}

describe("node-vault", () => {
  it("gets list() answered through the front", async () => {
    const { port } = await startFront({ handler: vaultStub });
    const vault = nodeVault({ endpoint: `http://127.0.0.1:${port}`, token: "t" });
    await expect(vault.list("secret/")).resolves.toEqual({ data: { keys: ["a"] } });
    // The same read as GET is not a list: the stub's 404 shows the marker made the difference.
    await expect(vault.read("secret/")).rejects.toThrow("Status 404");
  });
});
