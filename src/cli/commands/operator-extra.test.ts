import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { StubServer, run } from "../testing.js";

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

describe("operator step-down, version-history, auth help", () => {
  it("step-down asks sys/step-down", async () => {
    stub.on("PUT", "sys/step-down", { status: 204 });
    const r = await run(["operator", "step-down"], addr);
    expect(r.code, r.stderr).toBe(0);
    expect(stub.requests.map((q) => `${q.method} ${q.path}`)).toEqual(["PUT sys/step-down"]);
  });

  it("version-history lists sys/version-history as a table or JSON", async () => {
    stub.on("GET", "sys/version-history", {
      body: { data: { keys: ["1.15.0+mayfly.0.1.0"], key_info: { "1.15.0+mayfly.0.1.0": { timestamp_installed: "2026-11-30T01:00:00Z", build_date: "", previous_version: null } } } },
    });
    const r = await run(["version-history"], addr);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("1.15.0+mayfly.0.1.0    2026-11-30T01:00:00Z");
    expect(stub.requests[0]?.query).toMatchObject({ list: "true" });
    const j = await run(["version-history", "-format=json"], addr);
    expect(JSON.parse(j.stdout).keys).toEqual(["1.15.0+mayfly.0.1.0"]);
  });

  it("auth help asks for the help of auth/<path>", async () => {
    stub.on("GET", "auth/userpass", { body: { help: "## DESCRIPTION\n\nusers and passwords" } });
    const r = await run(["auth", "help", "userpass"], addr);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("users and passwords");
    expect(stub.requests[0]?.query).toMatchObject({ help: "1" });
  });
});
