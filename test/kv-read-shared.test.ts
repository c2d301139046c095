// KV v2 reads answer from shared, frozen parses whose JSON (and audit rendering) is made once:
// these checks go through the whole server, barrier cache included, so a remembered body that
// outlived a change to its key would show here.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";
import { client } from "./support/http.js";

let server: DevServer;
let root: ReturnType<typeof client>;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mayfly-kv-shared-"));
  server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0", rootTokenId: "root-kv-shared" });
  root = client(server.addresses[0] as string, server.rootToken);
  expect((await root.put("sys/audit/file", { type: "file", options: { file_path: join(dir, "audit.log") } })).status).toBe(204);
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("KV v2 reads from shared records", () => {
  it("follow every change to the key: metadata, new versions, deletes", async () => {
    await root.put("secret/data/shared", { data: { password: "first-secret" } });
    const first = await root.get("secret/data/shared");
    const again = await root.get("secret/data/shared");
    const withoutId = (text: string) => text.replace(/"request_id":"[^"]+"/, "");
    expect(withoutId(again.text)).toBe(withoutId(first.text));
    expect(first.json.data).toEqual({
      data: { password: "first-secret" },
      metadata: expect.objectContaining({ version: 1, custom_metadata: null, destroyed: false }),
    });

    expect((await root.post("secret/metadata/shared", { custom_metadata: { owner: "team-a" } })).status).toBe(204);
    expect((await root.get("secret/data/shared")).json.data.metadata.custom_metadata).toEqual({ owner: "team-a" });

    await root.put("secret/data/shared", { data: { password: "second-secret" } });
    const latest = await root.get("secret/data/shared");
    expect(latest.json.data.data).toEqual({ password: "second-secret" });
    expect(latest.json.data.metadata.version).toBe(2);
    const old = await root.get("secret/data/shared?version=1");
    expect(old.json.data.data).toEqual({ password: "first-secret" });
    expect(old.json.data.metadata).toEqual(expect.objectContaining({ version: 1, custom_metadata: { owner: "team-a" } }));

    expect((await root.delete("secret/data/shared")).status).toBe(204);
    const gone = await root.get("secret/data/shared");
    expect(gone.status).toBe(404);
    expect(gone.json.data.data).toBeNull();
    expect(gone.json.data.metadata.deletion_time).not.toBe("");
  });

  it("audit every read's answer HMAC'd, the same for the same secret", async () => {
    await root.put("secret/data/audited-shared", { data: { token: "audited-secret-value" } });
    for (let i = 0; i < 3; i++) expect((await root.get("secret/data/audited-shared")).status).toBe(200);
    const hash = (await root.post("sys/audit-hash/file", { input: "audited-secret-value" })).json.hash as string;
    const text = readFileSync(join(dir, "audit.log"), "utf8");
    expect(text).not.toContain("audited-secret-value");
    const responses = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((l) => l.type === "response" && l.request.path === "secret/data/audited-shared" && l.request.operation === "read");
    expect(responses).toHaveLength(3);
    for (const r of responses) expect(r.response.data.data).toEqual({ token: hash });
    // Each read's request line comes before its response line.
    const lines = text.trim().split("\n").map((l) => JSON.parse(l));
    for (const r of responses) {
      const at = lines.findIndex((l) => l.type === "response" && l.request.id === r.request.id);
      const req = lines.findIndex((l) => l.type === "request" && l.request.id === r.request.id);
      expect(req).toBeGreaterThanOrEqual(0);
      expect(req).toBeLessThan(at);
    }
  });
});
