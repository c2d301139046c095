import { describe, expect, it } from "vitest";
import { EXPIRATION_LAYOUT, formatExpiration, formatGoTime } from "./go-time.js";

// 2024-03-05 07:08:09.120 UTC, a Tuesday, day 65 of a leap year.
const t = new Date(Date.UTC(2024, 2, 5, 7, 8, 9, 120));

describe("Go time layouts", () => {
  it("formats Vault's expiration layout in UTC", () => {
    expect(formatExpiration(t)).toBe("2024-03-05 07:08:09+0000");
  });

  it("formats expirations as the general layout walk does, across years and field widths", () => {
    const cases = [t, new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 999)), new Date(Date.UTC(2030, 0, 1, 0, 0, 0)), new Date(Date.UTC(812, 6, 4, 5, 6, 7))];
    for (let i = 0; i < 200; i++) cases.push(new Date(Date.UTC(2026, 0, 1) + Math.floor(Math.random() * 400 * 86_400_000)));
    for (const d of cases) expect(formatExpiration(d), d.toISOString()).toBe(formatGoTime(d, EXPIRATION_LAYOUT, { offsetMinutes: 0 }));
  });

  it("formats the layout elements Go knows", () => {
    const utc = { offsetMinutes: 0 };
    expect(formatGoTime(t, "Mon Monday Jan January", utc)).toBe("Tue Tuesday Mar March");
    expect(formatGoTime(t, "2006 06 01 1 02 2 _2 002", utc)).toBe("2024 24 03 3 05 5  5 065");
    expect(formatGoTime(t, "15 03 3 04 4 05 5 PM pm", utc)).toBe("07 07 7 08 8 09 9 AM am");
    expect(formatGoTime(t, "05.000 05.999 05.000000", utc)).toBe("09.120 09.12 09.120000");
    expect(formatGoTime(t, "Z07:00 -07:00 MST", utc)).toBe("Z +00:00 UTC");
    expect(formatGoTime(t, "20060102T150405Z0700", utc)).toBe("20240305T070809Z");
  });

  it("shifts to the given zone and prints its offset", () => {
    expect(formatGoTime(t, "2006-01-02 15:04:05-0700", { offsetMinutes: -330 })).toBe("2024-03-05 01:38:09-0530");
    expect(formatGoTime(t, "15:04 Z07:00", { offsetMinutes: 120 })).toBe("09:08 +02:00");
  });

  it("passes other characters through", () => {
    expect(formatGoTime(t, "at 15h in year 2006!", { offsetMinutes: 0 })).toBe("at 07h in year 2024!");
  });
});
