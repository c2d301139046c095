// Cost of the LIST front (src/http/front.ts) per request. Run after `npm run build`:
//   node bench/front.mjs [--seconds 4] [--connections 32] [--rounds 3] [--client raw|http|both]
// The same tiny JSON handler is served by a bare node:http server and by the same server
// behind the front, each in its own child process; this process drives them over keep-alive
// connections and prints req/s and p99 side by side. Rounds alternate between the servers
// so noise from other work on the machine hits both; the median round is printed. Server CPU
// time per request is printed too: on a busy machine it is the steadier measure of overhead.
//
// Two load generators: `raw` writes prebuilt requests on plain sockets and is light enough
// that the server is the bottleneck; `http` uses node:http keep-alive agents, like a Node
// client would, but on a small machine it may saturate before the server does.
import { fork } from "node:child_process";
import http from "node:http";
import net from "node:net";
import { fileURLToPath } from "node:url";

const BODY = '{"request_id":"0","data":{"keys":["a","b","c"]},"warnings":null}';

function argument(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : process.argv[index + 1];
}

async function serve(kind) {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(BODY) });
      res.end(BODY);
    });
  });
  let listener = server;
  if (kind === "front") {
    const { createFront } = await import("../dist/http/front.js");
    listener = createFront(server);
  }
  listener.listen(0, "127.0.0.1", () => process.send({ port: listener.address().port }));
  process.on("message", () => process.send({ cpuUs: process.cpuUsage() }));
}

async function startServer(kind) {
  const child = fork(fileURLToPath(import.meta.url), ["--serve", kind], { stdio: "inherit" });
  const port = await new Promise((resolve, reject) => {
    child.once("message", (m) => resolve(m.port));
    child.once("exit", (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  // CPU time the server spent, which other work on the machine disturbs far less than req/s.
  const cpuUs = () => new Promise((resolve) => {
    child.once("message", (m) => resolve(m.cpuUs.user + m.cpuUs.system));
    child.send("cpu");
  });
  return { port, cpuUs, stop: () => child.kill() };
}

async function measure(server, drive, method, connections, seconds) {
  const cpuBeforeUs = await server.cpuUs();
  const latenciesNs = await drive(server.port, method, connections, seconds);
  const cpuUsPerRequest = ((await server.cpuUs()) - cpuBeforeUs) / latenciesNs.length;
  return { ...summarize(latenciesNs, seconds), cpuUsPerRequest };
}

/** Requests one after another on each of `connections` sockets, for `seconds`. */
async function driveRaw(port, method, connections, seconds) {
  const request = Buffer.from(`${method} /v1/secret/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Vault-Token: t\r\n\r\n`);
  const latenciesNs = [];
  const deadline = process.hrtime.bigint() + BigInt(seconds * 1e9);
  await Promise.all(
    Array.from({ length: connections }, () => new Promise((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.setNoDelay(true);
      let pending = Buffer.alloc(0);
      let sentAt = 0n;
      const send = () => {
        sentAt = process.hrtime.bigint();
        if (sentAt > deadline) return socket.end(resolve);
        socket.write(request);
      };
      socket.on("connect", send);
      socket.on("error", reject);
      socket.on("data", (chunk) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        const headEnd = pending.indexOf("\r\n\r\n");
        if (headEnd === -1) return;
        const match = /content-length: *(\d+)/i.exec(pending.toString("latin1", 0, headEnd));
        const total = headEnd + 4 + Number(match?.[1] ?? 0);
        if (pending.length < total) return;
        if (!pending.toString("latin1", 0, 12).endsWith("200")) return reject(new Error(pending.toString()));
        pending = pending.subarray(total);
        latenciesNs.push(Number(process.hrtime.bigint() - sentAt));
        send();
      });
    })),
  );
  return latenciesNs;
}

async function driveHttp(port, method, connections, seconds) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latenciesNs = [];
  const deadline = process.hrtime.bigint() + BigInt(seconds * 1e9);
  const once = () => new Promise((resolve, reject) => {
    const sentAt = process.hrtime.bigint();
    const req = http.request({ host: "127.0.0.1", port, method, path: "/v1/secret/", agent, headers: { "X-Vault-Token": "t" } }, (res) => {
      res.resume();
      res.on("end", () => {
        if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
        latenciesNs.push(Number(process.hrtime.bigint() - sentAt));
        resolve();
      });
    });
    req.on("error", reject);
    req.end();
  });
  await Promise.all(Array.from({ length: connections }, async () => {
    while (process.hrtime.bigint() < deadline) await once();
  }));
  agent.destroy();
  return latenciesNs;
}

function summarize(latenciesNs, seconds) {
  const sorted = Float64Array.from(latenciesNs).sort();
  return {
    requestsPerSecond: latenciesNs.length / seconds,
    p99Ms: (sorted[Math.floor(sorted.length * 0.99)] ?? 0) / 1e6,
  };
}

function median(results) {
  const sorted = [...results].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  return sorted[Math.floor(sorted.length / 2)];
}

const fmt = (n) => Math.round(n).toLocaleString("en-US");

async function main() {
  const seconds = Number(argument("seconds", "4"));
  const connections = Number(argument("connections", "32"));
  const rounds = Number(argument("rounds", "3"));
  const clientChoice = argument("client", "both");
  const clients = clientChoice === "both" ? ["raw", "http"] : [clientChoice];

  const bare = await startServer("bare");
  const front = await startServer("front");
  try {
    for (const client of clients) {
      const drive = client === "raw" ? driveRaw : driveHttp;
      // Warm both servers (JIT, connection setup) before anything is measured.
      await drive(bare.port, "GET", connections, 1);
      await drive(front.port, "GET", connections, 1);
      await drive(front.port, "LIST", connections, 1);
      const runs = { bare: [], frontGet: [], frontList: [] };
      for (let round = 0; round < rounds; round++) {
        runs.bare.push(await measure(bare, drive, "GET", connections, seconds));
        runs.frontGet.push(await measure(front, drive, "GET", connections, seconds));
        runs.frontList.push(await measure(front, drive, "LIST", connections, seconds));
      }
      const baseline = median(runs.bare);
      for (const [name, result] of [["GET ", median(runs.frontGet)], ["LIST", median(runs.frontList)]]) {
        console.log(
          `front ${name} ${client.padEnd(4)} ${connections} conns  ` +
            `front ${fmt(result.requestsPerSecond)} req/s  p99 ${result.p99Ms.toFixed(2)} ms  ` +
            `${result.cpuUsPerRequest.toFixed(1)} µs cpu/req | ` +
            `bare node:http GET ${fmt(baseline.requestsPerSecond)} req/s  p99 ${baseline.p99Ms.toFixed(2)} ms  ` +
            `${baseline.cpuUsPerRequest.toFixed(1)} µs cpu/req | ` +
            `ratio ${(result.requestsPerSecond / baseline.requestsPerSecond).toFixed(2)}  ` +
            `cpu ratio ${(baseline.cpuUsPerRequest / result.cpuUsPerRequest).toFixed(2)}`,
        );
      }
    }
  } finally {
    bare.stop();
    front.stop();
  }
}

if (process.argv[2] === "--serve") {
  await serve(process.argv[3]);
} else {
  await main();
}
