/**
 * The help of the database, KV (v1 and v2), cubbyhole, token, userpass, sys and identity
 * backends is written, not generated: every path declares a `help` whose first paragraph
 * is a one-line synopsis, and every field a description. This walks the declarations of
 * the mounted backends so a path added later without help fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backend, PathDef } from "../src/framework/types.js";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";
import { client } from "./support/http.js";

let server: DevServer;
let root: ReturnType<typeof client>;

/** The mounts under test: kind, path, and the mount request when the dev server lacks it. */
const MOUNTS = [
  { kind: "secret", path: "database/", mount: { type: "database" } },
  { kind: "secret", path: "kv1/", mount: { type: "kv", options: { version: "1" } } },
  { kind: "secret", path: "secret/" },
  { kind: "secret", path: "cubbyhole/" },
  { kind: "auth", path: "token/" },
  { kind: "auth", path: "userpass/", mount: { type: "userpass" } },
  { kind: "secret", path: "sys/" },
  { kind: "secret", path: "identity/" },
] as const;

beforeAll(async () => {
  server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0" });
  root = client(server.addresses[0] as string, server.rootToken);
  for (const m of MOUNTS) {
    if (!("mount" in m)) continue;
    const where = m.kind === "auth" ? `sys/auth/${m.path}` : `sys/mounts/${m.path}`;
    expect((await root.post(where.slice(0, -1), m.mount)).status).toBe(204);
  }
});
afterAll(async () => {
  await server.close();
});

function backendAt(kind: "secret" | "auth", path: string): Backend {
  const mounted = server.core.mounts.get(kind, path);
  if (!mounted) throw new Error(`nothing mounted at ${kind} ${path}`);
  return mounted.runner.backend;
}

function patternsOf(def: PathDef): string {
  return typeof def.pattern === "string" ? def.pattern || "/" : def.pattern.join(" | ");
}

/** Every way a declaration's help falls short, as "<mount><pattern>: what" lines. */
function helpProblems(mountPath: string, def: PathDef): string[] {
  const where = `${mountPath}${patternsOf(def)}`;
  const problems: string[] = [];
  const help = def.help?.trim() ?? "";
  if (help === "") {
    problems.push(`${where}: no help`);
  } else {
    const synopsis = help.split(/\n\s*\n/)[0] ?? "";
    if (synopsis.includes("\n")) problems.push(`${where}: synopsis spans several lines`);
    if (!synopsis.endsWith(".")) problems.push(`${where}: synopsis does not end a sentence`);
    if (/[.!?] [A-Z]/.test(synopsis)) problems.push(`${where}: synopsis holds more than one sentence`);
    if (synopsis.length > 100) problems.push(`${where}: synopsis longer than 100 characters`);
  }
  for (const [name, schema] of Object.entries(def.fields ?? {})) {
    if ((schema.description?.trim() ?? "") === "") problems.push(`${where}: field ${name} has no description`);
  }
  return problems;
}

describe("written help of the backends", () => {
  for (const m of MOUNTS) {
    it(`every path of ${m.kind === "auth" ? "auth/" : ""}${m.path} has help and every field a description`, () => {
      const backend = backendAt(m.kind, m.path);
      expect(backend.paths.length).toBeGreaterThan(0);
      const problems = backend.paths.flatMap((def) => helpProblems(m.path, def));
      expect(problems).toEqual([]);
    });
  }

  it("the walk notices a path without help and a field without a description", () => {
    const bare: PathDef = { pattern: "x/:name", fields: { name: { type: "string" } }, operations: { read: async () => undefined } };
    expect(helpProblems("m/", bare)).toEqual(["m/x/:name: no help", "m/x/:name: field name has no description"]);
    const twoSentences: PathDef = { ...bare, fields: {}, help: "Read it. Then more." };
    expect(helpProblems("m/", twoSentences)).toEqual(["m/x/:name: synopsis holds more than one sentence"]);
  });
});

/** The `name (type)` line and the description under it, as the help text lays out one parameter. */
function parameter(help: string, name: string): { type: string; description: string } | undefined {
  const lines = help.split("\n");
  const at = lines.findIndex((l) => l.startsWith(`    ${name} (`));
  if (at === -1) return undefined;
  const type = (lines[at] as string).slice(`    ${name} (`.length, -1);
  return { type, description: (lines[at + 2] ?? "").trim() };
}

describe("path-help sys/mounts and sys/auth", () => {
  // One declaration serves both tables; each must still speak of its own kind of mount.
  it("describes a secrets engine under sys/mounts and an auth method under sys/auth", async () => {
    const mounts = (await root.get("sys/mounts/kv1/tune?help=1")).json.help as string;
    const auth = (await root.get("sys/auth/userpass/tune?help=1")).json.help as string;
    expect(mounts.split("\n")[3]).toBe("Read or change the settings of the secrets engine mounted at a path.");
    expect(auth.split("\n")[3]).toBe("Read or change the settings of the auth method mounted at a path.");
    expect(auth).toContain("Needs sudo.");
    expect(mounts).not.toContain("Needs sudo.");
    expect(parameter(auth, "token_type")?.type).toBe("any");
    expect(parameter(auth, "token_type")?.description).toContain("default-batch");
  });
});

describe("path-help database/roles/x", () => {
  it("prints the synopsis, every field with its description, the templates and the operations", async () => {
    const r = await root.get("database/roles/x?help=1");
    expect(r.status).toBe(200);
    const help = r.json.help as string;
    const lines = help.split("\n");
    expect(lines.slice(0, 4)).toEqual([
      "Request:        roles/x",
      "Matching Route: roles/:name",
      "",
      "Manage dynamic roles: how creds/<name> makes database users, and for how long.",
    ]);
    expect(help).not.toContain("<no description>");
    expect(parameter(help, "db_name")?.description).toMatch(/^The connection \(config\/<db_name>\)/);
    expect(parameter(help, "default_ttl")).toEqual({
      type: "duration (sec)",
      description: "Lease TTL of issued credentials; 0 (the default) uses the mount's default lease TTL.",
    });
    expect(parameter(help, "creation_statements")?.description).toContain("{{name}}, {{password}} and {{expiration}}");
    expect(parameter(help, "credential_type")?.description).toContain("only password");
    const description = help.slice(help.indexOf("## DESCRIPTION"));
    expect(description).toContain("{{expiration}}");
    expect(description).toContain("2006-01-02 15:04:05-0700");
    expect(description.trimEnd().endsWith("Operations: read, create, update, delete.")).toBe(true);
    // The OpenAPI document carries the same texts.
    const item = r.json.openapi.paths["/roles/{name}"];
    expect(item.description).toBe("Manage dynamic roles: how creds/<name> makes database users, and for how long.");
    expect(item.parameters[0].description).toContain("creds/<name>");
    expect(item.post.requestBody.content["application/json"].schema.properties.max_ttl.description).toContain("renewal");
  });

  it("the mount root lists each database path with its synopsis", async () => {
    const r = await root.get("database?help=1");
    expect(r.status).toBe(200);
    const help = r.json.help as string;
    expect(help).toContain("    creds/:name\n        Issue a new database user and password from a dynamic role, under a lease.\n");
    expect(help).not.toContain("Serves ");
  });
});
