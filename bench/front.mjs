// Cost of the LIST front (src/http/front.ts) and of the lane (src/http/lane/) per request.
// Run after `npm run build`:
//   node bench/front.mjs [--seconds 6] [--connections 32] [--client raw|http|both]
// The same tiny JSON handler is served by a bare node:http server, by the same server
// behind the front, and by the front with its lane (requests answered without node:http),
// each in its own child process; this process drives them over keep-alive
// connections and prints req/s and p99 side by side.
//
// The machine is shared, so the targets take turns in short slices (bare GET, front GET,
// front LIST, again and again) over connections kept open throughout: a burst of other work
// then lands on all of them alike. Server CPU time per request is printed too; it is the
// steadier measure of the front's own cost when the load generator, not the server, is the
// bottleneck.
//
// Two load generators: `raw` writes prebuilt requests on plain sockets and is light enough
// that the server is the bottleneck; `http` uses node:http keep-alive agents, as a Node
// client would, but on a small machine it may saturate before the server does.
import { fork } from "node:child_process";
import http from "node:http";
import net from "node:net";
import { fileURLToPath } from "node:url";

const BODY = '{"request_id":"0","data":{"keys":["a","b","c"]},"warnings":null}';
const SLICE_MS = 500;

function argument(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : process.argv[index + 1];
}

async function serve(kind) {
  const answer = (res) => {
    res.writeHead(200, ["content-type", "application/json", "content-length", String(Buffer.byteLength(BODY))]);
    res.end(BODY);
  };
  // node:http's requests end with an event; the lane's have their body at hand.
  const handler = (req, res) => {
    if ("readFullBody" in req) return void req.readFullBody(1 << 20).then(() => answer(res));
    req.resume();
    req.on("end", () => answer(res));
  };
  const server = http.createServer(handler);
  let listener = server;
  if (kind === "front" || kind === "lane") {
    const { createFront } = await import("../dist/http/front.js");
    listener = createFront(server, kind === "lane" ? { lane: handler } : {});
  }
  listener.listen(0, "127.0.0.1", () => process.send({ port: listener.address().port }));
  process.on("message", () => process.send({ cpuUs: process.cpuUsage() }));
  // Go when the driver goes, even if it died before it could stop us.
  process.on("disconnect", () => process.exit(0));
}

