import { describe, expect, it } from "vitest";
import { formatTimestamp, isLive, scheduledDeletionMs, newKeyMetadata, emptyConfig } from "./model.js";
import { mergePatch } from "./merge-patch.js";
import { weakInteger } from "./paths-common.js";

describe("formatTimestamp", () => {
  it("prints RFC 3339 as Go's RFC3339Nano does: trailing zeros of the fraction dropped", () => {
    expect(formatTimestamp(Date.UTC(2024, 0, 1, 0, 0, 0, 123))).toBe("2024-01-01T00:00:00.123Z");
    expect(formatTimestamp(Date.UTC(2024, 0, 1, 0, 0, 0, 120))).toBe("2024-01-01T00:00:00.12Z");
    expect(formatTimestamp(Date.UTC(2024, 0, 1, 0, 0, 0, 100))).toBe("2024-01-01T00:00:00.1Z");
    expect(formatTimestamp(Date.UTC(2024, 0, 1, 0, 0, 0, 0))).toBe("2024-01-01T00:00:00Z");
    expect(formatTimestamp(null)).toBe("");
  });

  it("round-trips through Date parsing", () => {
    const ms = Date.UTC(2031, 6, 15, 8, 9, 10, 7);
    expect(Date.parse(formatTimestamp(ms))).toBe(ms);
  });

  it("gives each time its own text when times alternate (the last one is remembered)", () => {
    const a = Date.UTC(2024, 0, 1, 0, 0, 0, 5);
    const b = Date.UTC(2025, 1, 2, 3, 4, 5, 600);
    expect([a, a, b, a, null, b, b].map(formatTimestamp)).toEqual([
      "2024-01-01T00:00:00.005Z",
      "2024-01-01T00:00:00.005Z",
      "2025-02-02T03:04:05.6Z",
      "2024-01-01T00:00:00.005Z",
      "",
      "2025-02-02T03:04:05.6Z",
      "2025-02-02T03:04:05.6Z",
    ]);
  });
});

describe("version rules", () => {
  it("a version is live until its deletion time, and never once destroyed", () => {
    expect(isLive({ createdMs: 0, deletionMs: null, destroyed: false }, 10)).toBe(true);
    expect(isLive({ createdMs: 0, deletionMs: 11, destroyed: false }, 10)).toBe(true);
    expect(isLive({ createdMs: 0, deletionMs: 10, destroyed: false }, 10)).toBe(false);
    expect(isLive({ createdMs: 0, deletionMs: null, destroyed: true }, 10)).toBe(false);
  });

  it("deletion is scheduled by the smaller non-zero setting, unless the mount disables it", () => {
    const meta = newKeyMetadata(0);
    expect(scheduledDeletionMs(1000, emptyConfig(), meta)).toBeNull();
    meta.deleteVersionAfterSeconds = 60;
    expect(scheduledDeletionMs(1000, emptyConfig(), meta)).toBe(61_000);
    expect(scheduledDeletionMs(1000, { ...emptyConfig(), deleteVersionAfterSeconds: 30 }, meta)).toBe(31_000);
    expect(scheduledDeletionMs(1000, { ...emptyConfig(), deleteVersionAfterSeconds: 90 }, meta)).toBe(61_000);
    expect(scheduledDeletionMs(1000, { ...emptyConfig(), deleteVersionAfterSeconds: -1 }, meta)).toBeNull();
  });
});

describe("mergePatch (RFC 7396)", () => {
  it("follows the RFC's examples", () => {
    expect(mergePatch({ a: "b" }, { a: "c" })).toEqual({ a: "c" });
    expect(mergePatch({ a: "b" }, { b: "c" })).toEqual({ a: "b", b: "c" });
    expect(mergePatch({ a: "b" }, { a: null })).toEqual({});
    expect(mergePatch({ a: "b", b: "c" }, { a: null })).toEqual({ b: "c" });
    expect(mergePatch({ a: ["b"] }, { a: "c" })).toEqual({ a: "c" });
    expect(mergePatch({ a: "c" }, { a: ["b"] })).toEqual({ a: ["b"] });
    expect(mergePatch({ a: { b: "c" } }, { a: { b: "d", c: null } })).toEqual({ a: { b: "d" } });
    expect(mergePatch({ a: [{ b: "c" }] }, { a: [1] })).toEqual({ a: [1] });
    expect(mergePatch({ e: null }, { a: 1 })).toEqual({ e: null, a: 1 });
    expect(mergePatch({}, { a: { bb: { ccc: null } } })).toEqual({ a: { bb: {} } });
  });

  it("leaves its inputs alone", () => {
    const target = { a: { b: 1 } };
    mergePatch(target, { a: { b: 2 } });
    expect(target).toEqual({ a: { b: 1 } });
  });
});

describe("weakInteger (options.cas)", () => {
  it("reads numbers, numeric strings, booleans and null as Vault's weak decoding does", () => {
    expect([weakInteger(3), weakInteger("3"), weakInteger(" 4 "), weakInteger(2.9), weakInteger(true), weakInteger(null), weakInteger("")]).toEqual([
      3, 3, 4, 2, 1, 0, 0,
    ]);
    expect([weakInteger("x"), weakInteger({}), weakInteger([1]), weakInteger(Infinity)]).toEqual([undefined, undefined, undefined, undefined]);
  });
});
