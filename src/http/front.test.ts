import http from "node:http";
import net from "node:net";
import { describe, expect, it } from "vitest";
import { RequestFramer } from "./front/framer.js";
import { FrontSocket, isListRequest, LIST_MARKER_HEADER } from "./front.js";

const MARKER_LINE = `${LIST_MARKER_HEADER}: m\r\n`;

function newFramer(maxHeaderBytes = 16 * 1024): RequestFramer {
  return new RequestFramer({
    maxHeaderBytes,
    markerName: LIST_MARKER_HEADER,
    markerLine: Buffer.from(MARKER_LINE, "latin1"),
    forgedName: "x-mayfly-list-forged",
  });
}

/** Feeds the pieces in order and returns what llhttp would be handed, as one string. */
function frame(pieces: string[], framer = newFramer()): string {
  const out: Buffer[] = [];
  for (const piece of pieces) framer.feed(Buffer.from(piece, "latin1"), (b) => out.push(b));
  const held = framer.flush();
  if (held !== null) out.push(held);
  return Buffer.concat(out).toString("latin1");
}

function splitEvery(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}

const listHead = "LIST /v1/secret/ HTTP/1.1\r\nHost: x\r\n\r\n";
const listRewritten = `GET /v1/secret/ HTTP/1.1\r\n${MARKER_LINE}Host: x\r\n\r\n`;

