// Raw-socket tests of the lane (src/http/lane): ordinary requests served without node:http,
// everything else handed to node:http behind the LIST front with not a byte lost, and the
// lane's own keep-alive, timeout, streaming and close behaviour.

import http from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { isListRequest } from "../src/http/front.js";
import type { LaneRequestLike } from "../src/http/lane/connection.js";
import type { ResponseLike } from "../src/http/lane/response.js";
import { closeFrontsAfterEach, get, list, post, RawClient, startFront, within } from "./support/front-harness.js";

closeFrontsAfterEach();

type AnyRequest = http.IncomingMessage | LaneRequestLike;

interface LaneEcho {
  lane: boolean;
  method: string;
  url: string;
  list: boolean;
  body: string;
  headers: Record<string, unknown>;
}

async function bodyOf(req: AnyRequest): Promise<string> {
  if ("readFullBody" in req) return (await req.readFullBody(64 << 20)).toString("latin1");
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("latin1");
}

/** Reports which path served the request and what reached it. */
function laneEcho(req: AnyRequest, res: ResponseLike | http.ServerResponse): void {
  // A client that leaves before its body is complete gets no answer.
  bodyOf(req).catch(() => null).then((body) => {
    if (body === null) return;
    const payload: LaneEcho = {
      lane: "listMethod" in req,
      method: req.method ?? "",
      url: req.url ?? "",
      list: isListRequest(req),
      body,
      headers: { ...req.headers },
    };
    const text = JSON.stringify(payload);
    res.writeHead(200, ["Content-Type", "application/json", "Content-Length", String(Buffer.byteLength(text))]);
    res.end(text);
  });
}

async function startLane(options: { http?: http.ServerOptions; handler?: typeof laneEcho } = {}) {
  const handler = options.handler ?? laneEcho;
  return startFront({ handler: handler as never, ...(options.http ? { http: options.http } : {}), front: { lane: handler } });
}

async function echoes(client: RawClient, count: number): Promise<LaneEcho[]> {
  const responses = await client.read(count);
  expect(responses.map((r) => r.status)).toEqual(Array(count).fill(200));
  return responses.map((r) => JSON.parse(r.body.toString("latin1")) as LaneEcho);
}

