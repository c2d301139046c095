/**
 * sys/rotate/config: when the barrier's active key is replaced on its own (Vault's
 * max_operations, interval, enabled), checked against a clock the test moves.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startCoreServer, type CoreServer } from "./support/core-server.js";

let s: CoreServer;
beforeEach(async () => {
  s = await startCoreServer({ startMs: Date.UTC(2026, 0, 1) });
});
afterEach(async () => {
  await s.close();
});

const term = async (): Promise<number> => (await s.api("GET", "sys/key-status", { token: s.rootToken })).body?.term as number;

describe("sys/rotate/config", () => {
  it("reads Vault's defaults, changes only the fields written, and validates them", async () => {
    const read = async () => (await s.api("GET", "sys/rotate/config", { token: s.rootToken })).body?.data;
    expect(await read()).toEqual({ max_operations: 3_865_470_566, enabled: true, interval: 0 });
    expect((await s.api("POST", "sys/rotate/config", { token: s.rootToken, body: { interval: "48h" } })).status).toBe(204);
    expect(await read()).toEqual({ max_operations: 3_865_470_566, enabled: true, interval: "48h0m0s" });
    const low = await s.api("POST", "sys/rotate/config", { token: s.rootToken, body: { max_operations: 10 } });
    expect(low.status).toBe(400);
    expect(low.body?.errors).toEqual(["max_operations must be in the range [1000000,3865470566]"]);
    expect((await s.api("POST", "sys/rotate/config", { token: s.rootToken, body: { interval: "1h" } })).body?.errors).toEqual([
      "interval must be greater or equal to 24h0m0s",
    ]);
    expect((await s.api("POST", "sys/rotate/config", { token: s.rootToken, body: { enabled: "maybe" } })).status).toBe(400);
    expect(await read()).toEqual({ max_operations: 3_865_470_566, enabled: true, interval: "48h0m0s" });
  });

  it("rotates once the active key is older than the interval, and not when disabled", async () => {
    await s.api("POST", "sys/rotate/config", { token: s.rootToken, body: { interval: "24h" } });
    const first = await term();
    await s.core.maintainKeyring();
    expect(await term()).toBe(first);
    s.clock.advanceSeconds(25 * 3600);
    await s.core.maintainKeyring();
    expect(await term()).toBe(first + 1);
    await s.api("POST", "sys/rotate/config", { token: s.rootToken, body: { enabled: false } });
    s.clock.advanceSeconds(49 * 3600);
    await s.core.maintainKeyring();
    expect(await term()).toBe(first + 1);
  });

  it("needs sudo", async () => {
    await s.core.policies.write("rot", 'path "sys/rotate/config" { capabilities = ["read", "update"] }');
    const token = ((await s.api("POST", "auth/token/create", { token: s.rootToken, body: { policies: ["rot"] } })).body?.auth as { client_token: string }).client_token;
    expect((await s.api("GET", "sys/rotate/config", { token })).status).toBe(403);
  });
});
