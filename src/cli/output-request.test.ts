import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { curlString, samplePolicy } from "./output-request.js";
import { StubServer, run } from "./testing.js";

const stub = new StubServer();
let addr = "";

beforeAll(async () => {
  addr = await stub.start();
});
afterAll(async () => {
  await stub.close();
});
beforeEach(() => {
  stub.requests.length = 0;
});

describe("-output-curl-string and -output-policy", () => {
  it("print the request instead of sending it; the token is never printed", async () => {
    const r = await run(["write", "-output-curl-string", "secret/data/app", "note=it's"], addr, { env: { MAYFLY_TOKEN: "s.secret-token" } });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(
      `curl -X PUT -H "X-Vault-Request: true" -H "X-Vault-Token: $(mayfly print token)" -H "Content-Type: application/json" ` +
        `-d '{"note":"it'"'"'s"}' ${addr}/v1/secret/data/app`,
    );
    expect(r.stdout).not.toContain("s.secret-token");
    expect(stub.requests).toHaveLength(0);
  });

  it("names the capabilities each operation needs", async () => {
    const cases: Array<[string[], string]> = [
      [["read", "database/creds/app"], '"read"'],
      [["list", "database/roles"], '"list"'],
      [["write", "database/roles/app", "db_name=x"], '"create", "update"'],
      [["delete", "database/roles/app"], '"delete"'],
      [["patch", "secret/data/app", "a=b"], '"patch"'],
    ];
    for (const [args, caps] of cases) {
      const r = await run([args[0] as string, "-output-policy", ...args.slice(1)], addr);
      expect(r.code, r.stderr).toBe(0);
      const path = args[0] === "list" ? `${args[1]}/` : args[1];
      expect(r.stdout.trim()).toBe(`path "${path}" {\n  capabilities = [${caps}]\n}`);
    }
    expect(stub.requests).toHaveLength(0);
  });
});

describe("formatting", () => {
  const base = { headers: { "X-Vault-Request": "true" }, tls: { skipVerify: false } };
  it("adds the TLS options curl needs", () => {
    const s = curlString({ ...base, method: "GET", url: "https://v:8200/v1/sys/health", tls: { skipVerify: true, caCert: "/etc/ca.pem" } });
    expect(s).toBe(`curl --insecure --cacert '/etc/ca.pem' -H "X-Vault-Request: true" https://v:8200/v1/sys/health`);
  });
  it("unescapes the path and drops the query in the policy", () => {
    expect(samplePolicy({ ...base, method: "GET", url: "http://v/v1/secret/data/a%20b?version=2" })).toBe(
      'path "secret/data/a b" {\n  capabilities = ["read"]\n}',
    );
  });
});
