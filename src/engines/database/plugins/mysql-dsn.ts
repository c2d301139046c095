/**
 * Vault's MySQL plugins take a Go-driver DSN as connection_url:
 * `user:password@tcp(127.0.0.1:3306)/dbname?tls=skip-verify&timeout=5s`.
 * A `mysql://user:pass@host:port/db` URL is accepted too.
 */

export interface MysqlTarget {
  user: string | undefined;
  password: string | undefined;
  host: string | undefined;
  port: number | undefined;
  socketPath: string | undefined;
  database: string | undefined;
  /** Go driver's tls parameter: "true", "skip-verify", "preferred", "false", or absent. */
  tls: string | undefined;
  connectTimeoutMs: number | undefined;
}

export function parseMysqlConnectionString(raw: string): MysqlTarget {
  const s = raw.trim();
  if (/^mysql:\/\//i.test(s)) return fromUrl(s);
  return fromGoDsn(s);
}

function fromGoDsn(dsn: string): MysqlTarget {
  // The Go driver reads from the right: the last "/" starts the database name, the last
  // "@" before it ends the credentials, so a password may contain "@", ":" or "/".
  let query = "";
  let rest = dsn;
  const slash = rest.lastIndexOf("/");
  if (slash === -1) throw new Error('missing the slash before the database name: write "/" even for none');
  let dbPart = rest.slice(slash + 1);
  rest = rest.slice(0, slash);
  const q = dbPart.indexOf("?");
  if (q !== -1) {
    query = dbPart.slice(q + 1);
    dbPart = dbPart.slice(0, q);
  }
  const at = rest.lastIndexOf("@");
  const credentials = at === -1 ? undefined : rest.slice(0, at);
  const network = at === -1 ? rest : rest.slice(at + 1);

  let user: string | undefined;
  let password: string | undefined;
  if (credentials !== undefined) {
    const colon = credentials.indexOf(":");
    user = colon === -1 ? credentials : credentials.slice(0, colon);
    password = colon === -1 ? undefined : credentials.slice(colon + 1);
    // Vault URL-escapes the username it fills in; the password goes in raw.
    user = safeDecode(user);
  }

  let host: string | undefined;
  let port: number | undefined;
  let socketPath: string | undefined;
  if (network !== "") {
    const m = /^(\w+)(?:\((.*)\))?$/.exec(network);
    if (m === null) throw new Error(`invalid network address "${network}"`);
    const protocol = m[1];
    const address = m[2] ?? "";
    if (protocol === "unix") {
      socketPath = address === "" ? "/tmp/mysql.sock" : address;
    } else if (protocol === "tcp" || protocol === "tcp4" || protocol === "tcp6") {
      [host, port] = splitHostPort(address === "" ? "127.0.0.1:3306" : address);
    } else {
      throw new Error(`unsupported network "${protocol}"`);
    }
  } else {
    [host, port] = ["127.0.0.1", 3306];
  }

  const params = new URLSearchParams(query);
  return {
    user: user === "" ? undefined : user,
    password,
    host,
    port,
    socketPath,
    database: dbPart === "" ? undefined : safeDecode(dbPart),
    tls: params.get("tls") ?? undefined,
    connectTimeoutMs: goDurationMs(params.get("timeout")),
  };
}

function fromUrl(s: string): MysqlTarget {
  const url = new URL(s.replace(/^mysql:/i, "http:"));
  const params = url.searchParams;
  return {
    user: url.username === "" ? undefined : safeDecode(url.username),
    password: url.password === "" ? undefined : safeDecode(url.password),
    host: url.hostname === "" ? "127.0.0.1" : url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port === "" ? 3306 : Number(url.port),
    socketPath: undefined,
    database: url.pathname.length > 1 ? safeDecode(url.pathname.slice(1)) : undefined,
    tls: params.get("tls") ?? undefined,
    connectTimeoutMs: goDurationMs(params.get("timeout")),
  };
}

function splitHostPort(address: string): [string, number] {
  const m = /^\[(.*)\]:(\d+)$/.exec(address) ?? /^([^:]*):(\d+)$/.exec(address);
  if (m === null) return [address.replace(/^\[(.*)\]$/, "$1"), 3306];
  return [m[1] === "" ? "127.0.0.1" : (m[1] ?? ""), Number(m[2])];
}

function safeDecode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/** "5s", "1m30s", "500ms" as Go's time.ParseDuration reads them. */
function goDurationMs(v: string | null): number | undefined {
  if (v === null || v === "") return undefined;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let consumed = 0;
  for (let m = re.exec(v); m !== null; m = re.exec(v)) {
    total += Number(m[1]) * (units[m[2] ?? "s"] ?? 1000);
    consumed += m[0].length;
  }
  if (consumed !== v.length) throw new Error(`invalid timeout "${v}"`);
  return total;
}