describe("the lane serves ordinary requests itself", () => {
  it("GET, LIST and POST pipelined in one segment, with node:http's response headers", async () => {
    const { port } = await startLane();
    const client = await RawClient.connect(port);
    client.write(list("/v1/secret/") + get("/v1/secret/a?x=1", "X-Vault-Token: t\r\n") + post("/v1/secret/a", '{"k":"v"}'));
    const responses = await client.read(3);
    const [listed, read, written] = responses.map((r) => JSON.parse(r.body.toString("latin1")) as LaneEcho);
    expect(listed).toMatchObject({ lane: true, method: "GET", url: "/v1/secret/", list: true });
    expect(read).toMatchObject({ lane: true, method: "GET", url: "/v1/secret/a?x=1", list: false });
    expect(read!.headers).toMatchObject({ host: "x", "x-vault-token": "t" });
    expect(written).toMatchObject({ lane: true, method: "POST", body: '{"k":"v"}' });
    const headers = responses[0]!.headers;
    expect(headers["connection"]).toBe("keep-alive");
    expect(headers["keep-alive"]).toMatch(/^timeout=\d+$/);
    expect(new Date(headers["date"]!).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it("reads heads and bodies however they are split", async () => {
    const { port } = await startLane();
    const body = '{"a":"' + "z".repeat(300) + '"}';
    const text = post("/v1/p", body) + list("/v1/l/") + get("/v1/g");
    for (const piece of [1, 7, 100]) {
      const client = await RawClient.connect(port);
      await client.writeInPieces(text, piece);
      const [p, l, g] = await echoes(client, 3);
      expect(p).toMatchObject({ lane: true, method: "POST", body });
      expect(l).toMatchObject({ lane: true, list: true, url: "/v1/l/" });
      expect(g).toMatchObject({ lane: true, url: "/v1/g" });
    }
  });

  it("answers Connection: close with Connection: close, then closes", async () => {
    const { port } = await startLane();
    const client = await RawClient.connect(port);
    client.write(get("/v1/a", "Connection: close\r\n") + get("/v1/never"));
    const [response] = await client.read(1);
    expect(response!.headers["connection"]).toBe("close");
    await within(2000, client.closed);
    expect(await client.read(1)).toEqual([]);
  });

  it("streams a response of unknown length in chunked encoding", async () => {
    const streamer = (req: AnyRequest, res: ResponseLike | http.ServerResponse): void => {
      req.resume();
      res.writeHead(200, ["Content-Type", "text/plain"]);
      res.flushHeaders();
      res.write("one\n");
      setTimeout(() => {
        res.write("two\n");
        res.end();
      }, 20);
    };
    const { port } = await startLane({ handler: streamer });
    const response = await new Promise<{ headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      http.get({ port, host: "127.0.0.1", path: "/v1/sys/monitor" }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ headers: res.headers, body }));
      }).on("error", reject);
    });
    expect(response.headers["transfer-encoding"]).toBe("chunked");
    expect(response.body).toBe("one\ntwo\n");
  });

  it("a large body the handler asks for late arrives whole (reading paused meanwhile)", async () => {
    let bytesReadWhileWaiting = 0;
    const late = (req: AnyRequest, res: ResponseLike | http.ServerResponse): void => {
      setTimeout(() => {
        bytesReadWhileWaiting = req.socket.bytesRead;
        void bodyOf(req).then((body) => {
          const text = String(body.length);
          res.writeHead(200, ["Content-Length", String(text.length)]);
          res.end(text);
        });
      }, 300);
    };
    const { port } = await startLane({ handler: late });
    const client = await RawClient.connect(port);
    const body = "b".repeat(4 << 20);
    client.write(`PUT /v1/big HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`);
    client.write(body);
    const [response] = await client.read(1);
    expect(response!.body.toString()).toBe(String(body.length));
    // Not the whole 4 MiB before anyone asked for it: the lane stopped reading at a bound.
    expect(bytesReadWhileWaiting).toBeLessThan(2 << 20);
  });

  it("thousands of pipelined requests answered at once (no await) are all answered, in order", async () => {
    const immediate = (req: AnyRequest, res: ResponseLike | http.ServerResponse): void => {
      req.resume();
      const text = req.url ?? "";
      res.writeHead(200, ["Content-Length", String(text.length)]);
      res.end(text);
    };
    const { port } = await startLane({ handler: immediate });
    const client = await RawClient.connect(port);
    const count = 3000;
    client.write(Array.from({ length: count }, (_, i) => get(`/v1/${i}`)).join(""));
    const responses = await client.read(count, 30_000);
    expect(responses.map((r) => r.body.toString())).toEqual(Array.from({ length: count }, (_, i) => `/v1/${i}`));
  });

  it("a body larger than the reader's limit is refused and the connection closed", async () => {
    const limited = (req: AnyRequest, res: ResponseLike | http.ServerResponse): void => {
      const reading = "readFullBody" in req ? req.readFullBody(10) : Promise.reject(new Error("not the lane"));
      reading.then(
        () => res.end(),
        (e: Error) => {
          res.writeHead(413, ["Content-Length", String(e.message.length)]);
          res.end(e.message);
        },
      );
    };
    const { port } = await startLane({ handler: limited });
    const client = await RawClient.connect(port);
    client.write(`PUT /v1/a HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{"a":`);
    const [response] = await client.read(1);
    expect(response!.status).toBe(413);
    expect(response!.headers["connection"]).toBe("close");
    await within(2000, client.closed);
  });
});

