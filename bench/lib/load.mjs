// The controller side of the load generator: forks `processes` workers (load-worker.mjs) and
// splits each target's connections among them. A run drives one target with all workers at
// once and merges their latencies.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

const workerPath = fileURLToPath(new URL("./load-worker.mjs", import.meta.url));

export async function startLoadGenerator(processes) {
  let seq = 0;
  const workers = await Promise.all(
    Array.from({ length: processes }, async () => {
      // "advanced" serialization carries the Float64Array of latencies without a JSON detour.
      const child = fork(workerPath, [], { serialization: "advanced", stdio: "inherit" });
      const waiting = new Map();
      child.on("message", (m) => {
        if (m.fatal) {
          console.error(`load generator: ${m.fatal}`);
          process.exit(1);
        }
        waiting.get(m.seq)?.(m);
        waiting.delete(m.seq);
      });
      const call = (message) =>
        new Promise((resolve) => {
          const id = ++seq;
          waiting.set(id, resolve);
          child.send({ ...message, seq: id });
        });
      return { child, call };
    }),
  );
  let nextTarget = 0;
  return {
    processes,
    /**
     * Opens `connections` keep-alive sockets to 127.0.0.1:port that will send `request`
     * (a complete HTTP/1.1 request, head and body). Returns a function that runs the
     * target for `ms` and resolves to { latenciesUs, elapsedUs, errors }.
     */
    async target(port, request, connections) {
      const id = nextTarget++;
      await Promise.all(
        workers.map((w, i) => {
          const share = Math.floor(connections / workers.length) + (i < connections % workers.length ? 1 : 0);
          return w.call({ cmd: "open", id, port, request, connections: share });
        }),
      );
      return async (ms) => {
        const results = await Promise.all(workers.map((w) => w.call({ cmd: "run", id, ms })));
        const total = results.reduce((n, r) => n + r.latenciesUs.length, 0);
        const latenciesUs = new Float64Array(total);
        let offset = 0;
        for (const r of results) {
          latenciesUs.set(r.latenciesUs, offset);
          offset += r.latenciesUs.length;
        }
        return {
          latenciesUs,
          elapsedUs: Math.max(...results.map((r) => r.elapsedUs)),
          errors: results.reduce((n, r) => n + r.errors, 0),
          firstError: results.find((r) => r.firstError)?.firstError ?? "",
        };
      };
    },
    /** CPU time used by the generator processes so far, for the record. */
    pids: () => workers.map((w) => w.child.pid),
    close() {
      for (const w of workers) w.child.send({ cmd: "exit" });
    },
  };
}

/** A GET request's bytes, as a Vault client sends them. */
export function getRequest(path, headers = {}) {
  let head = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  return `${head}\r\n`;
}
