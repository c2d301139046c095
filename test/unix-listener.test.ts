/**
 * listener "unix": HTTP on a Unix domain socket. The CLI reaches it with
 * MAYFLY_ADDR=unix:///path, a socket file left by a crashed run is replaced, a file of any
 * other kind is refused, and socket_mode applies.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../src/server/app.js";
import { parseServerConfig } from "../src/server/config.js";
import { silentLogger } from "../src/server/logger.js";
import { InmemStorage } from "../src/storage/inmem.js";
import { assertBuilt, cleanEnv, runMayfly } from "./support/e2e.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mayfly-unix-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const listenerAt = (path: string, extra: string[] = []) =>
  parseServerConfig(['storage "inmem" {}', 'listener "unix" {', `  address = "${path}"`, ...extra, "}"].join("\n"), "unix.hcl").listeners;

describe('listener "unix"', () => {
  it("serves the API to the CLI over the socket, replacing a stale socket file", async () => {
    assertBuilt();
    const sock = join(dir, "run", "mayfly.sock");
    // A socket file a killed server left behind.
    execFileSync("mkdir", ["-p", join(dir, "run")]);
    execFileSync("python3", ["-c", `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(sock)})`]);
    expect(statSync(sock).isSocket()).toBe(true);
    const server = await startServer({ storage: new InmemStorage(), storageType: "inmem", logger: silentLogger, listeners: listenerAt(sock, ['  socket_mode = "0600"']) });
    try {
      expect(server.addresses).toEqual([`unix://${sock}`]);
      expect(statSync(sock).mode & 0o777).toBe(0o600);
      const env = cleanEnv({ MAYFLY_ADDR: `unix://${sock}` });
      const init = await runMayfly(["operator", "init", "-key-shares=1", "-key-threshold=1", "-format=json"], { env });
      expect(init.code, init.stderr).toBe(0);
      const { unseal_keys_b64: keys, root_token: token } = JSON.parse(init.stdout) as { unseal_keys_b64: string[]; root_token: string };
      expect((await runMayfly(["operator", "unseal", keys[0] as string], { env })).code).toBe(0);
      const lookup = await runMayfly(["token", "lookup", "-format=json"], { env: cleanEnv({ MAYFLY_ADDR: `unix://${sock}`, MAYFLY_TOKEN: token }) });
      expect(lookup.code, lookup.stderr).toBe(0);
      expect(JSON.parse(lookup.stdout).data.policies).toEqual(["root"]);
    } finally {
      await server.close();
    }
  });

  it("refuses a path that is not a socket, and bad settings with their line", async () => {
    const plain = join(dir, "plain-file");
    writeFileSync(plain, "keep me");
    await expect(startServer({ storage: new InmemStorage(), storageType: "inmem", logger: silentLogger, listeners: listenerAt(plain) })).rejects.toThrow(
      /exists and is not a socket/,
    );
    expect(() => listenerAt("relative.sock")).toThrow(/unix\.hcl:3: listener "unix": address must be the absolute path/);
    expect(() => listenerAt("/run/m.sock", ["  tls_disable = false"])).toThrow(/TLS is not served on a Unix socket/);
    expect(() => listenerAt("/run/m.sock", ['  socket_mode = "rw"'])).toThrow(/socket_mode must be octal/);
  });
});
