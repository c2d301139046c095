// A strict parser for the request heads ordinary clients send. It accepts only what it can
// read without doubt (HTTP/1.1, a known method, one Content-Length or none, no
// Transfer-Encoding, Upgrade or Expect, no repeated header, plain ASCII values) and answers
// "fallback" for everything else, so node:http (behind the LIST front) sees those requests
// untouched and answers them as it always has. Being stricter than llhttp is the point: a
// request the two could read differently never takes this path.

import type { IncomingHttpHeaders } from "node:http";

export interface ParsedHead {
  /** Upper case, as sent. LIST is kept as LIST. */
  method: string;
  url: string;
  /** Lower-case names, values trimmed, as node:http gives them; no prototype. */
  headers: IncomingHttpHeaders;
  /** 0 when absent. */
  contentLength: number;
  /** The client sent `Connection: close`. */
  close: boolean;
  /** Bytes the head took, both CRLFs of its end included. */
  headBytes: number;
}

export type HeadResult = ParsedHead | "incomplete" | "fallback";

const METHODS = new Set(["GET", "POST", "PUT", "DELETE", "PATCH", "LIST", "OPTIONS"]);
const VERSION = " HTTP/1.1";
const HEAD_END = Buffer.from("\r\n\r\n", "latin1");
const MAX_HEADERS = 100;
const MAX_CONTENT_LENGTH_DIGITS = 15;

// RFC 9110 token characters, for header names and methods.
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1;

/**
 * Parses the head at the start of `buf`; "incomplete" until its blank line has arrived.
 * A header named in `refused` (lower case) sends the request to node:http too.
 */
export function parseHead(buf: Buffer, maxHeaderBytes: number, refused?: ReadonlySet<string>): HeadResult {
  const end = buf.indexOf(HEAD_END);
  if (end === -1) return buf.length > maxHeaderBytes ? "fallback" : "incomplete";
  if (end + 4 > maxHeaderBytes) return "fallback";

  // Request line: METHOD SP target SP HTTP/1.1 CRLF, nothing else.
  const lineEnd = buf.indexOf(0x0d);
  if (lineEnd <= 0 || buf[lineEnd + 1] !== 0x0a) return "fallback";
  const sp = buf.indexOf(0x20);
  if (sp <= 0 || sp > 8 || sp > lineEnd) return "fallback";
  const method = buf.toString("latin1", 0, sp);
  if (!METHODS.has(method)) return "fallback";
  const urlEnd = lineEnd - VERSION.length;
  if (urlEnd <= sp + 1 || buf.toString("latin1", urlEnd, lineEnd) !== VERSION) return "fallback";
  if (buf[sp + 1] !== 0x2f) return "fallback"; // origin-form only: "/..."
  for (let k = sp + 1; k < urlEnd; k++) {
    const c = buf[k]!;
    if (c < 0x21 || c > 0x7e) return "fallback";
  }
  const url = buf.toString("latin1", sp + 1, urlEnd);

  const headers: IncomingHttpHeaders = Object.create(null) as IncomingHttpHeaders;
  let count = 0;
  let contentLength = 0;
  let close = false;
  let hasHost = false;
  let pos = lineEnd + 2;
  while (pos < end + 2) {
    const cr = buf.indexOf(0x0d, pos);
    // Every line of the head ends in CRLF; a lone LF or CR anywhere is left to llhttp.
    if (cr === -1 || buf[cr + 1] !== 0x0a) return "fallback";
    if (++count > MAX_HEADERS) return "fallback";
    let colon = -1;
    for (let k = pos; k < cr; k++) {
      const c = buf[k]!;
      if (c === 0x3a) {
        colon = k;
        break;
      }
      if (TCHAR[c] !== 1) return "fallback"; // also a folded line's leading space
    }
    if (colon <= pos) return "fallback";
    let vs = colon + 1;
    let ve = cr;
    for (let k = vs; k < ve; k++) {
      const c = buf[k]!;
      if ((c < 0x20 && c !== 0x09) || c > 0x7e) return "fallback";
    }
    while (vs < ve && (buf[vs] === 0x20 || buf[vs] === 0x09)) vs++;
    while (ve > vs && (buf[ve - 1] === 0x20 || buf[ve - 1] === 0x09)) ve--;
    const name = buf.toString("latin1", pos, colon).toLowerCase();
    if (headers[name] !== undefined || refused?.has(name)) return "fallback";
    const value = buf.toString("latin1", vs, ve);
    switch (name) {
      case "content-length": {
        if (value.length === 0 || value.length > MAX_CONTENT_LENGTH_DIGITS || !/^[0-9]+$/.test(value)) return "fallback";
        contentLength = Number(value);
        break;
      }
      case "transfer-encoding":
      case "upgrade":
      case "expect":
        return "fallback";
      case "connection": {
        for (const token of value.toLowerCase().split(",")) {
          const t = token.trim();
          if (t === "close") close = true;
          else if (t !== "keep-alive") return "fallback";
        }
        break;
      }
      case "host":
        hasHost = true;
        break;
    }
    headers[name] = value;
    pos = cr + 2;
  }
  // node:http refuses an HTTP/1.1 request without Host with its own 400.
  if (!hasHost) return "fallback";
  return { method, url, headers, contentLength, close, headBytes: end + 4 };
}
