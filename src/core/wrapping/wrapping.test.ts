import { describe, expect, it } from "vitest";
import { rfc3339Nano, wrapInfoJson } from "./format.js";
import { requestedWrapTtlSeconds } from "./wrap-ttl.js";

describe("requestedWrapTtlSeconds", () => {
  it.each([
    ["300", 300],
    ["300s", 300],
    ["5m", 300],
    ["1h30m", 5400],
    ["2d", 172800],
    [" 90s ", 90],
    ["0", 0],
  ] as const)("%j -> %d", (header, seconds) => {
    expect(requestedWrapTtlSeconds({ "x-vault-wrap-ttl": header })).toBe(seconds);
  });

  it("is undefined without the header or with an empty one", () => {
    expect(requestedWrapTtlSeconds({})).toBeUndefined();
    expect(requestedWrapTtlSeconds({ "x-vault-wrap-ttl": "" })).toBeUndefined();
  });

  it.each(["soon", "5x", "1.5d"])("refuses %j with 400", (header) => {
    expect(() => requestedWrapTtlSeconds({ "x-vault-wrap-ttl": header })).toThrow(/^error parsing X-Vault-Wrap-TTL header: /);
  });

  it("refuses a negative TTL in Vault's words", () => {
    expect(() => requestedWrapTtlSeconds({ "x-vault-wrap-ttl": "-5m" })).toThrow(
      "error parsing X-Vault-Wrap-TTL header: requested wrap ttl cannot be negative",
    );
  });
});

describe("wrap_info rendering", () => {
  it("prints times as Go's RFC3339Nano in UTC", () => {
    expect(rfc3339Nano(Date.UTC(2024, 0, 2, 3, 4, 5, 0))).toBe("2024-01-02T03:04:05Z");
    expect(rfc3339Nano(Date.UTC(2024, 0, 2, 3, 4, 5, 250))).toBe("2024-01-02T03:04:05.25Z");
    expect(rfc3339Nano(Date.UTC(2024, 0, 2, 3, 4, 10, 7))).toBe("2024-01-02T03:04:10.007Z");
  });

  it("omits wrapped_accessor when there is none, as Vault's omitempty does", () => {
    const base = { token: "hvs.t", accessor: "a", ttlSeconds: 60, creationTimeMs: Date.UTC(2024, 0, 1), creationPath: "p" };
    expect(wrapInfoJson({ ...base, wrappedAccessor: "" })).toEqual({
      token: "hvs.t",
      accessor: "a",
      ttl: 60,
      creation_time: "2024-01-01T00:00:00Z",
      creation_path: "p",
    });
    expect(wrapInfoJson({ ...base, wrappedAccessor: "w" })).toMatchObject({ wrapped_accessor: "w" });
  });
});
