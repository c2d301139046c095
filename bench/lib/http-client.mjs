// A keep-alive JSON client for benchmarks that send a few thousand requests a second at
// most (database credentials): node:http with an Agent sized to the clients, nothing more.
import http from "node:http";
import net from "node:net";

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

/**
 * The same interface on raw keep-alive sockets: one request in flight per socket, a free
 * socket reused, the response read by its Content-Length. node:http's client costs this
 * 2-core VM ~130-230 µs of CPU per request (as much as Mayfly's server side of a revoke),
 * CPU the direct pg side never spends; a client written in Go or Java pays a fraction of
 * that, so the benchmarks drive Mayfly with this one. Not a general client: no chunked
 * responses, no redirects.
 */
export function rawJsonClient(port, token) {
  const free = [];
  const all = new Set();

  function connect() {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1", () => resolve(conn));
      socket.setNoDelay(true);
      const conn = { socket, buf: Buffer.alloc(0), waiter: null };
      socket.on("data", (chunk) => {
        conn.buf = conn.buf.length === 0 ? chunk : Buffer.concat([conn.buf, chunk]);
        const end = conn.buf.indexOf("\r\n\r\n");
        if (end === -1 || !conn.waiter) return;
        const head = conn.buf.toString("latin1", 0, end);
        const status = Number(head.slice(9, 12));
        const m = /\r\ncontent-length: *(\d+)/i.exec(head);
        const length = m ? Number(m[1]) : 0;
        if (conn.buf.length < end + 4 + length) return;
        const body = conn.buf.toString("utf8", end + 4, end + 4 + length);
        conn.buf = conn.buf.subarray(end + 4 + length);
        const w = conn.waiter;
        conn.waiter = null;
        w.resolve({ status, body });
      });
      const fail = (e) => {
        all.delete(conn);
        // A server may close an idle keep-alive socket: it must not be handed out again.
        const i = free.indexOf(conn);
        if (i !== -1) free.splice(i, 1);
        conn.waiter?.reject(e ?? new Error("connection closed"));
        conn.waiter = null;
      };
      socket.on("error", (e) => {
        fail(e);
        reject(e);
      });
      socket.on("close", () => fail());
      all.add(conn);
    });
  }

  async function request(method, path, body) {
    const payload = body === undefined ? "" : JSON.stringify(body);
    const head =
      `${method} /v1/${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Vault-Token: ${token}\r\n` +
      (payload ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n` : "") +
      "\r\n";
    const conn = free.pop() ?? (await connect());
    const { status, body: text } = await new Promise((resolve, reject) => {
      conn.waiter = { resolve, reject };
      conn.socket.write(head + payload);
    });
    free.push(conn);
    if (status >= 400) throw new Error(`${method} ${path}: ${status} ${text}`);
    return text === "" ? null : JSON.parse(text);
  }

  return {
    request,
    close() {
      for (const c of all) c.socket.destroy();
    },
  };
}
