/** secrets move / auth move: the remount and its status polling, against a stub and a dev server. */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../../server/dev.js";
import { silentLogger } from "../../server/logger.js";
import { StubServer, run } from "../testing.js";
import { movePolling } from "./mounts-move.js";

const stub = new StubServer();
let addr = "";
let server: DevServer;
const defaultInterval = movePolling.intervalMs;

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
  movePolling.intervalMs = 5;
});
afterEach(() => {
  movePolling.intervalMs = defaultInterval;
});

const status = (s: string) => ({ body: { data: { migration_id: "m-1", migration_info: { source_mount: "secret/", target_mount: "generic/", status: s } } } });

describe("secrets move against a stub", () => {
  it("posts sys/remount with trailing slashes, then polls the migration until it succeeds", async () => {
    stub.on("POST", "sys/remount", { body: { migration_id: "m-1", data: { migration_id: "m-1" } } });
    let polls = 0;
    stub.on("GET", "sys/remount/status/m-1", () => (++polls < 3 ? status("in-progress") : status("success")));
    const r = await run(["secrets", "move", "secret", "generic"], addr);
    expect(r.code).toBe(0);
    expect(stub.requests[0]).toMatchObject({ method: "POST", path: "sys/remount", body: { from: "secret/", to: "generic/" } });
    expect(polls).toBe(3);
    const waiting = "Waiting for terminal status in migration of secrets engine secret/ to generic/, with migration ID m-1";
    expect(r.stdout).toBe(
      [
        "Started moving secrets engine secret/ to generic/, with migration ID m-1",
        waiting,
        waiting,
        "Success! Finished moving secrets engine secret/ to generic/, with migration ID m-1",
        "",
      ].join("\n"),
    );
  });

  it("reports a failed migration on stderr and still exits 0, as Vault's CLI does", async () => {
    stub.on("POST", "sys/remount", { body: { data: { migration_id: "m-1" } } });
    stub.on("GET", "sys/remount/status/m-1", status("failure"));
    const r = await run(["secrets", "move", "secret/", "generic/"], addr);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("Failure! Error encountered moving secrets engine secret/ to generic/, with migration ID m-1\n");
  });

  it("exits 2 when the server refuses the move or the status", async () => {
    stub.on("POST", "sys/remount", { status: 400, body: { errors: ["no matching mount at \"nope/\""] } });
    const refused = await run(["secrets", "move", "nope", "other"], addr);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("Error moving secrets engine nope/ to other/: Error making API request.");
    stub.on("POST", "sys/remount", { body: { data: { migration_id: "m-2" } } });
    stub.on("GET", "sys/remount/status/m-2", { status: 403, body: { errors: ["permission denied"] } });
    const unreadable = await run(["secrets", "move", "a", "b"], addr);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain("Error checking migration status of secrets engine a/ to b/: Error making API request.");
  });

  it("wants two paths", async () => {
    expect(await run(["secrets", "move", "a"], addr)).toMatchObject({ code: 1, stderr: "Not enough arguments (expected 2, got 1)\n" });
    expect(await run(["auth", "move", "a", "b", "c"], addr)).toMatchObject({ code: 1, stderr: "Too many arguments (expected 2, got 3)\n" });
    expect(stub.requests).toHaveLength(0);
  });
});

describe("moves against a dev server", () => {
  const dev = (args: string[]) => run(args, server.addresses[0] as string, { env: { MAYFLY_TOKEN: server.rootToken } });

  it("moves a KV engine with its data, and an auth method", async () => {
    expect((await dev(["secrets", "enable", "-path=before", "-version=2", "kv"])).code).toBe(0);
    expect((await dev(["kv", "put", "before/app", "k=v"])).code).toBe(0);
    const moved = await dev(["secrets", "move", "before", "after"]);
    expect(moved.code).toBe(0);
    expect(moved.stdout).toMatch(/^Started moving secrets engine before\/ to after\/, with migration ID \S+\nSuccess! Finished moving/);
    expect((await dev(["kv", "get", "-field=k", "after/app"])).stdout).toBe("v");
    expect((await dev(["secrets", "list"])).stdout).not.toContain("before/");

    expect((await dev(["auth", "enable", "-path=people", "userpass"])).code).toBe(0);
    const authMoved = await dev(["auth", "move", "auth/people", "auth/staff"]);
    expect(authMoved.code).toBe(0);
    expect(authMoved.stdout).toContain("Success! Finished moving auth method auth/people/ to auth/staff/");
    const auths = (await dev(["auth", "list"])).stdout;
    expect(auths).toContain("staff/");
    expect(auths).not.toContain("people/");
  });
});
