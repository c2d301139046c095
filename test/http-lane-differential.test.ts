// The lane must never read a request differently from node:http: the same bytes, mutated at
// random in the places parsers disagree on (line ends, lengths, names, versions, spacing),
// go to a front with the lane and to one without; what reaches the handler, and the status
// of every answer, must be the same on both.

import http from "node:http";
import { randomInt } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isListRequest } from "../src/http/front.js";
import type { LaneRequestLike } from "../src/http/lane/connection.js";
import type { ResponseLike } from "../src/http/lane/response.js";
import { closeFrontsAfterEach, RawClient, startFront } from "./support/front-harness.js";

closeFrontsAfterEach();

type AnyRequest = http.IncomingMessage | LaneRequestLike;

async function bodyOf(req: AnyRequest): Promise<string> {
  if ("readFullBody" in req) return (await req.readFullBody(1 << 20)).toString("latin1");
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("latin1");
}

/**
 * Records what the handler saw (without saying which path served it), then answers. The
 * record, not the answer, is compared: node:http may close a connection on a later
 * pipelined request's parse error before an earlier request's answer is out.
 */
function recorder(seen: string[]) {
  return (req: AnyRequest, res: ResponseLike | http.ServerResponse): void => {
    bodyOf(req)
      .catch(() => NOT_RECEIVED)
      .then((body) => {
        const headers = { ...req.headers };
        delete headers["x-mayfly-list-method"];
        const text = JSON.stringify({ method: req.method, url: req.url, list: isListRequest(req), body, headers });
        seen.push(text);
        res.writeHead(200, ["Content-Length", String(Buffer.byteLength(text))]);
        res.end(text);
      });
  };
}

const NOT_RECEIVED = "(body not received)";
const pick = <T>(xs: readonly T[]): T => xs[randomInt(xs.length)] as T;
/** The first choice usually; now and then one of the others. */
const mostly = <T>(usual: T, others: readonly T[]): T => (randomInt(8) === 0 ? pick(others) : usual);

function mutatedRequest(): string {
  const eol = () => mostly("\r\n", ["\n", "\r", " \r\n"]);
  const method = pick(["GET", "LIST", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);
  const target = mostly(pick(["/v1/a", "/v1/secret/data/x?version=2", "/v1/b/", "/v1/%2e%2e/x"]), ["http://h/v1/a", "*", "/v1/a b", "v1/a", "/v1/\u00e9", "/v1/a\tb"]);
  const version = mostly("HTTP/1.1", ["HTTP/1.0", "HTTP/2.0", "http/1.1", "HTTP/1.1 ", "HTTP/1.10"]);
  const sp = () => mostly(" ", ["  ", "\t"]);
  const body = pick(["", "", '{"a":1}', "hello world", "LIST /v1/x HTTP/1.1\r\n\r\n"]);
  const length = Buffer.byteLength(body);
  const lines: string[] = [];
  if (randomInt(12) > 0) lines.push(`${pick(["Host", "host", "HOST"])}: ${mostly("x", ["", " x ", "a b", "x\u0000"])}`);
  if (length > 0 || randomInt(3) === 0) {
    lines.push(`${mostly("Content-Length", ["content-length", "Content-Length ", "Content-Lenght"])}:${mostly(" ", ["", "  ", "\t"])}${mostly(String(length), [`0${length}`, `+${length}`, `${length} `, `${length},${length}`, `${length + 3}`, "-1", "abc", "", `${length}.0`])}`);
  }
  if (randomInt(8) === 0) lines.push(pick([`Content-Length: ${length}`, `Content-Length: ${length + 1}`, "Transfer-Encoding: chunked", "Transfer-Encoding: identity"]));
  for (let i = randomInt(3); i > 0; i--) {
    lines.push(
      mostly(
        pick(["X-Vault-Token: t", "x-vault-token:\tt2 ", "X-Dup: 1", "Connection: keep-alive", "X-Mayfly-List-Method: 1", "X-Empty:", "Accept: */*"]),
        ["Connection: close", "Connection: upgrade", "Expect: 100-continue", "Upgrade: websocket", " folded", "No-Colon", "Bad Name: v", "X-Null: a\u0000b", "X-Utf8: caf\u00e9", ":nameless", "X-Dup: 2", "X-Del: \u007f"],
      ),
    );
  }
  const lead = randomInt(20) === 0 ? "\r\n" : "";
  return `${lead}${method}${sp()}${target}${sp()}${version}${eol()}${lines.map((l) => l + eol()).join("")}${eol()}${body}`;
}

/** The statuses of the answers to `bytes` (and a plain request after it), until the server goes quiet or closes. */
async function answers(port: number, bytes: string): Promise<number[]> {
  const client = await RawClient.connect(port);
  client.write(bytes + "GET /v1/sentinel HTTP/1.1\r\nHost: x\r\n\r\n");
  const out: number[] = [];
  for (;;) {
    let got: Awaited<ReturnType<RawClient["read"]>>;
    try {
      got = await client.read(1, 150);
    } catch {
      break;
    }
    if (got.length === 0) break;
    const r = got[0]!;
    out.push(r.status);
  }
  client.socket.destroy();
  return out;
}

/**
 * The same requests, in any order (node:http may finish reading a body after the request
 * behind it), with the same bodies wherever both received theirs: node:http gives up on a
 * body when a later pipelined request fails to parse, or follows `Connection: close`, and
 * the lane does not, which is no difference in how the request was read.
 */
function sameRequests(lane: string[], plain: string[]): boolean {
  if (lane.length !== plain.length) return false;
  const parse = (xs: string[]) => xs.map((x) => JSON.parse(x) as { body: string }).sort((p, q) => JSON.stringify({ ...p, body: "" }).localeCompare(JSON.stringify({ ...q, body: "" })));
  const [l, p] = [parse(lane), parse(plain)];
  return l.every((x, i) => {
    const y = p[i]!;
    if (JSON.stringify({ ...x, body: "" }) !== JSON.stringify({ ...y, body: "" })) return false;
    return x.body === y.body || y.body === NOT_RECEIVED;
  });
}

describe("the lane reads every request as node:http does", () => {
  it("over many randomly mutated requests", async () => {
    const seenLane: string[] = [];
    const seenPlain: string[] = [];
    const lane = await startFront({ handler: recorder(seenLane) as never, front: { lane: recorder(seenLane) } });
    const plain = await startFront({ handler: recorder(seenPlain) as never });
    const differences: string[] = [];
    let served = 0;
    for (let i = 0; i < 300; i++) {
      const request = mutatedRequest();
      seenLane.length = 0;
      seenPlain.length = 0;
      const [a, b] = await Promise.all([answers(lane.port, request), answers(plain.port, request)]);
      if (seenPlain.length > 1) served++;
      // What each handler was given must be the same; an error status must be the same too
      // when neither side served anything.
      const same = sameRequests(seenLane, seenPlain) && (seenPlain.length > 0 || JSON.stringify(a) === JSON.stringify(b));
      if (!same) differences.push(`${JSON.stringify(request)}\n  lane:  ${a.join(",")} ${seenLane.join(" | ")}\n  plain: ${b.join(",")} ${seenPlain.join(" | ")}`);
    }
    expect(differences.slice(0, 5)).toEqual([]);
    // Most mutations leave a request both read: the comparison is not only of 400s.
    expect(served).toBeGreaterThan(40);
  }, 120_000);
});