async function startServer(kind) {
  const child = fork(fileURLToPath(import.meta.url), ["--serve", kind], { stdio: "inherit" });
  const port = await new Promise((resolve, reject) => {
    child.once("message", (m) => resolve(m.port));
    child.once("exit", (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  const cpuUs = () =>
    new Promise((resolve) => {
      child.once("message", (m) => resolve(m.cpuUs.user + m.cpuUs.system));
      child.send("cpu");
    });
  return { port, cpuUs, stop: () => child.kill() };
}

/** `connections` sockets sending one request at a time, each as soon as the last is answered. */
function rawDriver(port, method, connections) {
  const request = Buffer.from(`${method} /v1/secret/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Vault-Token: t\r\n\r\n`);
  let deadline = 0n;
  let latenciesNs = [];
  let onIdle = () => {};
  let busy = 0;
  const sockets = Array.from({ length: connections }, () => {
    const socket = net.connect(port, "127.0.0.1");
    socket.setNoDelay(true);
    let pending = Buffer.alloc(0);
    let sentAt = 0n;
    socket.send = () => {
      sentAt = process.hrtime.bigint();
      if (sentAt > deadline) {
        if (--busy === 0) onIdle();
        return;
      }
      socket.write(request);
    };
    socket.on("error", (error) => {
      console.error(error);
      process.exit(1);
    });
    socket.on("data", (chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const headEnd = pending.indexOf("\r\n\r\n");
      if (headEnd === -1) return;
      const match = /content-length: *(\d+)/i.exec(pending.toString("latin1", 0, headEnd));
      const total = headEnd + 4 + Number(match?.[1] ?? 0);
      if (pending.length < total) return;
      if (!pending.toString("latin1", 0, 12).endsWith("200")) throw new Error(pending.toString());
      pending = pending.subarray(total);
      latenciesNs.push(Number(process.hrtime.bigint() - sentAt));
      socket.send();
    });
    return socket;
  });
  return {
    run(ms) {
      deadline = process.hrtime.bigint() + BigInt(ms * 1e6);
      latenciesNs = [];
      busy = sockets.length;
      return new Promise((resolve) => {
        onIdle = () => resolve(latenciesNs);
        for (const socket of sockets) socket.send();
      });
    },
    close: () => sockets.forEach((s) => s.destroy()),
  };
}

function httpDriver(port, method, connections) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const once = (latenciesNs) =>
    new Promise((resolve, reject) => {
      const sentAt = process.hrtime.bigint();
      const options = { host: "127.0.0.1", port, method, path: "/v1/secret/", agent, headers: { "X-Vault-Token": "t" } };
      const req = http.request(options, (res) => {
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
  return {
    async run(ms) {
      const deadline = process.hrtime.bigint() + BigInt(ms * 1e6);
      const latenciesNs = [];
      await Promise.all(
        Array.from({ length: connections }, async () => {
          while (process.hrtime.bigint() < deadline) await once(latenciesNs);
        }),
      );
      return latenciesNs;
    },
    close: () => agent.destroy(),
  };
}

const fmt = (n) => Math.round(n).toLocaleString("en-US");

async function main() {
  const seconds = Number(argument("seconds", "6"));
  const connections = Number(argument("connections", "32"));
  const clientChoice = argument("client", "both");
  const clients = clientChoice === "both" ? ["raw", "http"] : [clientChoice];

  const bare = await startServer("bare");
  const front = await startServer("front");
  const lane = await startServer("lane");
  try {
    for (const client of clients) {
      const newDriver = client === "raw" ? rawDriver : httpDriver;
      const targets = [
        { name: "bare GET", server: bare, driver: newDriver(bare.port, "GET", connections) },
        { name: "front GET", server: front, driver: newDriver(front.port, "GET", connections) },
        { name: "front LIST", server: front, driver: newDriver(front.port, "LIST", connections) },
        { name: "lane GET", server: lane, driver: newDriver(lane.port, "GET", connections) },
        { name: "lane LIST", server: lane, driver: newDriver(lane.port, "LIST", connections) },
      ];
      // Warm up: JIT, connection setup.
      for (const target of targets) await target.driver.run(1000);
      for (const target of targets) Object.assign(target, { latenciesNs: [], elapsedNs: 0, cpuUs: 0 });
      for (let slice = 0; slice < (seconds * 1000) / SLICE_MS; slice++) {
        for (const target of targets) {
          const cpuBeforeUs = await target.server.cpuUs();
          const startedAt = process.hrtime.bigint();
          const latenciesNs = await target.driver.run(SLICE_MS);
          target.elapsedNs += Number(process.hrtime.bigint() - startedAt);
          target.cpuUs += (await target.server.cpuUs()) - cpuBeforeUs;
          for (const latency of latenciesNs) target.latenciesNs.push(latency);
        }
      }
      for (const target of targets) {
        target.driver.close();
        const sorted = Float64Array.from(target.latenciesNs).sort();
        target.requestsPerSecond = sorted.length / (target.elapsedNs / 1e9);
        target.p99Ms = sorted[Math.floor(sorted.length * 0.99)] / 1e6;
        target.cpuUsPerRequest = target.cpuUs / sorted.length;
      }
      const [baseline, ...fronted] = targets;
      const describe = (t) =>
        `${t.name.padEnd(10)} ${fmt(t.requestsPerSecond).padStart(6)} req/s  p99 ${t.p99Ms.toFixed(2)} ms  ` +
        `${t.cpuUsPerRequest.toFixed(1)} µs cpu/req`;
      for (const target of fronted) {
        console.log(
          `${client.padEnd(4)} ${connections} conns  ${describe(target)} | ${describe(baseline)} | ` +
            `ratio ${(target.requestsPerSecond / baseline.requestsPerSecond).toFixed(2)}  ` +
            `cpu/req ratio ${(baseline.cpuUsPerRequest / target.cpuUsPerRequest).toFixed(2)}`,
        );
      }
    }
  } finally {
    bare.stop();
    front.stop();
    lane.stop();
  }
}

if (process.argv[2] === "--serve") {
  await serve(process.argv[3]);
} else {
  await main();
}