describe("what the lane does not read goes to node:http, byte for byte", () => {
  const cases: Array<[string, string]> = [
    ["a chunked body", "POST /v1/c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"],
    ["HTTP/1.0", "GET /v1/old HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"],
    ["a repeated header", "GET /v1/d HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nX-A: 2\r\n\r\n"],
    ["a non-ASCII header value", "GET /v1/u HTTP/1.1\r\nHost: x\r\nX-Name: caf\xe9\r\n\r\n"],
  ];
  it.each(cases)("%s, and the requests after it on the connection", async (_name, request) => {
    const { port } = await startLane();
    const client = await RawClient.connect(port);
    client.write(get("/v1/first") + request + list("/v1/after/"));
    const parsed = await echoes(client, 3);
    expect(parsed[0]).toMatchObject({ lane: true, url: "/v1/first" });
    expect(parsed[1]).toMatchObject({ lane: false });
    if (request.includes("abc")) expect(parsed[1]!.body).toBe("abc");
    if (request.includes("X-A")) expect(parsed[1]!.headers["x-a"]).toBe("1, 2");
    // Once with node:http, the connection stays there: LIST still works through the front.
    expect(parsed[2]).toMatchObject({ lane: false, url: "/v1/after/", list: true });
  });

  it("Expect: 100-continue gets node:http's 100 first", async () => {
    const { port } = await startLane();
    const client = await RawClient.connect(port);
    client.write(get("/v1/first") + "POST /v1/e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}" + list("/v1/after/"));
    const responses = await client.read(4);
    expect(responses.map((r) => r.status)).toEqual([200, 100, 200, 200]);
    expect(JSON.parse(responses[2]!.body.toString("latin1"))).toMatchObject({ lane: false, body: "{}" });
    expect(JSON.parse(responses[3]!.body.toString("latin1"))).toMatchObject({ lane: false, list: true });
  });

  it("a request without Host gets node:http's 400", async () => {
    const { port } = await startLane();
    const client = await RawClient.connect(port);
    client.write("GET /v1/a HTTP/1.1\r\n\r\n");
    const [response] = await client.read(1);
    expect(response!.status).toBe(400);
  });

  it("a head longer than the limit gets node:http's 431", async () => {
    const { port } = await startLane();
    const client = await RawClient.connect(port);
    client.write(get("/v1/a", `X-Big: ${"b".repeat(20_000)}\r\n`));
    const [response] = await client.read(1);
    expect(response!.status).toBe(431);
  });
});

describe("lane connections end as node:http's do", () => {
  it("an idle connection closes after keepAliveTimeout", async () => {
    const { port, httpServer } = await startLane();
    httpServer.keepAliveTimeout = 300;
    const client = await RawClient.connect(port);
    client.write(get("/v1/a"));
    await client.read(1);
    await within(4000, client.closed);
  });

  it("a client that does not finish its request in time gets 408", async () => {
    const { port } = await startLane({ http: { requestTimeout: 800, headersTimeout: 500 } });
    const client = await RawClient.connect(port);
    client.write("GET /v1/slow HTTP/1.1\r\nHost: x\r\n");
    await within(4000, client.closed);
    const [response] = await client.read(1);
    expect(response?.status).toBe(408);
  });

  it("closeIdleConnections closes idle ones only; closeAllConnections the rest", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const slow = (req: AnyRequest, res: ResponseLike | http.ServerResponse): void => {
      req.resume();
      void held.then(() => res.end());
    };
    const { port, httpServer } = await startLane({ handler: slow });
    const idle = await RawClient.connect(port);
    const busy = await RawClient.connect(port);
    busy.write(get("/v1/wait"));
    await delay(100);
    httpServer.closeIdleConnections();
    await within(2000, idle.closed);
    expect(busy.isClosed).toBe(false);
    httpServer.closeAllConnections();
    await within(2000, busy.closed);
    release();
  });

  it.each([
    ["a lane connection", (path: string) => get(path)],
    ["a connection handed to node:http", (path: string) => `POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
  ])("closing the front ends %s busy answering after its answer (Connection: close), not after keep-alive", async (_name, request) => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const slow = (req: AnyRequest, res: ResponseLike | http.ServerResponse): void => {
      req.resume();
      void held.then(() => {
        res.writeHead(200, ["Content-Length", "2"]);
        res.end("ok");
      });
    };
    const { port, front } = await startLane({ handler: slow });
    const busy = await RawClient.connect(port);
    busy.write(request("/v1/wait"));
    await delay(100);
    let closed = false;
    front.close(() => (closed = true));
    release();
    const [answer] = await busy.read(1);
    expect(answer!.status).toBe(200);
    expect(answer!.headers["connection"]).toBe("close");
    await within(2000, busy.closed);
    await delay(50);
    expect(closed).toBe(true);
  });

  it("a client that leaves mid-body does not take the server down", async () => {
    const { port } = await startLane();
    const client = await RawClient.connect(port);
    client.write(`PUT /v1/a HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"a"`);
    await delay(50);
    client.socket.destroy();
    const next = await RawClient.connect(port);
    next.write(get("/v1/b"));
    const [b] = await echoes(next, 1);
    expect(b).toMatchObject({ lane: true, url: "/v1/b" });
  });
});
