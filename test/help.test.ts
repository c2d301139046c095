/** `GET /v1/<path>?help=1` against a dev server: Vault's help shape, built from the path declarations. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";
import { client } from "./support/http.js";

let server: DevServer;
let root: ReturnType<typeof client>;
let anonymous: ReturnType<typeof client>;
let address: string;

beforeAll(async () => {
  server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0" });
  address = server.addresses[0] as string;
  root = client(address, server.rootToken);
  anonymous = client(address);
  // No connection configured: help comes from the declarations, not from the engine's state.
  expect((await root.post("sys/mounts/database", { type: "database" })).status).toBe(204);
});
afterAll(async () => {
  await server.close();
});

/** The `Name (type)` line and the description under it, as the help text lays out one parameter. */
function parameter(help: string, name: string): { type: string; description: string } | undefined {
  const lines = help.split("\n");
  const at = lines.findIndex((l) => l.startsWith(`    ${name} (`));
  if (at === -1) return undefined;
  const type = (lines[at] as string).slice(`    ${name} (`.length, -1);
  return { type, description: (lines[at + 2] ?? "").trim() };
}

describe("help requests", () => {
  it("KV v2 data/: Vault's shape, the matching route, the fields with types and descriptions", async () => {
    const r = await root.get("secret/data/app/config?help=1");
    expect(r.status).toBe(200);
    expect(Object.keys(r.json).sort()).toEqual(["help", "openapi", "see_also"]);
    expect(r.json.see_also).toBeNull();
    const help = r.json.help as string;
    expect(help.split("\n").slice(0, 2)).toEqual(["Request:        data/app/config", "Matching Route: data/*path"]);
    expect(help).toContain("## PARAMETERS");
    expect(help).toContain("## DESCRIPTION");
    expect(parameter(help, "data")).toEqual({ type: "map", description: "The secret's key/value pairs." });
    expect(parameter(help, "options")?.type).toBe("map");
    expect(parameter(help, "path")).toEqual({ type: "string", description: "Location of the secret." });
    const doc = r.json.openapi;
    expect(doc.openapi).toBe("3.0.2");
    const item = doc.paths["/data/{path}"];
    expect(item.parameters).toEqual([expect.objectContaining({ name: "path", in: "path", required: true })]);
    expect(Object.keys(item)).toEqual(expect.arrayContaining(["get", "post", "patch", "delete"]));
    expect(item.post.requestBody.content["application/json"].schema.properties.data).toMatchObject({ type: "object" });
    // The help request is not a read: nothing is written or read at the path.
    expect((await root.get("secret/data/app/config")).status).toBe(404);
  });

  it("KV v2 data/ with no key matches the listing pattern", async () => {
    const r = await root.get("secret/data/?help=1");
    expect(r.status).toBe(200);
    expect(r.json.help).toContain("Matching Route: data/\n");
  });

  it("database roles/:name of an engine with no connection configured", async () => {
    const r = await root.get("database/roles/readonly?help=1");
    expect(r.status).toBe(200);
    const help = r.json.help as string;
    expect(help).toContain("Request:        roles/readonly\nMatching Route: roles/:name");
    expect(parameter(help, "db_name")?.type).toBe("string");
    expect(parameter(help, "default_ttl")?.type).toBe("duration (sec)");
    expect(parameter(help, "creation_statements")?.type).toBe("slice");
    const schema = r.json.openapi.paths["/roles/{name}"].post.requestBody.content["application/json"].schema;
    expect(schema.properties.default_ttl).toMatchObject({ type: "string", format: "duration" });
    // Reading the role itself still finds nothing: help did not touch the engine.
    expect((await root.get("database/roles/readonly")).status).toBe(404);
  });

  it("database roles/ lists under GET with list=true in the OpenAPI document", async () => {
    const r = await root.get("database/roles/?help=1");
    expect(r.status).toBe(200);
    expect(r.json.openapi.paths["/roles/"].get.parameters).toEqual([expect.objectContaining({ name: "list", in: "query" })]);
  });

  it("sys/mounts and auth/token/create", async () => {
    const mounts = await root.get("sys/mounts?help=1");
    expect(mounts.status).toBe(200);
    expect(mounts.json.help).toContain("Request:        mounts\nMatching Route: mounts");
    expect(Object.keys(mounts.json.openapi.paths)).toEqual(["/mounts"]);

    const create = await root.get("auth/token/create?help=1");
    expect(create.status).toBe(200);
    const help = create.json.help as string;
    expect(help).toContain("Matching Route: create\n");
    expect(parameter(help, "policies")?.type).toBe("slice");
    expect(parameter(help, "ttl")?.type).toBe("duration (sec)");
    expect(parameter(help, "id")?.description).toBe("The token itself; needs root or sudo.");
  });

  it("the mount root lists every path of the backend", async () => {
    const r = await root.get("secret?help=1");
    expect(r.status).toBe(200);
    expect(r.json.help).toContain("## PATHS");
    expect(r.json.help).toContain("\n    metadata/*path\n");
    expect(Object.keys(r.json.openapi.paths)).toEqual(expect.arrayContaining(["/data/{path}", "/metadata/{path}", "/config"]));
  });

  it("any non-empty help value, any method", async () => {
    expect((await root.get("secret/data/x?help=true")).status).toBe(200);
    const post = await root.post("secret/data/x?help=1", { data: { a: "b" } });
    expect(post.status).toBe(200);
    expect(post.json.help).toContain("Matching Route: data/*path");
    // The POST was answered with help, not written.
    expect((await root.get("secret/data/x")).status).toBe(404);
    // help= (empty) is no help request: a plain read.
    expect((await root.get("secret/data/x?help=")).status).toBe(404);
  });

  it("refuses a request without a token, and with an unknown one", async () => {
    const none = await anonymous.get("secret/data/app?help=1");
    expect(none.status).toBe(403);
    expect(none.json).toEqual({ errors: ["permission denied"] });
    expect((await client(address, "not-a-token").get("sys/mounts?help=1")).status).toBe(403);
  });

  it("needs no capability on the path, but a sudo path needs root", async () => {
    const token = (await root.post("auth/token/create", { policies: ["default"] })).json.auth.client_token as string;
    const user = client(address, token);
    expect((await user.get("secret/data/app")).status).toBe(403);
    expect((await user.get("secret/data/app?help=1")).status).toBe(200);
    expect((await user.get("sys/audit?help=1")).status).toBe(403);
    expect((await root.get("sys/audit?help=1")).status).toBe(200);
  });

  it("answers for the wrapping paths without a wrapping token, and for a login path without any token", async () => {
    const unwrap = await root.get("sys/wrapping/unwrap?help=1");
    expect(unwrap.status).toBe(200);
    expect(unwrap.json.help).toContain("Matching Route: wrapping/unwrap");
    expect((await root.post("sys/auth/userpass", { type: "userpass" })).status).toBe(204);
    const login = await anonymous.get("auth/userpass/login/bob?help=1");
    expect(login.status).toBe(200);
    expect(login.json.help).toContain("Request:        login/bob");
    expect(login.json.openapi.paths["/login/{username}"]["x-vault-unauthenticated"]).toBe(true);
  });

  it("answers 404 unsupported path inside a mount, and no handler outside any mount", async () => {
    const inside = await root.get("database/no-such-thing/x?help=1");
    expect(inside.status).toBe(404);
    expect(inside.json).toEqual({ errors: ["unsupported path"] });
    const outside = await root.get("nowhere/x?help=1");
    expect(outside.status).toBe(404);
    expect(outside.json.errors[0]).toContain("no handler for route");
  });

  it("is audited as operation help, request and response", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mayfly-help-audit-"));
    const file = join(dir, "audit.log");
    try {
      expect((await root.put("sys/audit/helpfile", { type: "file", options: { file_path: file } })).status).toBe(204);
      expect((await root.get("secret/data/audited?help=1")).status).toBe(200);
      expect((await root.delete("sys/audit/helpfile")).status).toBe(204);
      const entries = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
      const help = entries.filter((e) => e.request?.operation === "help" && e.request?.path === "secret/data/audited");
      expect(help.map((e) => e.type)).toEqual(["request", "response"]);
      expect(help[1].response.data.help).toMatch(/^hmac-sha256:/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("uses up a token's uses like any request", async () => {
    const token = (await root.post("auth/token/create", { policies: ["default"], num_uses: 1 })).json.auth.client_token as string;
    const user = client(address, token);
    expect((await user.get("sys/mounts?help=1")).status).toBe(200);
    expect((await user.get("sys/mounts?help=1")).status).toBe(403);
  });
});
