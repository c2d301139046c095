/** path-help against a stub (request shape, errors) and a dev server (the real help). */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../../server/dev.js";
import { silentLogger } from "../../server/logger.js";
import { StubServer, run } from "../testing.js";

const stub = new StubServer();
let addr = "";
let server: DevServer;

beforeAll(async () => {
  addr = await stub.start();
  server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0" });
});
afterAll(async () => {
  await stub.close();
  await server.close();
});
beforeEach(() => {
  stub.requests.length = 0;
});

describe("path-help against a stub", () => {
  it("asks GET <path>?help=1 without the trailing slash and prints the help text", async () => {
    stub.on("GET", "database", { body: { help: "## DESCRIPTION\n\nThe database backend.", openapi: { openapi: "3.0.2" }, see_also: null } });
    const r = await run(["path-help", "database/"], addr);
    expect(r).toEqual({ code: 0, stdout: "## DESCRIPTION\n\nThe database backend.\n", stderr: "" });
    expect(stub.last()).toMatchObject({ method: "GET", path: "database", query: { help: "1" } });
  });

  it("prints the OpenAPI document as compact JSON with -format=json, keys sorted as Go's encoder does", async () => {
    stub.on("GET", "secret/data/x", { body: { help: "text", openapi: { paths: { "/data/{path}": { description: "<a>" } }, openapi: "3.0.2" } } });
    const r = await run(["path-help", "-format=json", "secret/data/x"], addr);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"openapi":"3.0.2","paths":{"/data/{path}":{"description":"\\u003ca\\u003e"}}}\n');
  });

  it("reports a server error with exit 2, and a sealed server in Vault's words", async () => {
    stub.on("GET", "nope/x", { status: 404, body: { errors: ["unsupported path"] } });
    const missing = await run(["path-help", "nope/x"], addr);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("Error retrieving help: Error making API request.");
    expect(missing.stderr).toContain("* unsupported path");
    stub.on("GET", "sealed/x", { status: 503, body: { errors: ["Vault is sealed"] } });
    const sealed = await run(["path-help", "sealed/x"], addr);
    expect(sealed.code).toBe(2);
    expect(sealed.stderr).toMatch(/^Error: Vault is sealed\.\n\nThe "path-help" command requires/);
  });

  it("wants exactly one path", async () => {
    expect(await run(["path-help"], addr)).toMatchObject({ code: 1, stderr: "Not enough arguments (expected 1, got 0)\n" });
    expect(await run(["path-help", "a", "b"], addr)).toMatchObject({ code: 1, stderr: "Too many arguments (expected 1, got 2)\n" });
    expect(stub.requests).toHaveLength(0);
  });
});

describe("path-help against a dev server", () => {
  const dev = (args: string[], token = server.rootToken) => run(args, server.addresses[0] as string, { env: { MAYFLY_TOKEN: token } });

  it("prints the help of a KV v2 data path and of the mount root", async () => {
    const r = await dev(["path-help", "secret/data/app"]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n").slice(0, 2)).toEqual(["Request:        data/app", "Matching Route: data/*path"]);
    expect(r.stdout).toContain("    data (map)\n");
    const rootHelp = await dev(["path-help", "secret/"]);
    expect(rootHelp.code).toBe(0);
    expect(rootHelp.stdout).toContain("## PATHS");
  });

  it("prints the path's OpenAPI document with -format=json", async () => {
    const r = await dev(["path-help", "-format=json", "auth/token/create"]);
    expect(r.code).toBe(0);
    expect(Object.keys((JSON.parse(r.stdout) as { paths: Record<string, unknown> }).paths)).toEqual(["/create"]);
  });

  it("exits 2 for an unsupported path and without a valid token", async () => {
    const missing = await dev(["path-help", "secret-nope/x"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no handler for route");
    const denied = await dev(["path-help", "sys/mounts"], "not-a-token");
    expect(denied.code).toBe(2);
    expect(denied.stderr).toContain("* permission denied");
  });
});
