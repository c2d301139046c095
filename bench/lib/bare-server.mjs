// The baseline server: bare node:http in its own process, answering GET `path` with exactly
// the headers and body it was given (those Mayfly returned), 404 otherwise. Forked by
// startBareServer(); prints nothing.
import { fork } from "node:child_process";
import http from "node:http";
import { fileURLToPath } from "node:url";

export async function startBareServer({ path, body, headers }) {
  const child = fork(fileURLToPath(import.meta.url), ["--serve"], { stdio: "inherit" });
  const port = await new Promise((resolve, reject) => {
    child.once("message", (m) => resolve(m.port));
    child.once("exit", (code) => reject(new Error(`bare server exited with ${code}`)));
    child.send({ path, body: body.toString("latin1"), headers });
  });
  return { port, pid: child.pid, stop: () => child.kill() };
}

if (process.argv[2] === "--serve") {
  process.once("message", ({ path, body, headers }) => {
    const bytes = Buffer.from(body, "latin1");
    const responseHeaders = { ...headers, "content-length": bytes.length };
    const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
      // Drain any body, as a real server must before answering on a keep-alive connection.
      req.resume();
      if (req.method === "GET" && req.url === path) {
        res.writeHead(200, responseHeaders);
        res.end(bytes);
      } else {
        res.writeHead(404, { "content-length": 0 });
        res.end();
      }
    });
    server.listen(0, "127.0.0.1", () => process.send({ port: server.address().port }));
  });
  process.on("disconnect", () => process.exit(0));
}
