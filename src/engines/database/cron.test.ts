import { describe, expect, it } from "vitest";
import { CronError, parseCron } from "./cron.js";

const at = (iso: string) => Date.parse(iso);
const next = (spec: string, from: string) => {
  const n = parseCron(spec).next(at(from));
  return n === undefined ? undefined : new Date(n).toISOString();
};

describe("parseCron", () => {
  it("runs every minute for * * * * *, strictly after the given time", () => {
    expect(next("* * * * *", "2024-03-01T10:00:00.000Z")).toBe("2024-03-01T10:01:00.000Z");
    expect(next("* * * * *", "2024-03-01T10:00:59.999Z")).toBe("2024-03-01T10:01:00.000Z");
  });

  it("handles fixed times, lists, ranges and steps", () => {
    expect(next("30 2 * * *", "2024-03-01T10:00:00Z")).toBe("2024-03-02T02:30:00.000Z");
    expect(next("0,15,45 * * * *", "2024-03-01T10:16:00Z")).toBe("2024-03-01T10:45:00.000Z");
    expect(next("*/20 * * * *", "2024-03-01T10:41:00Z")).toBe("2024-03-01T11:00:00.000Z");
    expect(next("10-12 9 * * *", "2024-03-01T09:12:00Z")).toBe("2024-03-02T09:10:00.000Z");
    expect(next("5/20 * * * *", "2024-03-01T10:26:00Z")).toBe("2024-03-01T10:45:00.000Z");
  });

  it("rolls over months and years and knows leap days", () => {
    expect(next("0 0 1 1 *", "2024-03-01T00:00:00Z")).toBe("2025-01-01T00:00:00.000Z");
    expect(next("0 0 29 2 *", "2025-01-01T00:00:00Z")).toBe("2028-02-29T00:00:00.000Z");
    expect(next("0 0 31 * *", "2024-04-01T00:00:00Z")).toBe("2024-05-31T00:00:00.000Z");
  });

  it("accepts month and weekday names, case-insensitively", () => {
    // 2024-03-01 is a Friday.
    expect(next("0 9 * * MON", "2024-03-01T00:00:00Z")).toBe("2024-03-04T09:00:00.000Z");
    expect(next("0 9 * * mon-wed", "2024-03-05T10:00:00Z")).toBe("2024-03-06T09:00:00.000Z");
    expect(next("0 0 1 jun *", "2024-03-01T00:00:00Z")).toBe("2024-06-01T00:00:00.000Z");
  });

  it("matches either restricted day field, both when one is *", () => {
    // The 15th or any Sunday: Sunday 2024-03-03 comes first.
    expect(next("0 0 15 * SUN", "2024-03-01T00:00:00Z")).toBe("2024-03-03T00:00:00.000Z");
    // dom restricted, dow *: only the 15th.
    expect(next("0 0 15 * *", "2024-03-01T00:00:00Z")).toBe("2024-03-15T00:00:00.000Z");
    // a step on the weekday field counts as restricted.
    expect(next("0 0 15 * */7", "2024-03-01T00:00:00Z")).toBe("2024-03-03T00:00:00.000Z");
  });

  it("refuses malformed specs with a message naming the problem", () => {
    expect(() => parseCron("* * * *")).toThrow(/exactly 5 fields, found 4/);
    expect(() => parseCron("@hourly")).toThrow(CronError);
    expect(() => parseCron("60 * * * *")).toThrow(/above maximum/);
    expect(() => parseCron("* * * * 7")).toThrow(/day of week range \(7\) above maximum \(6\)/);
    expect(() => parseCron("* * 0 * *")).toThrow(/below minimum/);
    expect(() => parseCron("5-1 * * * *")).toThrow(/beyond end/);
    expect(() => parseCron("*/0 * * * *")).toThrow(/must be positive/);
    expect(() => parseCron("x * * * *")).toThrow(/failed to parse int/);
    expect(() => parseCron("")).toThrow(/empty/);
  });

  it("gives up on a date that never comes", () => {
    expect(next("0 0 30 2 *", "2024-01-01T00:00:00Z")).toBeUndefined();
  });
});
