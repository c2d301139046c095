// Raw-socket tests of the LIST front under load and over TLS: back-pressure on large bodies,
// TLS termination (client certificates, ALPN) and a real Vault client (node-vault).

import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { setTimeout as delay } from "node:timers/promises";
import nodeVault from "node-vault";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FrontSocket, isListRequest, type FrontOptions } from "../src/http/front.js";
import type { LaneRequestLike } from "../src/http/lane/connection.js";
import type { ResponseLike } from "../src/http/lane/response.js";
import { closeFrontsAfterEach, echo, get, list, post, RawClient, startFront } from "./support/front-harness.js";

closeFrontsAfterEach();

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

  it("the lane, over TLS, gives handlers the TLS socket with the client certificate", async () => {
    const seen: Array<Record<string, unknown>> = [];
    const handler = (req: http.IncomingMessage | LaneRequestLike, res: http.ServerResponse | ResponseLike): void => {
      const socket = req.socket as tls.TLSSocket;
      seen.push({
        lane: "listMethod" in req,
        list: isListRequest(req),
        encrypted: socket.encrypted === true,
        authorized: socket.authorized,
        peer: socket.getPeerCertificate(false).subject?.CN ?? null,
      });
      req.resume();
      res.writeHead(200, ["Content-Length", "0"]);
      res.end();
    };
    const { port } = await startFront({ handler: handler as never, front: { ...tlsFront(), lane: handler } });
    const client = await RawClient.connectTls(port, { ca: pem.serverCert, key: pem.clientKey, cert: pem.clientCert });
    client.write(list("/v1/auth/cert/certs/") + get("/v1/a"));
    await client.read(2);
    expect(seen).toEqual([
      { lane: true, list: true, encrypted: true, authorized: true, peer: "mayfly-client" },
      { lane: true, list: false, encrypted: true, authorized: true, peer: "mayfly-client" },
    ]);
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
