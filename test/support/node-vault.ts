import vault from "node-vault";

/** A node-vault client that records the HTTP method and path of every request it sends. */
export function nodeVault(opts: { endpoint: string; token?: string; noCustomHTTPVerbs?: boolean }) {
  const c = vault({ apiVersion: "v1", ...opts });
  const sent: string[] = [];
  const send = c.request.bind(c);
  c.request = (o) => {
    sent.push(`${o.method} ${o.path}`);
    return send(o);
  };
  return { c, sent };
}
