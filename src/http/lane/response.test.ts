import { describe, expect, it } from "vitest";
import { LaneResponse, type ResponseOutput } from "./response.js";

function capture(): { out: ResponseOutput; bytes: () => Buffer; closed: () => boolean | undefined } {
  const chunks: Buffer[] = [];
  let closed: boolean | undefined;
  const out: ResponseOutput = {
    write: (d) => void chunks.push(typeof d === "string" ? Buffer.from(d, "utf8") : d),
    pendingBytes: () => 0,
    gone: () => false,
    finished: (c) => void (closed = c),
    destroy: () => undefined,
    onGone: () => undefined,
  };
  return { out, bytes: () => Buffer.concat(chunks), closed: () => closed };
}

describe("LaneResponse", () => {
  it("writes status line, headers, length, Date and keep-alive, then the body, in one piece", () => {
    const c = capture();
    const res = new LaneResponse(c.out, () => false, 65);
    res.writeHead(200, ["Content-Type", "application/json"]);
    res.end('{"a":"é"}');
    const text = c.bytes().toString("utf8");
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\nContent-Type: application\/json\r\nContent-Length: 10\r\nDate: .+ GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=65\r\n\r\n\{"a":"é"\}$/);
    expect(c.closed()).toBe(false);
  });

  it("keeps a Content-Length the handler gave, and adds none of its own", () => {
    const c = capture();
    const res = new LaneResponse(c.out, () => false, 5);
    res.writeHead(200, ["content-length", "2"]);
    res.end("ok");
    expect(c.bytes().toString().match(/content-length/gi)).toHaveLength(1);
  });

  it("refuses header names and values that could split the response, as node:http does", () => {
    const res = new LaneResponse(capture().out, () => false, 5);
    expect(() => res.writeHead(200, ["X-A", "ok\r\nSet-Cookie: x=1"])).toThrow(/invalid character/);
    expect(() => res.writeHead(200, ["X-A\r\nB", "v"])).toThrow(/invalid header name/);
    expect(() => res.writeHead(200, ["X-A", "nul\u0000"])).toThrow(/invalid character/);
  });

  it("writes header values with bytes 0x80-0xff as latin1, the body as UTF-8", () => {
    const c = capture();
    const res = new LaneResponse(c.out, () => true, 5);
    res.writeHead(200, ["X-Name", "caf\u00e9"]);
    res.end("\u00e9");
    const bytes = c.bytes();
    expect(bytes.includes(Buffer.from("X-Name: caf\xe9\r\n", "latin1"))).toBe(true);
    expect(bytes.subarray(bytes.length - 2)).toEqual(Buffer.from("\u00e9", "utf8"));
    expect(bytes.toString("latin1")).toContain("Connection: close\r\n");
    expect(c.closed()).toBe(true);
  });

  it("204 carries no length; a stream goes out chunked and ends with the last chunk", () => {
    const c = capture();
    const res = new LaneResponse(c.out, () => false, 5);
    res.writeHead(204, ["Cache-Control", "no-store"]);
    res.end();
    expect(c.bytes().toString()).not.toMatch(/Content-Length/);

    const s = capture();
    const stream = new LaneResponse(s.out, () => false, 5);
    stream.writeHead(200, ["Content-Type", "text/plain"]);
    stream.flushHeaders();
    stream.write("hello\n");
    stream.end();
    expect(s.bytes().toString()).toMatch(/Transfer-Encoding: chunked\r\n.*\r\n\r\n6\r\nhello\n\r\n0\r\n\r\n$/s);
  });
});
