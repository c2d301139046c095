/**
 * Reads the two connection-string forms libpq (and so Vault's users) write:
 * `postgresql://user:pass@host:port/db?sslmode=disable` and
 * `host=localhost port=5432 user=vault password='p w' dbname=postgres`.
 * We parse rather than hand the string to `pg`, because `pg` lets the string override
 * every explicit setting, and we need to add ours (pool size, application_name).
 */
import type { ConnectionOptions } from "node:tls";

export interface PostgresTarget {
  host: string;
  port: number;
  user: string | undefined;
  password: string | undefined;
  database: string | undefined;
  ssl: false | ConnectionOptions;
  applicationName: string | undefined;
  options: string | undefined;
  connectTimeoutSeconds: number | undefined;
}

export function parsePostgresConnectionString(raw: string): PostgresTarget {
  const s = raw.trim();
  const params = /^postgres(ql)?:\/\//i.test(s) ? fromUrl(s) : fromKeyValues(s);
  const sslmode = params.get("sslmode") ?? "prefer";
  const portText = params.get("port") ?? "5432";
  const port = Number(portText);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`invalid port "${portText}"`);
  const timeout = params.get("connect_timeout");
  return {
    host: params.get("host") ?? "localhost",
    port,
    user: params.get("user"),
    password: params.get("password"),
    database: params.get("dbname"),
    ssl: sslFor(sslmode, params.get("sslrootcert")),
    applicationName: params.get("application_name"),
    options: params.get("options"),
    connectTimeoutSeconds: timeout === undefined ? undefined : Number(timeout),
  };
}

function sslFor(mode: string, rootCertPath: string | undefined): false | ConnectionOptions {
  if (rootCertPath !== undefined) {
    throw new Error("sslrootcert paths are not supported; give the CA in tls_ca");
  }
  switch (mode) {
    // node-postgres cannot fall back from TLS to plain as libpq's "prefer" does; it goes plain.
    case "disable":
    case "allow":
    case "prefer":
      return false;
    case "require":
      return { rejectUnauthorized: false };
    case "verify-ca":
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case "verify-full":
      return { rejectUnauthorized: true };
    default:
      throw new Error(`invalid sslmode "${mode}"`);
  }
}

function fromUrl(s: string): Map<string, string> {
  let url: URL;
  try {
    // WHATWG URL parses only special schemes' hosts reliably; borrow http's rules.
    url = new URL(s.replace(/^postgres(ql)?:/i, "http:"));
  } catch {
    throw new Error("not a valid URL");
  }
  const params = new Map<string, string>();
  const decode = (v: string): string => {
    try {
      return decodeURIComponent(v);
    } catch {
      return v;
    }
  };
  if (url.hostname !== "") params.set("host", url.hostname.replace(/^\[(.*)\]$/, "$1"));
  if (url.port !== "") params.set("port", url.port);
  if (url.username !== "") params.set("user", decode(url.username));
  if (url.password !== "") params.set("password", decode(url.password));
  const db = decode(url.pathname.replace(/^\//, ""));
  if (db !== "") params.set("dbname", db);
  for (const [k, v] of url.searchParams) params.set(k, v);
  return params;
}

/** libpq's keyword=value form; values may be single-quoted with backslash escapes. */
function fromKeyValues(s: string): Map<string, string> {
  const params = new Map<string, string>();
  let i = 0;
  while (i < s.length) {
    while (/\s/.test(s[i] ?? "")) i++;
    if (i >= s.length) break;
    const eq = s.indexOf("=", i);
    if (eq === -1) throw new Error(`missing "=" after "${s.slice(i)}"`);
    const key = s.slice(i, eq).trim();
    if (!/^[a-z_]+$/.test(key)) throw new Error(`invalid keyword "${key}"`);
    i = eq + 1;
    while (/\s/.test(s[i] ?? "")) i++;
    let value = "";
    if (s[i] === "'") {
      i++;
      while (i < s.length && s[i] !== "'") {
        if (s[i] === "\\") i++;
        value += s[i] ?? "";
        i++;
      }
      if (s[i] !== "'") throw new Error("unterminated quoted value");
      i++;
    } else {
      while (i < s.length && !/\s/.test(s[i] ?? "")) {
        if (s[i] === "\\") i++;
        value += s[i] ?? "";
        i++;
      }
    }
    params.set(key, value);
  }
  if (params.size === 0) throw new Error("empty connection string");
  return params;
}
