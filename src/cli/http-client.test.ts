import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { ApiError, TransportError, VaultClient, encodeVaultPath } from "./http-client.js";
import { StubServer } from "./testing.js";

const stub = new StubServer();
let client: VaultClient;

beforeAll(async () => {
  await stub.start();
  client = new VaultClient({ address: stub.address + "/", token: "tok" });
  stub
    .on("GET", "secret/foo", { body: { request_id: "r1", lease_duration: 0, data: { a: "b" } } })
    .on("GET", "secret/gone", { status: 404, body: { errors: [] } })
    .on("GET", "secret/deleted", { status: 404, body: { data: { data: null, metadata: { version: 2, deletion_time: "x" } } } })
    .on("GET", "secret/denied", { status: 403, body: { errors: ["permission denied"] } })
    .on("GET", "secret/html", { status: 502, body: "<html>bad gateway</html>" })
    .on("PUT", "secret/foo", { status: 204 })
    .on("GET", "secret", (req) => ({ body: { data: { keys: [req.query["list"] === "true" ? "listed" : "read"] } } }));
});
afterAll(() => stub.close());

describe("VaultClient", () => {
  it("sends the token and X-Vault-Request headers", async () => {
    await client.read("secret/foo");
    const req = stub.last();
    expect(req.headers["x-vault-token"]).toBe("tok");
    expect(req.headers["x-vault-request"]).toBe("true");
    expect(req.headers["connection"]).toBe("close");
  });

  it("lists with GET ?list=true", async () => {
    const secret = await client.list("secret");
    expect(stub.last().method).toBe("GET");
    expect(stub.last().query).toEqual({ list: "true" });
    expect(secret?.data?.["keys"]).toEqual(["listed"]);
  });

  it("reads a 404 without data as no secret, and keeps a 404 with data", async () => {
    expect(await client.read("secret/gone")).toBeNull();
    const deleted = await client.read("secret/deleted");
    expect(deleted?.data?.["metadata"]).toEqual({ version: 2, deletion_time: "x" });
  });

  it("renders API errors as Go's ResponseError", async () => {
    const err = await client.read("secret/denied").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toBe(
      `Error making API request.\n\nURL: GET ${stub.address}/v1/secret/denied\nCode: 403. Errors:\n\n* permission denied`,
    );
    const raw = await client.read("secret/html").catch((e: unknown) => e);
    expect((raw as ApiError).message).toBe(
      `Error making API request.\n\nURL: GET ${stub.address}/v1/secret/html\nCode: 502. Raw Message:\n\n<html>bad gateway</html>`,
    );
  });

  it("writes JSON bodies and returns null for an empty answer", async () => {
    expect(await client.write("secret/foo", { value: "x" })).toBeNull();
    const req = stub.last();
    expect(req.method).toBe("PUT");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.body).toEqual({ value: "x" });
  });

  it("can send a request with no token", async () => {
    await client.raw("GET", "secret/foo", { token: null });
    expect(stub.last().headers["x-vault-token"]).toBeUndefined();
  });

  it("reports connection failures in Go's url.Error words", async () => {
    const dead = new VaultClient({ address: "http://127.0.0.1:1" });
    const err = await dead.read("sys/health").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as Error).message).toMatch(/^Get "http:\/\/127\.0\.0\.1:1\/v1\/sys\/health": .*ECONNREFUSED/);
  });

  it("escapes paths like Go's url package, keeping slashes", () => {
    expect(encodeVaultPath("database/creds/app role/x@y")).toBe("database/creds/app%20role/x@y");
  });

  it("sends namespace, wrap-ttl and extra headers when configured", async () => {
    const c = new VaultClient({ address: stub.address, namespace: "team", wrapTtl: "5m", headers: { "X-Extra": "1" } });
    await c.read("secret/foo");
    const h = stub.last().headers;
    expect(h["x-vault-namespace"]).toBe("team");
    expect(h["x-vault-wrap-ttl"]).toBe("5m");
    expect(h["x-extra"]).toBe("1");
  });
});

