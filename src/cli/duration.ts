/**
 * Durations as Vault's CLI reads and prints them. Flags accept what Vault's
 * parseutil.ParseDurationSecond accepts (bare seconds, Go durations, a day suffix);
 * requests carry Go's `time.Duration.String()` form ("1h0m0s"), and tables show the
 * shortened form Vault calls humanDuration ("1h", "1m30s").
 */

const unitSeconds: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  "µs": 1e-6,
  "μs": 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
};

export class DurationError extends Error {}

/** Parses "90", "90s", "1h30m", "1.5h", "2d" into seconds (possibly fractional). */
export function parseDurationSeconds(input: string): number {
  const text = input.trim();
  if (text === "") return 0;
  if (/^[+-]?\d+$/.test(text)) return Number(text);
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    if (rest.startsWith("-")) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  const part = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d)/;
  let total = 0;
  let matched = false;
  while (rest.length > 0) {
    const m = part.exec(rest);
    if (!m) throw new DurationError(`time: invalid duration "${input}"`);
    const unit = unitSeconds[m[2] as string] as number;
    total += Number(m[1]) * unit;
    rest = rest.slice(m[0].length);
    matched = true;
  }
  if (!matched) throw new DurationError(`time: invalid duration "${input}"`);
  return sign * total;
}

/** Go's time.Duration.String() for a number of seconds: 3600 -> "1h0m0s", 0.5 -> "500ms". */
export function formatGoDuration(seconds: number): string {
  if (seconds === 0) return "0s";
  const negative = seconds < 0;
  let rest = Math.abs(seconds);
  const prefix = negative ? "-" : "";
  if (rest < 1) {
    const ms = rest * 1e3;
    if (ms >= 1) return prefix + trimFloat(ms) + "ms";
    const us = rest * 1e6;
    if (us >= 1) return prefix + trimFloat(us) + "µs";
    return prefix + trimFloat(rest * 1e9) + "ns";
  }
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  rest -= minutes * 60;
  const secs = trimFloat(rest) + "s";
  if (hours > 0) return `${prefix}${hours}h${minutes}m${secs}`;
  if (minutes > 0) return `${prefix}${minutes}m${secs}`;
  return prefix + secs;
}

function trimFloat(n: number): string {
  // Nine digits is Go's nanosecond resolution; toFixed avoids 1e-7 style output.
  return Number(n.toFixed(9)).toString();
}

/** Vault's humanDuration: Go's form without the trailing zero units ("1h0m0s" -> "1h"). */
export function humanDuration(seconds: number): string {
  let s = formatGoDuration(seconds);
  if (s.endsWith("m0s")) s = s.slice(0, -2);
  const idx = s.indexOf("h0m");
  if (idx > 0) s = s.slice(0, idx + 1) + s.slice(idx + 3);
  return s;
}

/** Keys Vault prints as durations in tables (command/format.go looksLikeDuration). */
export function looksLikeDuration(key: string): boolean {
  return (
    key === "period" ||
    key.endsWith("_period") ||
    key === "ttl" ||
    key.endsWith("_ttl") ||
    key === "duration" ||
    key.endsWith("_duration") ||
    key === "lease_max" ||
    key === "ttl_max"
  );
}

/** humanDurationInt: integers become durations, anything else is shown as it is. */
export function humanDurationValue(value: unknown): unknown {
  if (typeof value === "number" && Number.isInteger(value)) return humanDuration(value);
  if (typeof value === "string" && /^-?\d+$/.test(value)) return humanDuration(Number(value));
  return value;
}
