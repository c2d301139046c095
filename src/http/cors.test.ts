import { describe, expect, it } from "vitest";
import { CORS_ALLOWED_METHODS, decideCors, isAllowedOrigin, type CorsPolicy } from "./cors.js";

const on: CorsPolicy = { enabled: true, allowedOrigins: ["https://a.example", "https://b.example"], allowedHeaders: ["X-Vault-Token", "X-Custom"] };
const off: CorsPolicy = { enabled: false, allowedOrigins: [], allowedHeaders: [] };

describe("isAllowedOrigin", () => {
  it("allows everything when off, listed origins or the lone wildcard when on", () => {
    expect(isAllowedOrigin(off, "https://z.example")).toBe(true);
    expect(isAllowedOrigin(on, "https://b.example")).toBe(true);
    expect(isAllowedOrigin(on, "https://z.example")).toBe(false);
    expect(isAllowedOrigin(on, "https://a.example/")).toBe(false);
    expect(isAllowedOrigin({ ...on, allowedOrigins: ["*"] }, "https://z.example")).toBe(true);
    expect(isAllowedOrigin({ ...on, allowedOrigins: [] }, "https://a.example")).toBe(false);
  });
});

describe("decideCors", () => {
  it("passes when off or when no Origin is sent", () => {
    expect(decideCors("GET", { origin: "https://z.example" }, off)).toEqual({ kind: "pass" });
    expect(decideCors("OPTIONS", { origin: "https://z.example" }, off)).toEqual({ kind: "pass" });
    expect(decideCors("GET", {}, on)).toEqual({ kind: "pass" });
    expect(decideCors("GET", { origin: "" }, on)).toEqual({ kind: "pass" });
  });

  it("refuses a disallowed origin with Vault's 403 body", () => {
    const d = decideCors("POST", { origin: "https://z.example" }, on);
    expect(d.kind).toBe("answer");
    if (d.kind !== "answer") return;
    expect(d.reply.status).toBe(403);
    expect(JSON.parse(d.reply.body as string)).toEqual({ errors: ["origin not allowed"] });
    expect(d.headers).toEqual([]);
  });

  it("serves an allowed origin with the origin echoed and Vary", () => {
    expect(decideCors("GET", { origin: "https://a.example" }, on)).toEqual({
      kind: "serve",
      headers: ["Access-Control-Allow-Origin", "https://a.example", "Vary", "Origin"],
    });
  });

  it("answers a preflight for an allowed method, refuses other methods with 405", () => {
    for (const method of CORS_ALLOWED_METHODS) {
      const d = decideCors("OPTIONS", { origin: "https://a.example", "access-control-request-method": method }, on);
      expect(d.kind).toBe("answer");
      if (d.kind !== "answer") continue;
      expect(d.reply).toEqual({ status: 200, body: "" });
      const h = Object.fromEntries(d.headers.flatMap((v, i, all) => (i % 2 === 0 ? [[v, all[i + 1]]] : [])));
      expect(h).toEqual({
        "Access-Control-Allow-Origin": "https://a.example",
        Vary: "Origin",
        "Access-Control-Allow-Methods": "DELETE,GET,OPTIONS,POST,PUT,LIST",
        "Access-Control-Allow-Headers": "X-Vault-Token,X-Custom",
        "Access-Control-Max-Age": "300",
      });
    }
    for (const requested of ["PATCH", "get", undefined]) {
      const headers = requested === undefined ? { origin: "https://a.example" } : { origin: "https://a.example", "access-control-request-method": requested };
      const d = decideCors("OPTIONS", headers, on);
      expect(d.kind === "answer" && d.reply.status).toBe(405);
    }
  });
});
