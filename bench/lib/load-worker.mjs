// One load-generator process (forked by load.mjs). It keeps keep-alive sockets open to each
// target and, on command, drives one target in a closed loop: every socket sends one request,
// waits for the whole response, records the latency and sends the next (no pipelining).
// Raw sockets with prebuilt request bytes keep the generator's own cost per request far
// below a node:http client's, so that the server under test is the bottleneck.
import net from "node:net";
import { LatencyRecorder } from "./stats.mjs";

const HEAD_END = Buffer.from("\r\n\r\n");
const targets = new Map();

function openTarget({ id, port, request, connections }) {
  const requestBytes = Buffer.from(request, "latin1");
  const target = { sockets: [], recorder: new LatencyRecorder(), deadline: 0n, busy: 0, onIdle: null, errors: 0, firstError: "" };
  const connected = [];
  for (let i = 0; i < connections; i++) {
    const socket = net.connect(port, "127.0.0.1");
    socket.setNoDelay(true);
    let pending = null;
    let need = 0;
    let sentAt = 0n;
    const sendNext = () => {
      sentAt = process.hrtime.bigint();
      if (sentAt >= target.deadline) {
        if (--target.busy === 0) target.onIdle();
        return;
      }
      socket.write(requestBytes);
    };
    socket.sendNext = sendNext;
    socket.on("data", (chunk) => {
      let buf = pending === null ? chunk : Buffer.concat([pending, chunk]);
      pending = null;
      if (need === 0) {
        const headEnd = buf.indexOf(HEAD_END);
        if (headEnd === -1) {
          pending = buf;
          return;
        }
        const head = buf.toString("latin1", 0, headEnd);
        const at = head.search(/\r\ncontent-length:/i);
        const length = at === -1 ? 0 : parseInt(head.slice(at + 17), 10);
        need = headEnd + 4 + length;
        // "HTTP/1.1 200 OK": the status sits at bytes 9..11.
        if (head.charCodeAt(9) !== 50 || head.charCodeAt(10) !== 48 || head.charCodeAt(11) !== 48) {
          target.errors++;
          if (target.firstError === "") target.firstError = buf.toString("latin1", 0, Math.min(buf.length, 600));
        }
      }
      if (buf.length < need) {
        pending = buf;
        return;
      }
      if (buf.length > need) throw new Error("bytes beyond one response on a connection without pipelining");
      need = 0;
      target.recorder.push(Number(process.hrtime.bigint() - sentAt) / 1000);
      sendNext();
    });
    socket.on("error", (error) => {
      process.send({ fatal: `socket to port ${port}: ${error.message}` });
      process.exit(1);
    });
    connected.push(new Promise((resolve) => socket.once("connect", resolve)));
    target.sockets.push(socket);
  }
  targets.set(id, target);
  return Promise.all(connected);
}

function run({ id, ms }) {
  const target = targets.get(id);
  target.deadline = process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
  target.busy = target.sockets.length;
  target.errors = 0;
  const startedAt = process.hrtime.bigint();
  return new Promise((resolve) => {
    if (target.sockets.length === 0) {
      resolve({ latenciesUs: new Float64Array(0), elapsedUs: 0, errors: 0, firstError: "" });
      return;
    }
    target.onIdle = () => {
      const elapsedUs = Number(process.hrtime.bigint() - startedAt) / 1000;
      resolve({ latenciesUs: target.recorder.take(), elapsedUs, errors: target.errors, firstError: target.firstError });
    };
    for (const socket of target.sockets) socket.sendNext();
  });
}

process.on("message", async (message) => {
  if (message.cmd === "open") {
    await openTarget(message);
    process.send({ seq: message.seq });
  } else if (message.cmd === "run") {
    const result = await run(message);
    process.send({ seq: message.seq, ...result });
  } else if (message.cmd === "exit") {
    for (const t of targets.values()) for (const s of t.sockets) s.destroy();
    process.exit(0);
  }
});
// Go when the driver goes, even if it died before it could stop us.
process.on("disconnect", () => process.exit(0));
