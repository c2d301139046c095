import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../testing.js";
import { diagnose } from "./operator-diagnose.js";

let dir: string;
const cert = (name: string, days: number) => {
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", join(dir, `${name}.key`), "-out", join(dir, `${name}.crt`), "-days", String(days), "-subj", "/CN=localhost",
  ], { stdio: "ignore" });
};
const config = (name: string, listener: string[]) => {
  const file = join(dir, `${name}.hcl`);
  writeFileSync(file, [`storage "sqlite" {`, `  path = "${join(dir, `${name}.db`)}"`, "}", 'listener "tcp" {', ...listener, "}"].join("\n"));
  return file;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mayfly-diagnose-"));
  cert("long", 365);
  cert("short", 5);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("operator diagnose", () => {
  it("passes a sound configuration and warns about a certificate that expires soon", async () => {
    const good = await diagnose([config("good", ['  address = "127.0.0.1:0"', `  tls_cert_file = "${join(dir, "long.crt")}"`, `  tls_key_file = "${join(dir, "long.key")}"`])]);
    expect(good.status).toBe("success");
    const soon = await diagnose([config("soon", ['  address = "127.0.0.1:0"', `  tls_cert_file = "${join(dir, "short.crt")}"`, `  tls_key_file = "${join(dir, "short.key")}"`])]);
    expect(soon.status).toBe("warning");
    expect(JSON.stringify(soon)).toMatch(/expires in [45] days/);
  });

  it("fails a key that is not the certificate's, a taken address, and a file that does not parse", async () => {
    const mixed = await diagnose([config("mixed", ['  address = "127.0.0.1:0"', `  tls_cert_file = "${join(dir, "long.crt")}"`, `  tls_key_file = "${join(dir, "short.key")}"`])]);
    expect(mixed.status).toBe("failure");
    expect(JSON.stringify(mixed)).toContain("is not the key of");

    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const port = (taken.address() as net.AddressInfo).port;
    const busy = await diagnose([config("busy", [`  address = "127.0.0.1:${port}"`, "  tls_disable = true"])]);
    taken.close();
    expect(busy.status).toBe("failure");
    expect(JSON.stringify(busy)).toContain("EADDRINUSE");

    const broken = join(dir, "broken.hcl");
    writeFileSync(broken, 'storage "sqlite" {\n  path = \n}');
    const r = await run(["operator", "diagnose", `-config=${broken}`], "http://127.0.0.1:1");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("[ failure ] Parse Configuration");
    expect((await run(["operator", "diagnose"], "http://127.0.0.1:1")).code).toBe(1);
  });
});
