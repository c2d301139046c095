/**
 * Fault trials for audit: when no enabled device can record a request, the request is
 * refused and not served (a write is not applied, a secret is not returned); one working
 * device is enough; and service comes back by itself once the file can be written again.
 * The fault: the audit file's path is taken by a directory (as a botched rotation might),
 * which the device notices on its periodic path check and cannot reopen.
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, rmdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";

let server: DevServer;
let dir: string;

interface Answer {
  status: number;
  body: Record<string, unknown>;
  text: string;
}

async function api(method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${server.addresses[0]}/v1/${path}`, {
    method,
    headers: { "X-Vault-Token": "root", "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, text, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

// Longer than a file device's path check interval (1 s).
const PATH_CHECK_WAIT_MS = 1_300;
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

function breakPath(file: string): void {
  renameSync(file, `${file}.moved`);
  mkdirSync(file);
}

function mendPath(file: string): void {
  rmdirSync(file);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mayfly-audit-faults-"));
  server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0", rootTokenId: "root" });
  expect((await api("PUT", "secret/data/app", { data: { password: "before-the-fault" } })).status).toBe(200);
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("audit devices that cannot write", () => {
  it("with its only device failing, nothing is served: no secret out, no write applied; then it recovers", async () => {
    const file = join(dir, "only.log");
    expect((await api("PUT", "sys/audit/only", { type: "file", options: { file_path: file } })).status).toBe(204);
    expect((await api("GET", "secret/data/app")).status).toBe(200);

    breakPath(file);
    try {
      await sleep(PATH_CHECK_WAIT_MS);
      const read = await api("GET", "secret/data/app");
      expect(read.status).toBe(500);
      expect(read.body.errors).toBeInstanceOf(Array);
      expect(read.text).not.toContain("before-the-fault");

      const write = await api("PUT", "secret/data/app", { data: { password: "during-the-fault" } });
      expect(write.status).toBe(500);
    } finally {
      mendPath(file);
    }
    await sleep(PATH_CHECK_WAIT_MS);

    // Served again, and the refused write never happened.
    const after = await api("GET", "secret/data/app");
    expect(after.status).toBe(200);
    const data = after.body.data as { data: { password: string }; metadata: { version: number } };
    expect(data.data.password).toBe("before-the-fault");
    expect(data.metadata.version).toBe(1);
    // The device writes to the path again (a fresh file), with the secret HMAC'd.
    const lines = readFileSync(file, "utf8").trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(readFileSync(file, "utf8")).not.toContain("before-the-fault");

    expect((await api("DELETE", "sys/audit/only")).status).toBe(204);
  }, 30_000);

  it("one working device is enough: requests are served and recorded there", async () => {
    const broken = join(dir, "broken.log");
    const working = join(dir, "working.log");
    expect((await api("PUT", "sys/audit/broken", { type: "file", options: { file_path: broken } })).status).toBe(204);
    expect((await api("PUT", "sys/audit/working", { type: "file", options: { file_path: working } })).status).toBe(204);
    breakPath(broken);
    try {
      await sleep(PATH_CHECK_WAIT_MS);
      const read = await api("GET", "secret/data/app");
      expect(read.status).toBe(200);
      const requestId = String(read.body.request_id);
      const recorded = readFileSync(working, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { type: string; request: { id: string } });
      expect(recorded.filter((e) => e.request.id === requestId).map((e) => e.type)).toEqual(["request", "response"]);
    } finally {
      mendPath(broken);
    }
    expect((await api("DELETE", "sys/audit/broken")).status).toBe(204);
    expect((await api("DELETE", "sys/audit/working")).status).toBe(204);
  }, 30_000);
});
