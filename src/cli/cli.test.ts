import { describe, it, expect } from "vitest";
import { commands, runCli } from "./cli.js";
import { memoryIo, run } from "./testing.js";
import { httpFlags, renderHelp } from "./command.js";
import { parseFlags } from "./flags.js";

async function cli(argv: string[], env: Record<string, string> = {}) {
  const mem = memoryIo({ env });
  const code = await runCli(argv, mem.io);
  return { code, stdout: mem.stdout(), stderr: mem.stderr() };
}

describe("runCli dispatch", () => {
  it("prints usage and exits 127 with no command or an unknown one", async () => {
    const none = await cli([]);
    expect(none.code).toBe(127);
    expect(none.stderr).toContain("Usage: mayfly <command> [args]");
    expect((await cli(["frobnicate"])).code).toBe(127);
  });

  it("prints top-level help on -h and help, exit 0", async () => {
    for (const argv of [["-h"], ["--help"], ["help"]]) {
      const r = await cli(argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("Common commands:");
      expect(r.stdout).toContain("kv");
    }
  });

  it("prints a group's subcommands", async () => {
    const r = await cli(["token"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Usage: mayfly token <subcommand>");
    for (const sub of ["create", "lookup", "renew", "revoke", "capabilities"]) expect(r.stderr).toContain(`    ${sub}`);
    expect((await cli(["kv", "metadata", "-h"])).stdout).toContain("put");
  });

  it("prints every command's help with -h, exit 0, never touching the network", async () => {
    for (const c of commands) {
      const r = await cli([...c.path.split(" "), "-h"], { MAYFLY_ADDR: "http://127.0.0.1:1" });
      expect(r.code, c.path).toBe(0);
      expect(r.stdout.startsWith(`Usage: mayfly ${c.path}`), c.path).toBe(true);
    }
    expect((await cli(["help", "kv", "get"])).stdout).toContain("-version=<int>");
  });

  it("exits 1 on a flag error", async () => {
    const r = await cli(["read", "-nope", "secret/x"]);
    expect(r).toMatchObject({ code: 1, stderr: "flag provided but not defined: -nope\n" });
  });

  it("rejects an unknown format before doing anything", async () => {
    const r = await cli(["read", "-format=xml", "secret/x"]);
    expect(r).toMatchObject({ code: 1, stderr: "Invalid output format: xml\n" });
  });

  it("prints the version", async () => {
    for (const argv of [["version"], ["-v"], ["--version"]]) {
      const r = await cli(argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Mayfly v\d+\.\d+\.\d+\n$/);
    }
  });

  it("uses https://127.0.0.1:8200 by default and VAULT_ADDR as a fallback", async () => {
    // Checked on the flags, not by connecting: something may be listening on 8200.
    expect(parseFlags([], httpFlags, {}).flags.str("address")).toBe("https://127.0.0.1:8200");
    expect(parseFlags([], httpFlags, { VAULT_ADDR: "http://v", MAYFLY_ADDR: "http://m" }).flags.str("address")).toBe("http://m");
    const vault = await run(["read", "secret/x"], "", { env: { MAYFLY_ADDR: undefined, VAULT_ADDR: "http://127.0.0.1:1" } });
    expect(vault.stderr).toContain('Get "http://127.0.0.1:1/v1/secret/x"');
    const flag = await run(["read", "-address=http://127.0.0.1:2", "secret/x"], "http://127.0.0.1:1");
    expect(flag.stderr).toContain('Get "http://127.0.0.1:2/v1/secret/x"');
  });
});

describe("help text", () => {
  it("lists command flags after the shared ones", () => {
    const text = renderHelp(commands.find((c) => c.path === "lease revoke")!);
    expect(text).toContain("HTTP Options:");
    expect(text).toContain("  -prefix\n");
    expect(text.indexOf("Command Options:")).toBeGreaterThan(text.indexOf("Output Options:"));
  });
});

describe("VAULT_MAX_RETRIES", () => {
  it("sends a request that got a 5xx again (2 retries by default, as Vault's CLI), and refuses a bad value", async () => {
    const { StubServer } = await import("./testing.js");
    const stub = new StubServer();
    await stub.start();
    try {
      let calls = 0;
      stub.on("GET", "secret/flaky", () => (++calls === 1 ? { status: 503, body: { errors: ["Vault is sealed"] } } : { body: { data: { v: "ok" } } }));
      const r = await run(["read", "-field=v", "secret/flaky"], stub.address, { env: { VAULT_MAX_RETRIES: "1" } });
      expect(r.stdout).toBe("ok");
      expect(calls).toBe(2);

      calls = 0;
      const once = await run(["read", "secret/flaky"], stub.address, { env: { VAULT_MAX_RETRIES: "0" } });
      expect(once.code).toBe(2);
      expect(calls).toBe(1);

      const bad = await run(["read", "secret/flaky"], stub.address, { env: { VAULT_MAX_RETRIES: "many" } });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('invalid VAULT_MAX_RETRIES "many"');
    } finally {
      await stub.close();
    }
  });
});
