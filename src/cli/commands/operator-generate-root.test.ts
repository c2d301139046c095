import { describe, it, expect, beforeAll, afterAll, beforeEach } from "vitest";
import { StubServer, run } from "../testing.js";
import { decodeRootToken } from "./operator-generate-root.js";

const stub = new StubServer();
let addr = "";

const idle = {
  nonce: "", started: false, progress: 0, required: 2, complete: false, encoded_token: "", encoded_root_token: "",
  pgp_fingerprint: "", otp: "", otp_length: 28,
};
const started = { ...idle, nonce: "n-1", started: true };

beforeAll(async () => {
  addr = await stub.start();
});
afterAll(() => stub.close());
beforeEach(() => {
  stub.requests.length = 0;
  stub.on("GET", "sys/generate-root/attempt", { body: started });
});

function encode(token: string, otp: string): string {
  return Buffer.from(Buffer.from(token).map((b, i) => b ^ otp.charCodeAt(i))).toString("base64").replace(/=+$/, "");
}

describe("operator generate-root", () => {
  it("-init without -otp shows the server's OTP once, with a warning", async () => {
    stub.on("PUT", "sys/generate-root/attempt", { body: { ...started, otp: "O".repeat(28) } });
    const r = await run(["operator", "generate-root", "-init"], addr);
    expect(r.code).toBe(0);
    expect(stub.last().body).toEqual({ otp: "", pgp_key: "" });
    expect(r.stdout).toBe(
      [
        "Nonce         n-1",
        "Started       true",
        "Progress      0/2",
        "Complete      false",
        `OTP           ${"O".repeat(28)}`,
        "OTP Length    28",
        "",
      ].join("\n"),
    );
    expect(r.stderr).toMatch(/^A One-Time-Password has been generated for you/);
  });

  it("-init -format=json prints Vault's status struct in its field order", async () => {
    stub.on("PUT", "sys/generate-root/attempt", { body: started });
    const r = await run(["operator", "generate-root", "-format=json", "-init", "-otp=" + "x".repeat(28)], addr);
    expect(r.code).toBe(0);
    expect(stub.last().body).toEqual({ otp: "x".repeat(28), pgp_key: "" });
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json)).toEqual(["nonce", "started", "progress", "required", "complete", "encoded_token", "encoded_root_token", "pgp_fingerprint", "otp", "otp_length"]);
  });

  it("refuses -otp with -pgp-key, and reports a server error with exit 2", async () => {
    expect((await run(["operator", "generate-root", "-init", "-otp=a", "-pgp-key=b"], addr)).code).toBe(1);
    stub.on("PUT", "sys/generate-root/attempt", { status: 400, body: { errors: ["root generation already in progress"] } });
    const r = await run(["operator", "generate-root", "-init"], addr);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Error initializing root generation: ");
    expect(r.stderr).toContain("root generation already in progress");
  });

  it("sends a share with -nonce and prints the encoded token", async () => {
    stub.on("PUT", "sys/generate-root/update", { body: { ...started, progress: 2, complete: true, encoded_token: "ZW5j", encoded_root_token: "ZW5j", otp_length: 0 } });
    const r = await run(["operator", "generate-root", "-nonce=n-1", "abcd"], addr);
    expect(r.code).toBe(0);
    expect(stub.last().body).toEqual({ key: "abcd", nonce: "n-1" });
    expect(r.stdout).toContain("Progress         2/2\n");
    expect(r.stdout).toContain("Encoded Token    ZW5j\n");
    expect(r.stdout).not.toContain("OTP Length");
  });

  it("needs -nonce with a key argument, reads the key from stdin with '-' and uses the attempt's nonce when asking", async () => {
    const missing = await run(["operator", "generate-root", "abcd"], addr);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("Missing nonce value: specify it via the -nonce flag\n");
    stub.on("PUT", "sys/generate-root/update", { body: { ...started, progress: 1 } });
    await run(["operator", "generate-root", "-nonce=n-1", "-"], addr, { stdin: "  from-stdin\n" });
    expect(stub.last().body).toEqual({ key: "from-stdin", nonce: "n-1" });
    const prompted = await run(["operator", "generate-root"], addr, { stdin: "typed\n" });
    expect(prompted.code).toBe(0);
    expect(stub.last().body).toEqual({ key: "typed", nonce: "n-1" });
  });

  it("says so when no generation is in progress", async () => {
    stub.on("GET", "sys/generate-root/attempt", { body: idle });
    const r = await run(["operator", "generate-root", "abcd"], addr);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("No root generation is in progress.");
    expect(r.stderr).toContain("needs to be 28 characters in length");
  });

  it("-decode prints the token raw (no newline when piped), or as json", async () => {
    const otp = "P".repeat(28);
    const token = "hvs.ABCDEFGHIJKLMNOPQRSTUVWX";
    const r = await run(["operator", "generate-root", `-decode=${encode(token, otp)}`, `-otp=${otp}`], addr);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(token);
    const tty = await run(["operator", "generate-root", `-decode=${encode(token, otp)}`, `-otp=${otp}`], addr, { stdoutTty: true });
    expect(tty.stdout).toBe(token + "\n");
    const json = await run(["operator", "generate-root", "-format=json", `-decode=${encode(token, otp)}`, `-otp=${otp}`], addr);
    expect(JSON.parse(json.stdout)).toEqual({ token });
    expect((await run(["operator", "generate-root", "-decode=abc"], addr)).stderr).toBe("Missing otp: use -otp to supply it\n");
    expect((await run(["operator", "generate-root", "-decode=", "-otp=x"], addr)).code).toBe(1);
    expect((await run(["operator", "generate-root", "-decode=abcd", "-otp=x"], addr)).stderr).toMatch(/^Error xoring token/);
  });

  it("-generate-otp prints a base62 OTP of the server's length", async () => {
    const r = await run(["operator", "generate-root", "-generate-otp"], addr);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[0-9A-Za-z]{28}$/);
    const json = JSON.parse((await run(["operator", "generate-root", "-generate-otp", "-format=json"], addr)).stdout);
    expect(json.otp_length).toBe(28);
    expect(json.otp).toMatch(/^[0-9A-Za-z]{28}$/);
  });

  it("-cancel and -status", async () => {
    stub.on("DELETE", "sys/generate-root/attempt", {});
    const c = await run(["operator", "generate-root", "-cancel"], addr);
    expect(c.stdout).toBe("Success! Root token generation canceled (if it was started)\n");
    expect(stub.last().method).toBe("DELETE");
    const s = await run(["operator", "generate-root", "-status"], addr);
    expect(s.stdout).toContain("Nonce         n-1\n");
  });

  it("decodeRootToken inverts the server's encoding", () => {
    expect(decodeRootToken(encode("hvs.token", "123456789"), "123456789")).toBe("hvs.token");
    expect(() => decodeRootToken(encode("hvs.token", "123456789"), "12")).toThrow(/not equivalent/);
  });
});
