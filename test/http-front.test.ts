// Raw-socket tests of the LIST front against a real http.Server: the bytes on the wire are
// written by hand so that segmenting, pipelining and framing are exactly what each case says.

import http from "node:http";
import net from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { describe, expect, it, vi } from "vitest";
import { FrontSocket, LIST_MARKER_HEADER } from "../src/http/front.js";
import { closeFrontsAfterEach, echo, get, list, openSockets, post, RawClient, startFront, within, type Echo } from "./support/front-harness.js";

closeFrontsAfterEach();

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