describe("client timeout", () => {
  it("gives up on a server that never answers, with the reason", async () => {
    const { createServer } = await import("node:net");
    // Accepts connections and never writes a byte back.
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const { port } = silent.address() as { port: number };
    const client = new VaultClient({ address: `http://127.0.0.1:${port}`, timeoutMs: 200 });
    const started = Date.now();
    await expect(client.request("GET", "sys/health")).rejects.toThrow(/no answer within 0.2s \(client timeout\)/);
    expect(Date.now() - started).toBeLessThan(2_000);
    silent.close();
  });
});

describe("retries, as the Go client's", () => {
  it("sends again after a 5xx, 412 or 429 and returns the first other answer", async () => {
    let calls = 0;
    const statuses = [503, 412, 429, 200];
    stub.on("GET", "retry/flaky", () => {
      const status = statuses[calls++] ?? 200;
      return status === 200 ? { body: { data: { ok: true } } } : { status, body: { errors: [`status ${status}`] } };
    });
    const waits: number[] = [];
    const retrying = new VaultClient({ address: stub.address, maxRetries: 3, retryWaitMs: (n) => (waits.push(n), 1) });
    const secret = await retrying.read("retry/flaky");
    expect(secret?.data).toEqual({ ok: true });
    expect(calls).toBe(4);
    expect(waits).toEqual([1, 2, 3]);
  });

  it("stops after maxRetries, answering with the last error; never retries 4xx or 501", async () => {
    let calls = 0;
    stub.on("GET", "retry/down", () => (calls++, { status: 500, body: { errors: ["boom"] } }));
    const retrying = new VaultClient({ address: stub.address, maxRetries: 2, retryWaitMs: () => 1 });
    await expect(retrying.request("GET", "retry/down")).rejects.toThrow(/Code: 500/);
    expect(calls).toBe(3);

    for (const [status, path] of [[403, "retry/denied"], [400, "retry/bad"], [501, "retry/unimplemented"]] as const) {
      let n = 0;
      stub.on("GET", path, () => (n++, { status, body: { errors: ["no"] } }));
      await expect(retrying.request("GET", path)).rejects.toThrow(new RegExp(`Code: ${status}`));
      expect(n).toBe(1);
    }
  });

  it("sends again when nothing answers, and a write's body goes each time", async () => {
    const { createServer, connect } = await import("node:net");
    // Refuses the first connection outright (reset), then the stub's own server answers.
    let resets = 0;
    let bodies: string[] = [];
    stub.on("PUT", "retry/write", (req) => (bodies.push(JSON.stringify(req.body)), { status: 204 }));
    const proxy = createServer((socket) => {
      if (resets++ === 0) return socket.resetAndDestroy();
      const { port } = new URL(stub.address);
      const upstream = connect(Number(port), "127.0.0.1");
      socket.pipe(upstream).pipe(socket);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const { port } = proxy.address() as { port: number };
    const retrying = new VaultClient({ address: `http://127.0.0.1:${port}`, maxRetries: 2, retryWaitMs: () => 1 });
    await retrying.write("retry/write", { a: 1 });
    expect(resets).toBe(2);
    expect(bodies).toEqual(['{"a":1}']);
    bodies = [];
    proxy.close();
  });

  it("does not send again when the server's certificate is refused", async () => {
    const { execFileSync } = await import("node:child_process");
    const { mkdtempSync, readFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const https = await import("node:https");
    const dir = mkdtempSync(join(tmpdir(), "mayfly-retry-tls-"));
    try {
      execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
        "-days", "1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
      let handshakes = 0;
      const server = https.createServer({ key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) }, (_req, res) => res.end("{}"));
      server.on("connection", () => handshakes++);
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const { port } = server.address() as { port: number };
      const waits: number[] = [];
      const untrusting = new VaultClient({ address: `https://127.0.0.1:${port}`, maxRetries: 2, retryWaitMs: (n) => (waits.push(n), 1) });
      await expect(untrusting.request("GET", "sys/health")).rejects.toBeInstanceOf(TransportError);
      expect(waits).toEqual([]);
      expect(handshakes).toBe(1);
      server.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is off unless asked for (the library default), so one refused connection fails at once", async () => {
    const refusing = new VaultClient({ address: "http://127.0.0.1:1" });
    await expect(refusing.request("GET", "sys/health")).rejects.toBeInstanceOf(TransportError);
  });
});
