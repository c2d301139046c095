import { describe, expect, it } from "vitest";
import { isMayflyError } from "../../../framework/errors.js";
import { DEFAULT_RETRY, fillConnectionUrl, pluginError, withRetries } from "./common.js";
import { parseMysqlConnectionString } from "./mysql-dsn.js";
import { parsePostgresConnectionString } from "./postgres-url.js";

describe("PostgreSQL connection strings", () => {
  it("reads a URL with credentials, database and sslmode", () => {
    const t = parsePostgresConnectionString("postgresql://vault:p%40ss%3Aw@db.example:6543/app?sslmode=disable&application_name=x");
    expect(t).toMatchObject({ host: "db.example", port: 6543, user: "vault", password: "p@ss:w", database: "app", ssl: false, applicationName: "x" });
    expect(parsePostgresConnectionString("postgres://[::1]/db").host).toBe("::1");
    expect(parsePostgresConnectionString("postgres://h/db?sslmode=require").ssl).toEqual({ rejectUnauthorized: false });
    expect(parsePostgresConnectionString("postgres://h/db?sslmode=verify-full").ssl).toEqual({ rejectUnauthorized: true });
  });

  it("reads libpq keyword=value strings with quoted values", () => {
    const t = parsePostgresConnectionString(`host=127.0.0.1 port=5433 user=vault password='a b\\'c' dbname=postgres sslmode=disable`);
    expect(t).toMatchObject({ host: "127.0.0.1", port: 5433, user: "vault", password: "a b'c", database: "postgres", ssl: false });
  });

  it("rejects what it cannot honour", () => {
    expect(() => parsePostgresConnectionString("postgres://h/db?sslmode=bogus")).toThrow(/sslmode/);
    expect(() => parsePostgresConnectionString("postgres://h:99999/db")).toThrow();
    expect(() => parsePostgresConnectionString("just words")).toThrow(/=/);
  });
});

describe("MySQL DSNs in the Go driver's format", () => {
  it("reads user:password@tcp(host:port)/db", () => {
    expect(parseMysqlConnectionString("root:secret@tcp(127.0.0.1:3307)/app")).toMatchObject({
      user: "root", password: "secret", host: "127.0.0.1", port: 3307, database: "app",
    });
  });

  it("takes the last @ and first : so a raw password may contain both", () => {
    expect(parseMysqlConnectionString("vault:p@ss:w/rd@tcp(db:3306)/")).toMatchObject({
      user: "vault", password: "p@ss:w/rd", host: "db", port: 3306, database: undefined,
    });
  });

  it("reads unix sockets, defaults, and parameters", () => {
    expect(parseMysqlConnectionString("u:p@unix(/run/mysqld/mysqld.sock)/db")).toMatchObject({ socketPath: "/run/mysqld/mysqld.sock", database: "db" });
    expect(parseMysqlConnectionString("u:p@/db")).toMatchObject({ host: "127.0.0.1", port: 3306 });
    expect(parseMysqlConnectionString("u:p@tcp(h:1)/?tls=skip-verify&timeout=1m30s")).toMatchObject({ tls: "skip-verify", connectTimeoutMs: 90_000 });
    expect(parseMysqlConnectionString("mysql://u:p%21@h:3310/db")).toMatchObject({ user: "u", password: "p!", host: "h", port: 3310, database: "db" });
  });

  it("rejects a DSN without the database slash", () => {
    expect(() => parseMysqlConnectionString("u:p@tcp(h:1)")).toThrow(/slash/);
  });
});

describe("connection URL templating", () => {
  it("URL-escapes username and password unless disabled", () => {
    const url = "postgresql://{{username}}:{{password}}@h/db";
    expect(fillConnectionUrl(url, "va ult", "p@ss/w", { disableEscaping: false, escapePassword: true })).toBe(
      "postgresql://va%20ult:p%40ss%2Fw@h/db",
    );
    expect(fillConnectionUrl(url, "vault", "p@ss", { disableEscaping: true, escapePassword: true })).toBe("postgresql://vault:p@ss@h/db");
    expect(fillConnectionUrl("{{username}}:{{password}}@tcp(h:1)/", "v", "p@ss", { disableEscaping: false, escapePassword: false })).toBe(
      "v:p@ss@tcp(h:1)/",
    );
  });

  it("refuses credentials that contain the placeholders, as Vault does", () => {
    try {
      fillConnectionUrl("x", "{{password}}", "p", { disableEscaping: false, escapePassword: true });
      expect.unreachable();
    } catch (e) {
      expect(isMayflyError(e) && e.status === 400).toBe(true);
    }
  });
});

describe("plugin errors and retries", () => {
  it("replaces every known secret in an error message", () => {
    const e = pluginError(Object.assign(new Error(`syntax error at or near "hunter2" for admin pw rootpw`), { code: "42601" }), "failed to execute query", ["hunter2", "rootpw"]);
    expect(e.message).toBe(`failed to execute query: syntax error at or near "[password]" for admin pw [password]`);
    expect(e.code).toBe("42601");
  });

  it("retries only retryable errors, and only up to the attempt limit", async () => {
    let calls = 0;
    const fast = { ...DEFAULT_RETRY, baseDelayMs: 1, maxDelayMs: 2, attempts: 4 };
    await expect(withRetries(async () => { calls++; throw new Error("boom"); }, () => true, fast)).rejects.toThrow("boom");
    expect(calls).toBe(4);
    calls = 0;
    await expect(withRetries(async () => { calls++; throw new Error("fatal"); }, () => false, fast)).rejects.toThrow("fatal");
    expect(calls).toBe(1);
    calls = 0;
    expect(await withRetries(async () => (++calls < 3 ? Promise.reject(new Error("x")) : "ok"), () => true, fast)).toBe("ok");
    expect(calls).toBe(3);
  });
});
