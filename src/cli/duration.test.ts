import { describe, it, expect } from "vitest";
import { formatGoDuration, humanDuration, humanDurationValue, looksLikeDuration, parseDurationSeconds } from "./duration.js";

describe("durations", () => {
  it("parses what Vault's flags accept", () => {
    expect(parseDurationSeconds("90")).toBe(90);
    expect(parseDurationSeconds("90s")).toBe(90);
    expect(parseDurationSeconds("1h30m")).toBe(5400);
    expect(parseDurationSeconds("1.5h")).toBe(5400);
    expect(parseDurationSeconds("2d")).toBe(172800);
    expect(parseDurationSeconds("500ms")).toBe(0.5);
    expect(parseDurationSeconds("-1")).toBe(-1);
    expect(parseDurationSeconds("")).toBe(0);
    expect(() => parseDurationSeconds("1x")).toThrow("invalid duration");
    expect(() => parseDurationSeconds("h")).toThrow("invalid duration");
  });

  it("formats as Go's time.Duration.String()", () => {
    expect(formatGoDuration(0)).toBe("0s");
    expect(formatGoDuration(3600)).toBe("1h0m0s");
    expect(formatGoDuration(90)).toBe("1m30s");
    expect(formatGoDuration(45)).toBe("45s");
    expect(formatGoDuration(0.5)).toBe("500ms");
    expect(formatGoDuration(2764800)).toBe("768h0m0s");
  });

  it("humanises as Vault's tables do", () => {
    expect(humanDuration(3600)).toBe("1h");
    expect(humanDuration(2764800)).toBe("768h");
    expect(humanDuration(60)).toBe("1m");
    expect(humanDuration(90)).toBe("1m30s");
    expect(humanDuration(3660)).toBe("1h1m");
    expect(humanDuration(3601)).toBe("1h1s");
    expect(humanDuration(0)).toBe("0s");
    expect(humanDuration(900)).toBe("15m");
  });

  it("treats only integers as durations", () => {
    expect(humanDurationValue(3600)).toBe("1h");
    expect(humanDurationValue("1h")).toBe("1h");
    expect(humanDurationValue(1.5)).toBe(1.5);
    expect(humanDurationValue(null)).toBe(null);
  });

  it("knows the duration-looking keys", () => {
    for (const k of ["ttl", "creation_ttl", "period", "token_period", "lease_duration", "duration", "lease_max", "ttl_max"]) {
      expect(looksLikeDuration(k)).toBe(true);
    }
    for (const k of ["ttls", "num_uses", "expire_time", "periodic"]) expect(looksLikeDuration(k)).toBe(false);
  });
});
