// A keep-alive JSON client for benchmarks that send a few thousand requests a second at
// most (database credentials): node:http with an Agent sized to the clients, nothing more.
import http from "node:http";

export function jsonClient(port, token, maxSockets = 64) {
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  function request(method, path, body) {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const headers = { "X-Vault-Token": token };
      if (payload) {
        headers["Content-Type"] = "application/json";
        headers["Content-Length"] = payload.length;
      }
      const req = http.request({ host: "127.0.0.1", port, method, path: `/v1/${path}`, agent, headers }, (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode >= 400) reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
          else resolve(text === "" ? null : JSON.parse(text));
        });
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(payload);
    });
  }
  return { request, close: () => agent.destroy() };
}
