/**
 * A mount's `audit_non_hmac_request_keys` and `audit_non_hmac_response_keys` (sys/mounts
 * tune): the strings under those keys are written in clear in the audit log, every other
 * string of the request and response data stays HMAC'd.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";
import { client } from "./support/http.js";

let server: DevServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mayfly-non-hmac-"));
  server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0", rootTokenId: "root" });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface AuditLine {
  type: string;
  request: { path: string; operation: string; data?: { data?: Record<string, unknown> } };
  response?: { data?: { data?: Record<string, unknown> } };
}

describe("audit_non_hmac_*_keys", () => {
  it("leave the tuned keys in clear in request and response lines, and only those", async () => {
    const root = client(server.addresses[0] as string, "root");
    const file = join(dir, "audit.log");
    expect((await root.put("sys/audit/file", { type: "file", options: { file_path: file } })).status).toBe(204);
    const tune = await root.post("sys/mounts/secret/tune", {
      audit_non_hmac_request_keys: ["region"],
      audit_non_hmac_response_keys: ["owner"],
    });
    expect(tune.status).toBe(204);

    const data = { region: "eu-west", owner: "team-a", password: "s3cr3t-value" };
    expect((await root.put("secret/data/app", { data })).status).toBe(200);
    expect((await root.get("secret/data/app")).status).toBe(200);

    const lines = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as AuditLine);
    const write = lines.find((l) => l.type === "request" && l.request.path === "secret/data/app" && l.request.operation !== "read");
    const read = lines.find((l) => l.type === "response" && l.request.path === "secret/data/app" && l.request.operation === "read");
    const written = write?.request.data?.data ?? {};
    expect(written.region).toBe("eu-west");
    expect(written.owner).toMatch(/^hmac-sha256:/);
    expect(written.password).toMatch(/^hmac-sha256:/);
    const answered = read?.response?.data?.data ?? {};
    expect(answered.owner).toBe("team-a");
    expect(answered.region).toMatch(/^hmac-sha256:/);
    expect(answered.password).toMatch(/^hmac-sha256:/);
    expect(readFileSync(file, "utf8")).not.toContain("s3cr3t-value");
  });
});
