/**
 * Answers that the official Go client (github.com/hashicorp/vault/api) and hvac depend on,
 * each found by the probes under compat/ and fixed; tested here over raw HTTP so that they
 * hold even where neither Go nor hvac is installed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";
import { client } from "./support/http.js";

let server: DevServer;
let root: ReturnType<typeof client>;

beforeAll(async () => {
  server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0", rootTokenId: "fixes-root" });
  root = client(server.addresses[0] as string, "fixes-root");
});

afterAll(async () => {
  await server?.close();
});

describe("sys/remount as the Go client's Sys().Remount polls it", () => {
  it("answers a migration id whose status reads success with both mount paths", async () => {
    expect((await root.post("sys/mounts/move-from", { type: "kv" })).status).toBe(204);
    const started = await root.post("sys/remount", { from: "move-from", to: "move-to" });
    expect(started.status).toBe(200);
    const id = started.json.data.migration_id as string;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(started.json.migration_id).toBe(id);

    const status = await root.get(`sys/remount/status/${id}`);
    expect(status.status).toBe(200);
    expect(status.json.data).toEqual({
      migration_id: id,
      migration_info: { source_mount: "move-from/", target_mount: "move-to/", status: "success" },
    });
  });

  it("answers an unknown migration id with an empty 404", async () => {
    const res = await root.get("sys/remount/status/00000000-0000-0000-0000-000000000000");
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ errors: [] });
  });
});
