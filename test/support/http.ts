import http from "node:http";

export interface ApiResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** Parsed body, or undefined when empty or not JSON. */
  json: any;
}

export interface ApiOptions {
  token?: string;
  body?: unknown;
  /** Sent as-is (no JSON encoding) when a string. */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}

/** A minimal HTTP client for tests: no retries, no redirects, full access to status and headers. */
export function api(baseUrl: string, method: string, path: string, opts: ApiOptions = {}): Promise<ApiResponse> {
  const url = new URL(path.startsWith("/") ? path : `/v1/${path}`, baseUrl);
  const body = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const headers: Record<string, string | number> = { ...(opts.headers ?? {}) };
  if (opts.token !== undefined) headers["X-Vault-Token"] = opts.token;
  if (body !== undefined) headers["Content-Length"] = Buffer.byteLength(body);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Binds `api` to one server and token. */
export function client(baseUrl: string, token?: string) {
  const call = (method: string, path: string, opts: ApiOptions = {}) =>
    api(baseUrl, method, path, { ...(token !== undefined ? { token } : {}), ...opts });
  return {
    get: (path: string, opts?: ApiOptions) => call("GET", path, opts),
    list: (path: string, opts?: ApiOptions) => call("GET", `${path}${path.includes("?") ? "&" : "?"}list=true`, opts),
    put: (path: string, body?: unknown, opts?: ApiOptions) => call("PUT", path, { ...opts, ...(body !== undefined ? { body } : {}) }),
    post: (path: string, body?: unknown, opts?: ApiOptions) => call("POST", path, { ...opts, ...(body !== undefined ? { body } : {}) }),
    patch: (path: string, body: unknown, opts?: ApiOptions) =>
      call("PATCH", path, { ...opts, body, headers: { "Content-Type": "application/merge-patch+json", ...(opts?.headers ?? {}) } }),
    delete: (path: string, opts?: ApiOptions) => call("DELETE", path, opts),
    raw: call,
  };
}
