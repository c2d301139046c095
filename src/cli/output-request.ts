/**
 * The global -output-curl-string and -output-policy flags: instead of sending its request,
 * a command prints the curl command that would send it, or the ACL policy that would allow
 * it, as Vault's CLI does. The client stops the first request a command makes (its own
 * lookups, such as the KV mount preflight, still go out) with this error, which the CLI
 * prints and exits 0 on.
 */
export type OutputRequestKind = "curl" | "policy";

export interface InterceptedRequest {
  method: string;
  url: string;
  headers: Readonly<Record<string, string>>;
  body?: Buffer;
  tls: { skipVerify: boolean; caCert?: string; caPath?: string; clientCert?: string; clientKey?: string };
}

export class OutputRequestError extends Error {
  constructor(
    readonly kind: OutputRequestKind,
    readonly request: InterceptedRequest,
  ) {
    super(kind === "curl" ? curlString(request) : samplePolicy(request));
    this.name = "OutputRequestError";
  }
}

/** Single-quoted for a POSIX shell. */
function quote(s: string): string {
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

export function curlString(r: InterceptedRequest): string {
  const parts = ["curl"];
  if (r.tls.skipVerify) parts.push("--insecure");
  if (r.method !== "GET") parts.push("-X", r.method);
  if (r.tls.caCert) parts.push("--cacert", quote(r.tls.caCert));
  if (r.tls.caPath) parts.push("--capath", quote(r.tls.caPath));
  if (r.tls.clientCert) parts.push("--cert", quote(r.tls.clientCert));
  if (r.tls.clientKey) parts.push("--key", quote(r.tls.clientKey));
  for (const [name, value] of Object.entries(r.headers)) {
    if (name.toLowerCase() === "content-length") continue;
    // Never print the token itself: the command substitution reads it when curl runs.
    const shown = name.toLowerCase() === "x-vault-token" ? "$(mayfly print token)" : value.replace(/(["\\`])/g, "\\$1");
    parts.push("-H", `"${name}: ${shown}"`);
  }
  if (r.body && r.body.length > 0) parts.push("-d", quote(r.body.toString("utf8")));
  parts.push(r.url);
  return parts.join(" ");
}

export function samplePolicy(r: InterceptedRequest): string {
  const url = new URL(r.url);
  const list = url.searchParams.get("list") === "true" || r.method === "LIST";
  const capabilities = list
    ? ["list"]
    : r.method === "GET" || r.method === "HEAD"
      ? ["read"]
      : r.method === "PUT" || r.method === "POST"
        ? ["create", "update"]
        : r.method === "PATCH"
          ? ["patch"]
          : r.method === "DELETE"
            ? ["delete"]
            : ["update"];
  let path = decodeURIComponent(url.pathname).replace(/^\/v1\//, "");
  if (list && !path.endsWith("/")) path += "/";
  return `path "${path}" {\n  capabilities = [${capabilities.map((c) => `"${c}"`).join(", ")}]\n}`;
}
