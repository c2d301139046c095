/**
 * Durations as Vault reads them (go-secure-stdlib parseutil.ParseDurationSecond): a number
 * or an all-digit string is seconds, "<int>d" is days, anything else is a Go duration
 * ("1h30m", "90s", "1.5h", "500ms"). Results are whole seconds, truncated toward zero like
 * Vault's `int(d.Seconds())`, so "500ms" is 0 and "1500ms" is 1.
 */
import { badRequest } from "./errors.js";

const NS_PER_UNIT: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  "\u00b5s": 1e3, // micro sign
  "\u03bcs": 1e3, // Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.Duration is an int64 of nanoseconds; beyond this Vault reports an overflow. */
const MAX_DURATION_NS = 9_223_372_036_854_775_807;

/** Seconds in `value`; throws badRequest on anything Vault would refuse. */
export function parseDurationSeconds(value: string | number): number {
  return Math.trunc(parseDurationNs(value) / 1e9);
}

/** Milliseconds in `value`, for the few callers that need sub-second precision. */
export function parseDurationMs(value: string | number): number {
  return Math.trunc(parseDurationNs(value) / 1e6);
}

function parseDurationNs(value: string | number): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw badRequest(`invalid duration ${String(value)}`);
    // Go converts a float to Duration by truncation before multiplying by a second.
    return checkRange(Math.trunc(value) * 1e9, String(value));
  }
  if (typeof value !== "string") throw badRequest("invalid duration: expected a string or a number");
  if (value === "") return 0;
  if (/^[+-]?\d+$/.test(value)) return checkRange(Number(value) * 1e9, value);
  if (value.endsWith("d")) {
    const days = value.slice(0, -1);
    if (!/^[+-]?\d+$/.test(days)) throw badRequest(`invalid duration "${value}"`);
    return checkRange(Number(days) * 86_400e9, value);
  }
  return checkRange(parseGoDurationNs(value), value);
}

function checkRange(ns: number, original: string): number {
  if (Math.abs(ns) > MAX_DURATION_NS) throw badRequest(`duration "${original}" is out of range`);
  return ns === 0 ? 0 : ns; // no -0
}

/** Go's time.ParseDuration: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, or "0". */
export function parseGoDurationNs(text: string): number {
  const invalid = () => badRequest(`invalid duration "${text}"`);
  let s = text;
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw invalid();
  let totalNs = 0;
  const part = /^(\d*)(?:\.(\d*))?([^\d.]+)/;
  while (s.length > 0) {
    const m = part.exec(s);
    if (m === null) throw invalid();
    const whole = m[1] ?? "";
    const frac = m[2];
    const unit = m[3] ?? "";
    if (whole === "" && (frac === undefined || frac === "")) throw invalid();
    const scale = NS_PER_UNIT[unit];
    if (scale === undefined) throw badRequest(`unknown unit "${unit}" in duration "${text}"`);
    const amount = Number(whole === "" ? "0" : whole) + (frac ? Number(`0.${frac}`) : 0);
    totalNs += amount * scale;
    s = s.slice(m[0].length);
  }
  return sign * totalNs;
}

/**
 * Seconds as Go prints a time.Duration ("768h0m0s", "1m30s", "0s"), the form Vault uses
 * in several responses and CLI tables.
 */
export function formatGoDuration(totalSeconds: number): string {
  if (!Number.isFinite(totalSeconds)) return "0s";
  const negative = totalSeconds < 0;
  let rest = Math.abs(Math.trunc(totalSeconds));
  if (rest === 0) return "0s";
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  const seconds = rest - minutes * 60;
  let out = "";
  if (hours > 0) out = `${hours}h${minutes}m${seconds}s`;
  else if (minutes > 0) out = `${minutes}m${seconds}s`;
  else out = `${seconds}s`;
  return negative ? `-${out}` : out;
}
