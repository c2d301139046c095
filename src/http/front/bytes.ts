// Byte-level scanning for the request framer (framer.ts): line ends, header names, and the
// numbers in Content-Length and chunk sizes, accepted as llhttp accepts them.
const LF = 0x0a;
const MAX_CONTENT_LENGTH_DIGITS = 15;

// Heads are short: a JS loop beats a call into Buffer#indexOf for the first bytes of a line,
// and the native search takes over for long ones (cookies, big tokens).
const SHORT_SCAN_BYTES = 128;

export function findLineFeed(chunk: Buffer, start: number, end: number): number {
  const shortEnd = Math.min(end, start + SHORT_SCAN_BYTES);
  for (let k = start; k < shortEnd; k++) if (chunk[k] === LF) return k;
  if (shortEnd === end) return -1;
  const found = chunk.indexOf(LF, shortEnd);
  return found === -1 || found >= end ? -1 : found;
}

/** Index of `byte` in buf[start, end), or -1. */
export function findByte(buf: Buffer, byte: number, start: number, end: number): number {
  for (let k = start; k < end; k++) if (buf[k] === byte) return k;
  return -1;
}

// Header names hold only tokens, so OR-ing 0x20 lowers letters and leaves '-' alone; a byte
// it would wrongly fold (a control character) is one llhttp refuses anyway.
export function equalsLowerAscii(line: Buffer, start: number, lower: string): boolean {
  for (let k = 0; k < lower.length; k++) {
    if ((line[start + k]! | 0x20) !== lower.charCodeAt(k)) return false;
  }
  return true;
}

/** Digits between optional spaces/tabs, as llhttp accepts them; -1 when anything else. */
export function parseDecimal(line: Buffer, start: number, end: number): number {
  let s = start;
  let e = end;
  while (s < e && (line[s] === 0x20 || line[s] === 0x09)) s++;
  while (e > s && (line[e - 1] === 0x20 || line[e - 1] === 0x09)) e--;
  if (s === e || e - s > MAX_CONTENT_LENGTH_DIGITS) return -1;
  let value = 0;
  for (let k = s; k < e; k++) {
    const c = line[k]!;
    if (c < 0x30 || c > 0x39) return -1;
    value = value * 10 + (c - 0x30);
  }
  return value;
}

export function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** llhttp frames by chunks only when `chunked` is the last coding and appears once. */
export function isChunkedLast(transferEncoding: string): boolean {
  const codings = transferEncoding.split(",").map((c) => c.trim().toLowerCase());
  return codings[codings.length - 1] === "chunked" && codings.indexOf("chunked") === codings.length - 1;
}
