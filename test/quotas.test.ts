/**
 * Rate limit quotas: per-client allowances per interval on all paths, a mount or a path,
 * the most specific rule winning; 429 with Retry-After past the rate; exempt paths; rules
 * kept across a seal. Windows of a second or two pass in real time.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";
import { api as call } from "./support/http.js";

let server: DevServer;
let url: string;
beforeEach(async () => {
  server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0", rootTokenId: "root" });
  url = server.addresses[0] as string;
  await call(url, "POST", "secret/data/app", { token: "root", body: { data: { k: "v" } } });
});
afterEach(async () => {
  await server.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const s = {
  rootToken: "root",
  api: async (method: string, path: string, opts: { token?: string; body?: unknown } = {}) => {
    const r = await call(url, method, path, opts);
    return { status: r.status, body: r.json as Record<string, unknown> | undefined };
  },
};
const read = () => call(url, "GET", "secret/data/app", { token: "root" });
const put = (name: string, body: Record<string, unknown>) => s.api("POST", `sys/quotas/rate-limit/${name}`, { token: "root", body });

describe("rate limit quotas", () => {
  it("refuses a client past its rate with 429 and Retry-After, until the window passes", async () => {
    expect((await put("kv", { path: "secret/", rate: 3, interval: "4s" })).status).toBe(204);
    for (let i = 0; i < 3; i++) expect((await read()).status).toBe(200);
    const refused = await read();
    expect(refused.status).toBe(429);
    expect(refused.json.errors).toEqual(['request path "secret/data/app": rate limit quota exceeded']);
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    // Other mounts and the exempt paths are not counted.
    expect((await call(url, "GET", "auth/token/lookup-self", { token: "root" })).status).toBe(200);
    expect((await call(url, "GET", "sys/health")).status).toBe(200);
    await sleep(4_100);
    expect((await read()).status).toBe(200);
  });

  it("applies the most specific rule, blocks for block_interval, and sends X-Ratelimit headers when asked", async () => {
    await put("global", { rate: 1000 });
    await put("app", { path: "secret/data/app", rate: 1, interval: "3s", block_interval: "6s" });
    await s.api("POST", "sys/quotas/config", { token: s.rootToken, body: { enable_rate_limit_response_headers: true } });
    const first = await read();
    expect(first.status).toBe(200);
    expect(first.headers["x-ratelimit-limit"]).toBe("1");
    expect(first.headers["x-ratelimit-remaining"]).toBe("0");
    expect((await read()).status).toBe(429);
    // The window is over, the block is not. (Windows of seconds, so a slow machine's pauses
    // between two requests cannot land them in different windows.)
    await sleep(3_300);
    const blocked = await read();
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    await sleep(3_000);
    expect((await read()).status).toBe(200);
  });

  it("validates rules, lists and reads them as Vault, and keeps them across a seal", async () => {
    expect((await put("bad", { path: "nowhere/", rate: 1 })).body?.errors).toEqual(['invalid mount path "nowhere/"']);
    expect((await put("bad", { path: "secret/", rate: 0 })).body?.errors).toEqual(["rate must be positive"]);
    expect((await put("bad", { path: "secret/", rate: "fast" })).body?.errors).toEqual(["rate must be a number"]);
    expect((await put("one", { path: "secret", rate: 5, interval: "1m" })).status).toBe(204);
    expect((await put("two", { path: "secret/", rate: 9 })).body?.errors).toEqual(['quota rule with similar properties exists under the name "one"']);
    expect((await s.api("GET", "sys/quotas/rate-limit/one", { token: s.rootToken })).body?.data).toEqual({
      name: "one", type: "rate-limit", path: "secret/", role: "", rate: 5, interval: 60, block_interval: 0, inheritable: false,
    });
    expect((await s.api("LIST", "sys/quotas/rate-limit", { token: s.rootToken })).body?.data).toEqual({ keys: ["one"] });
    expect(((await s.api("GET", "sys/quotas/config", { token: s.rootToken })).body?.data as { rate_limit_exempt_paths: string[] }).rate_limit_exempt_paths).toContain("sys/health");

    await s.api("PUT", "sys/seal", { token: "root" });
    await sleep(200);
    await call(url, "PUT", "sys/unseal", { body: { key: server.unsealKey } });
    expect((await s.api("GET", "sys/quotas/rate-limit/one", { token: s.rootToken })).status).toBe(200);
    expect((await s.api("DELETE", "sys/quotas/rate-limit/one", { token: s.rootToken })).status).toBe(204);
    expect((await s.api("GET", "sys/quotas/rate-limit/one", { token: s.rootToken })).status).toBe(404);
  });

  it("audits refused requests when enable_rate_limit_audit_logging is set", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mayfly-quota-audit-"));
    const file = join(dir, "audit.log");
    await s.api("PUT", "sys/audit/file", { token: "root", body: { type: "file", options: { file_path: file } } });
    await put("kv", { path: "secret/", rate: 1, interval: "1m" });
    expect((await read()).status).toBe(200);
    expect((await read()).status).toBe(429);
    const refusedEntries = () =>
      readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { error?: string }).filter((e) => e.error?.includes("rate limit quota exceeded"));
    expect(refusedEntries()).toHaveLength(0);
    await s.api("POST", "sys/quotas/config", { token: "root", body: { enable_rate_limit_audit_logging: true } });
    expect((await read()).status).toBe(429);
    const entries = refusedEntries() as Array<{ type: string; request: { path: string; operation: string } }>;
    expect(entries.map((e) => e.type)).toEqual(["request", "response"]);
    expect(entries[0]?.request).toMatchObject({ path: "secret/data/app", operation: "read" });
  });
});
