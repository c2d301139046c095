// How cheap can answering a keep-alive GET get in Node on this machine? A diagnosis aid
// for bench/kv-read.mjs, not a target. Two servers, each in its own process, answer the
// same KV-read-sized response: bare `node:http`, and a minimal responder on `node:net` that
// only finds each request head, splits its lines and writes a prebuilt answer (no request
// objects, no streams: the floor any HTTP layer written in JavaScript would sit on).
// 32 connections, one request in flight each, driven from this process; server CPU per
// request is the figure to read. Run: node bench/lib/http-floor.mjs [--seconds 3]
import { fork } from "node:child_process";
import http from "node:http";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { argument } from "./stats.mjs";

const BODY = Buffer.from(
  '{"request_id":"6f1c2b9e-0000-4000-8000-000000000000","lease_id":"","renewable":false,"lease_duration":0,' +
    '"data":{"data":{"password":"Zk3-pL9q-vX2m-R7tw","url":"postgresql://db.internal:5432/app","username":"app"},' +
    '"metadata":{"created_time":"2026-11-29T21:00:00.000000000Z","custom_metadata":null,"deletion_time":"","destroyed":false,"version":1}},' +
    '"wrap_info":null,"warnings":null,"auth":null,"mount_type":"kv"}\n',
);
const END_MARK = '"kv"}\n';

function serve(kind) {
  let server;
  if (kind === "node:http") {
    server = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { "cache-control": "no-store", "content-type": "application/json", "content-length": BODY.length });
      res.end(BODY);
    });
  } else {
    const head = Buffer.from(
      `HTTP/1.1 200 OK\r\nCache-Control: no-store\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n` +
        `Date: ${new Date().toUTCString()}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n`,
    );
    server = net.createServer({ noDelay: true }, (socket) => {
      let pending = null;
      socket.on("data", (chunk) => {
        const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
        let offset = 0;
        for (;;) {
          const end = buf.indexOf("\r\n\r\n", offset, "latin1");
          if (end === -1) break;
          const lines = buf.latin1Slice(offset, end).split("\r\n");
          const headers = {};
          for (let i = 1; i < lines.length; i++) {
            const colon = lines[i].indexOf(":");
            headers[lines[i].slice(0, colon).toLowerCase()] = lines[i].slice(colon + 1).trim();
          }
          socket.cork();
          socket.write(head);
          socket.write(BODY);
          process.nextTick(() => socket.uncork());
          offset = end + 4;
        }
        pending = offset < buf.length ? buf.subarray(offset) : null;
      });
      socket.on("error", () => undefined);
    });
  }
  server.listen(0, "127.0.0.1", () => process.send({ port: server.address().port }));
  process.on("message", () => process.send({ cpu: process.cpuUsage() }));
  process.on("disconnect", () => process.exit(0));
}

async function measure(kind, seconds) {
  const child = fork(fileURLToPath(import.meta.url), ["--serve", kind]);
  const port = await new Promise((resolve) => child.once("message", (m) => resolve(m.port)));
  const cpuUs = () =>
    new Promise((resolve) => {
      child.once("message", (m) => resolve(m.cpu.user + m.cpu.system));
      child.send("cpu");
    });
  const request = Buffer.from("GET /v1/secret/data/bench/app-config HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Vault-Token: hvs.abcdefabcdefabcdefabcdef\r\n\r\n");
  let answered = 0;
  let stopping = false;
  const sockets = Array.from({ length: 32 }, () => {
    const socket = net.connect(port, "127.0.0.1");
    socket.setNoDelay(true);
    socket.on("data", (chunk) => {
      const text = chunk.latin1Slice();
      for (let i = text.indexOf(END_MARK); i !== -1; i = text.indexOf(END_MARK, i + 1)) {
        answered++;
        if (!stopping) socket.write(request);
      }
    });
    return socket;
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  for (const socket of sockets) socket.write(request);
  await new Promise((resolve) => setTimeout(resolve, 1000)); // warm-up
  const cpu0 = await cpuUs();
  const n0 = answered;
  const t0 = Date.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const cpu1 = await cpuUs();
  const n1 = answered;
  const t1 = Date.now();
  stopping = true;
  for (const socket of sockets) socket.destroy();
  child.kill();
  return { rate: (n1 - n0) / ((t1 - t0) / 1000), cpuPerRequestUs: (cpu1 - cpu0) / (n1 - n0) };
}

if (process.argv[2] === "--serve") {
  serve(process.argv[3]);
} else {
  const seconds = Number(argument("seconds", "3"));
  for (let round = 0; round < 2; round++) {
    for (const kind of ["node:http", "minimal net"]) {
      const r = await measure(kind, seconds);
      console.log(`${kind.padEnd(12)} ${Math.round(r.rate).toLocaleString("en-US").padStart(7)} req/s  ${r.cpuPerRequestUs.toFixed(1)} µs server cpu/request`);
    }
  }
}