describe("RequestFramer", () => {
  it("hands a request that needs no rewrite over as the very same buffer", () => {
    const framer = newFramer();
    const input = Buffer.from("GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n\r\n");
    const out: Buffer[] = [];
    framer.feed(input, (b) => out.push(b));
    expect(out).toHaveLength(1);
    expect(out[0]).toBe(input);
  });

  it("rewrites LIST to GET and adds the marker after the request line", () => {
    expect(frame([listHead])).toBe(listRewritten);
  });

  it("rewrites LIST on HTTP/1.0 and after the empty lines llhttp skips", () => {
    expect(frame(["\r\n\r\nLIST /a HTTP/1.0\r\n\r\n"])).toBe(`\r\n\r\nGET /a HTTP/1.0\r\n${MARKER_LINE}\r\n`);
  });

  it("leaves methods that merely start like LIST alone", () => {
    const input = "LISTEN /a HTTP/1.1\r\n\r\nLIS /b HTTP/1.1\r\n\r\nlist /c HTTP/1.1\r\n\r\n";
    expect(frame([input])).toBe(input);
  });

  it("renames a client-sent marker header whatever its case, on GET and LIST alike", () => {
    const input =
      "GET /a HTTP/1.1\r\nX-Mayfly-List-Method: 1\r\n\r\n" + "LIST /b HTTP/1.1\r\nx-mayfly-list-method:1\r\n\r\n";
    expect(frame([input])).toBe(
      "GET /a HTTP/1.1\r\nx-mayfly-list-forged: 1\r\n\r\n" +
        `GET /b HTTP/1.1\r\n${MARKER_LINE}x-mayfly-list-forged:1\r\n\r\n`,
    );
  });

  it("keeps headers that only share the marker's prefix", () => {
    const input = "GET /a HTTP/1.1\r\nx-mayfly-list-methods: 1\r\nx-mayfly: 2\r\n\r\n";
    expect(frame([input])).toBe(input);
  });

  it("skips a Content-Length body that starts with LIST, then rewrites the next request", () => {
    const body = "LIST /not/a/request HTTP/1.1\r\n\r\n";
    const input = `POST /a HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n${body}${listHead}`;
    expect(frame([input])).toBe(`POST /a HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n${body}${listRewritten}`);
  });

  it("follows chunked bodies with extensions and trailers, then rewrites the next request", () => {
    const chunked =
      "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "5;name=value\r\nLIST \r\n" +
      "1a\r\n/b HTTP/1.1\r\n\r\nLIST /c x\r\n\r\n" +
      "0\r\nX-Trailer: LIST\r\nx-mayfly-list-method: 1\r\n\r\n";
    expect(frame([chunked + listHead])).toBe(chunked + listRewritten);
  });

  it("frames Transfer-Encoding `gzip, chunked` and split TE lines by chunks", () => {
    const a = "POST /a HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked \r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    const b = "POST /a HTTP/1.1\r\nTransfer-Encoding: gzip\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    expect(frame([a + listHead])).toBe(a + listRewritten);
    expect(frame([b + listHead])).toBe(b + listRewritten);
  });

  it("gives the same result however the stream is cut, down to single bytes", () => {
    const stream =
      `POST /a HTTP/1.1\r\nX-Long: ${"v".repeat(1500)}\r\nContent-Length: 11\r\nX-Mayfly-List-Method: 1\r\n\r\nLIST /x 123` +
      "POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4;e=1\r\nLIST\r\n0\r\nT: 1\r\n\r\n" +
      "\r\nLIST /c HTTP/1.1\r\nHost: x\r\nx-mayfly-list-method: 1\r\n\r\n" +
      "GET /d HTTP/1.0\r\nContent-Length: 0\r\n\r\n";
    const whole = frame([stream]);
    expect(whole).toContain(`GET /c HTTP/1.1\r\n${MARKER_LINE}`);
    expect(whole.split(MARKER_LINE)).toHaveLength(2);
    for (let cut = 1; cut < stream.length; cut++) {
      expect(frame([stream.slice(0, cut), stream.slice(cut)]), `cut at ${cut}`).toBe(whole);
    }
    for (const size of [1, 2, 3, 7]) expect(frame(splitEvery(stream, size)), `pieces of ${size}`).toBe(whole);
  });

  it("holds back at most the start of a line it cannot judge yet", () => {
    const framer = newFramer();
    const out: string[] = [];
    const emit = (b: Buffer): void => void out.push(b.toString("latin1"));
    framer.feed(Buffer.from("LIS"), emit);
    expect(out).toEqual([]);
    expect(framer.idle).toBe(false);
    framer.feed(Buffer.from("T /a HTTP/1.1\r\nx-mayfly"), emit);
    expect(out.join("")).toBe(`GET /a HTTP/1.1\r\n${MARKER_LINE}`);
    framer.feed(Buffer.from("-list-method: 1\r\nHost: y"), emit);
    expect(out.join("")).toBe(`GET /a HTTP/1.1\r\n${MARKER_LINE}x-mayfly-list-forged: 1\r\nHost: y`);
    expect(framer.flush()).toBeNull();
    framer.feed(Buffer.from("\r\n\r\n"), emit);
    expect(framer.idle).toBe(true);
  });

  it("returns held bytes at end of input so llhttp sees the truncated request", () => {
    const framer = newFramer();
    const out: Buffer[] = [];
    framer.feed(Buffer.from("LI"), (b) => out.push(b));
    expect(out).toEqual([]);
    expect(framer.flush()?.toString()).toBe("LI");
  });

  describe("passes everything after the head through untouched", () => {
    const cases: Array<[string, string]> = [
      ["Content-Length with Transfer-Encoding", "POST /a HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"],
      ["Transfer-Encoding not ending in chunked", "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"],
      ["chunked twice", "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"],
      ["two Content-Length headers", "POST /a HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n"],
      ["a signed Content-Length", "POST /a HTTP/1.1\r\nContent-Length: +0\r\n\r\n"],
      ["an Upgrade", "GET /a HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"],
      ["CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"],
      ["a bad chunk size", "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"],
      ["a chunk not followed by CRLF", "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n"],
    ];
    for (const [name, head] of cases) {
      it(name, () => {
        const framer = newFramer();
        const input = head + listHead + "GET /b HTTP/1.1\r\nx-mayfly-list-method: 1\r\n\r\n";
        expect(frame([input], framer)).toBe(input);
        expect(framer.passthrough).toBe(true);
      });
    }
  });

  it("passes an oversize head through, but still marks an oversize LIST line", () => {
    const big = "a".repeat(200);
    const oversize = `GET /a HTTP/1.1\r\nX-Big: ${big}\r\n\r\n`;
    expect(frame([oversize + listHead], newFramer(100))).toBe(oversize + listHead);

    const longList = `LIST /${big} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const framer = newFramer(100);
    const out = frame(splitEvery(longList + listHead, 13), framer);
    expect(out.startsWith(`GET /${big} HTTP/1.1\r\n${MARKER_LINE}Host: x\r\n\r\n`)).toBe(true);
    expect(framer.passthrough).toBe(true);
  });
});

describe("isListRequest", () => {
  function requestWith(headers: Record<string, string>): http.IncomingMessage {
    const req = new http.IncomingMessage(null as never);
    req.headers = headers;
    return req;
  }

  it("refuses a marker whose value a client could guess", () => {
    expect(isListRequest(requestWith({}))).toBe(false);
    expect(isListRequest(requestWith({ [LIST_MARKER_HEADER]: "1" }))).toBe(false);
    expect(isListRequest(requestWith({ [LIST_MARKER_HEADER]: "0".repeat(32) }))).toBe(false);
  });
});

describe("FrontSocket", () => {
  it("looks like a plain net.Socket when not over TLS: no encrypted flag, no certificate methods", () => {
    const socket = new FrontSocket(new net.Socket(), newFramer());
    expect("encrypted" in socket).toBe(false);
    expect("getPeerCertificate" in socket).toBe(false);
    expect("_handle" in socket).toBe(false);
    socket.destroy();
  });
});
