/**
 * Go's reference-time layouts ("2006-01-02 15:04:05-0700"). Vault formats statement
 * `{{expiration}}` values and the username template's `timestamp` with them, so users
 * write Go layouts in their configuration and expect Go's output.
 */

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
  "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

export interface GoTimeOptions {
  /** Minutes east of UTC; defaults to the process's local zone, as Go's time.Now() would. */
  offsetMinutes?: number;
}

interface Parts {
  year: number; month: number; day: number; yearDay: number; weekday: number;
  hour: number; minute: number; second: number; millis: number; offsetMinutes: number;
}

function partsOf(date: Date, offsetMinutes: number): Parts {
  const shifted = new Date(date.getTime() + offsetMinutes * 60_000);
  const startOfYear = Date.UTC(shifted.getUTCFullYear(), 0, 1);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    yearDay: Math.floor((shifted.getTime() - startOfYear) / 86_400_000) + 1,
    weekday: shifted.getUTCDay(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    second: shifted.getUTCSeconds(),
    millis: shifted.getUTCMilliseconds(),
    offsetMinutes,
  };
}

const pad = (n: number, width: number, fill = "0"): string => String(n).padStart(width, fill);

function zone(p: Parts, zForUtc: boolean, colon: boolean, withSeconds: boolean, hoursOnly: boolean): string {
  if (zForUtc && p.offsetMinutes === 0) return "Z";
  const sign = p.offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(p.offsetMinutes);
  const hh = pad(Math.floor(abs / 60), 2);
  const mm = pad(abs % 60, 2);
  if (hoursOnly) return `${sign}${hh}`;
  const sep = colon ? ":" : "";
  return `${sign}${hh}${sep}${mm}${withSeconds ? `${sep}00` : ""}`;
}

const hour12 = (h: number): number => (h % 12 === 0 ? 12 : h % 12);

// Longest first within each leading character, as Go's layout scanner matches them.
const TOKENS: ReadonlyArray<[string, (p: Parts) => string]> = [
  ["January", (p) => MONTHS[p.month - 1] ?? ""],
  ["Jan", (p) => (MONTHS[p.month - 1] ?? "").slice(0, 3)],
  ["Monday", (p) => DAYS[p.weekday] ?? ""],
  ["Mon", (p) => (DAYS[p.weekday] ?? "").slice(0, 3)],
  ["MST", (p) => (p.offsetMinutes === 0 ? "UTC" : zone(p, false, false, false, false))],
  ["2006", (p) => pad(p.year, 4)],
  ["002", (p) => pad(p.yearDay, 3)],
  ["01", (p) => pad(p.month, 2)],
  ["02", (p) => pad(p.day, 2)],
  ["03", (p) => pad(hour12(p.hour), 2)],
  ["04", (p) => pad(p.minute, 2)],
  ["05", (p) => pad(p.second, 2)],
  ["06", (p) => pad(p.year % 100, 2)],
  ["15", (p) => pad(p.hour, 2)],
  ["_2006", (p) => `_${pad(p.year, 4)}`],
  ["__2", (p) => pad(p.yearDay, 3, " ")],
  ["_2", (p) => pad(p.day, 2, " ")],
  ["1", (p) => String(p.month)],
  ["2", (p) => String(p.day)],
  ["3", (p) => String(hour12(p.hour))],
  ["4", (p) => String(p.minute)],
  ["5", (p) => String(p.second)],
  ["PM", (p) => (p.hour >= 12 ? "PM" : "AM")],
  ["pm", (p) => (p.hour >= 12 ? "pm" : "am")],
  ["-07:00:00", (p) => zone(p, false, true, true, false)],
  ["-070000", (p) => zone(p, false, false, true, false)],
  ["-07:00", (p) => zone(p, false, true, false, false)],
  ["-0700", (p) => zone(p, false, false, false, false)],
  ["-07", (p) => zone(p, false, false, false, true)],
  ["Z07:00:00", (p) => zone(p, true, true, true, false)],
  ["Z070000", (p) => zone(p, true, false, true, false)],
  ["Z07:00", (p) => zone(p, true, true, false, false)],
  ["Z0700", (p) => zone(p, true, false, false, false)],
  ["Z07", (p) => zone(p, true, false, false, true)],
];

/** Formats `date` with a Go layout string. Sub-millisecond digits print as zeros. */
export function formatGoTime(date: Date, layout: string, options: GoTimeOptions = {}): string {
  const p = partsOf(date, options.offsetMinutes ?? -date.getTimezoneOffset());
  let out = "";
  let i = 0;
  outer: while (i < layout.length) {
    const c = layout[i];
    // Fractional seconds: ".000" keeps trailing zeros, ".999" trims them.
    if ((c === "." || c === ",") && (layout[i + 1] === "0" || layout[i + 1] === "9")) {
      const digit = layout[i + 1];
      let j = i + 1;
      while (layout[j] === digit) j++;
      if (!/[0-9]/.test(layout[j] ?? "")) {
        const width = j - i - 1;
        let frac = (pad(p.millis, 3) + "000000").slice(0, width);
        if (digit === "9") frac = frac.replace(/0+$/, "");
        out += frac === "" ? "" : `${c}${frac}`;
        i = j;
        continue;
      }
    }
    for (const [token, render] of TOKENS) {
      if (layout.startsWith(token, i)) {
        out += render(p);
        i += token.length;
        continue outer;
      }
    }
    out += c;
    i++;
  }
  return out;
}

/** Vault's format for `{{expiration}}` in statements; PostgreSQL's VALID UNTIL reads it. */
export const EXPIRATION_LAYOUT = "2006-01-02 15:04:05-0700";

export function formatExpiration(expiration: Date): string {
  const year = expiration.getUTCFullYear();
  // Every credential's statements carry one; the layout walk above costs ~5 µs of it.
  if (!(year >= 1000 && year <= 9999)) return formatGoTime(expiration, EXPIRATION_LAYOUT, { offsetMinutes: 0 });
  const two = (n: number) => (n < 10 ? `0${n}` : String(n));
  return (
    `${year}-${two(expiration.getUTCMonth() + 1)}-${two(expiration.getUTCDate())} ` +
    `${two(expiration.getUTCHours())}:${two(expiration.getUTCMinutes())}:${two(expiration.getUTCSeconds())}+0000`
  );
}
