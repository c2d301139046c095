import { describe, it, expect } from "vitest";
import { formatGoDuration, parseDurationMs, parseDurationSeconds } from "./duration.js";
import { isMayflyError } from "./errors.js";

describe("parseDurationSeconds", () => {
  it.each([
    [0, 0],
    [90, 90],
    [1.9, 1], // Go truncates a float before scaling
    ["", 0],
    ["0", 0],
    ["90", 90],
    ["-1", -1],
    ["90s", 90],
    ["1h", 3600],
    ["768h", 2_764_800],
    ["1h30m", 5400],
    ["1.5h", 5400],
    ["2h45m30s", 9930],
    [".5m", 30],
    ["5.s", 5],
    ["500ms", 0],
    ["1500ms", 1],
    ["-1m", -60],
    ["+30s", 30],
    ["7d", 604_800],
    ["1000000us", 1],
    ["1000000\u00b5s", 1],
  ] as const)("%j -> %d", (input, expected) => {
    expect(parseDurationSeconds(input)).toBe(expected);
  });

  it.each(["abc", "1.5", "1x", "h", "1h1d", "1.5d", "1 h", "--1s", ".s", "1h-30m", "d"])(
    "rejects %j with a 400",
    (input) => {
      let caught: unknown;
      try {
        parseDurationSeconds(input);
      } catch (e) {
        caught = e;
      }
      expect(isMayflyError(caught)).toBe(true);
      if (isMayflyError(caught)) {
        expect(caught.status).toBe(400);
        expect(caught.message).toContain(input);
      }
    },
  );

  it("rejects non-finite numbers and overflow", () => {
    expect(() => parseDurationSeconds(Number.NaN)).toThrow(/invalid duration/);
    expect(() => parseDurationSeconds(Number.POSITIVE_INFINITY)).toThrow(/invalid duration/);
    expect(() => parseDurationSeconds("300000000000h")).toThrow(/out of range/);
    expect(() => parseDurationSeconds(1e12)).toThrow(/out of range/);
  });

  it("keeps milliseconds when asked", () => {
    expect(parseDurationMs("1500ms")).toBe(1500);
    expect(parseDurationMs("2s")).toBe(2000);
    expect(parseDurationMs(3)).toBe(3000);
  });
});

describe("formatGoDuration", () => {
  it.each([
    [0, "0s"],
    [45, "45s"],
    [90, "1m30s"],
    [3600, "1h0m0s"],
    [2_764_800, "768h0m0s"],
    [-90, "-1m30s"],
  ])("%d -> %s", (seconds, expected) => {
    expect(formatGoDuration(seconds)).toBe(expected);
  });
});
