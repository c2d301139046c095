import { describe, expect, it } from "vitest";
import {
  containsEndKeyword,
  likePrefixPattern,
  mysqlDialect,
  parseStatementList,
  postgresDialect,
  renderStatement,
  splitQueries,
  StatementTemplates,
} from "./statements.js";

const pgCreate = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';
GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";`;

describe("splitting statements into queries", () => {
  it("splits on semicolons as Vault does for ordinary statements", () => {
    expect(splitQueries(pgCreate, postgresDialect)).toEqual([
      `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`,
      `GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}"`,
    ]);
    expect(splitQueries(" ; ;a;;b; ", postgresDialect)).toEqual(["a", "b"]);
  });

  it("keeps semicolons inside quotes, dollar-quoted bodies and comments", () => {
    expect(splitQueries(`SELECT 'a;b'; SELECT "x;y"`, postgresDialect)).toEqual([`SELECT 'a;b'`, `SELECT "x;y"`]);
    expect(splitQueries(`SELECT 'it''s;'; SELECT 2`, postgresDialect)).toEqual([`SELECT 'it''s;'`, "SELECT 2"]);
    const doBlock = `DO $$ BEGIN CREATE ROLE "x"; GRANT "g" TO "x"; END $$`;
    expect(splitQueries(`${doBlock}; SELECT 1`, postgresDialect)).toEqual([doBlock, "SELECT 1"]);
    expect(splitQueries(`SELECT $tag$ a;b $tag$; SELECT 1`, postgresDialect)).toEqual([`SELECT $tag$ a;b $tag$`, "SELECT 1"]);
    expect(splitQueries(`SELECT 1 -- a;b\n; SELECT /* ; */ 2`, postgresDialect)).toEqual([`SELECT 1 -- a;b`, "SELECT /* ; */ 2"]);
    expect(splitQueries(`SELECT E'a\\';b'; SELECT 2`, postgresDialect)).toEqual([`SELECT E'a\\';b'`, "SELECT 2"]);
  });

  it("reads MySQL's backslash escapes, backticks and # comments", () => {
    const my = mysqlDialect(false);
    expect(splitQueries(`SELECT 'a\\';b'; SELECT \`c;d\`; # x;y\nSELECT "e;f"`, my)).toEqual([
      `SELECT 'a\\';b'`,
      "SELECT `c;d`",
      `# x;y\nSELECT "e;f"`,
    ]);
  });

  it("accepts a JSON list or base64 of the text, as Vault's ParseArbitraryStringSlice does", () => {
    expect(parseStatementList(`["CREATE ROLE a", "GRANT b TO a"]`, postgresDialect)).toEqual(["CREATE ROLE a", "GRANT b TO a"]);
    const b64 = Buffer.from("SELECT 1; SELECT 2").toString("base64");
    expect(parseStatementList(b64, postgresDialect)).toEqual(["SELECT 1", "SELECT 2"]);
    // Valid base64 by accident, but not text: taken as SQL.
    expect(parseStatementList("ROLLBACK", postgresDialect)).toEqual(["ROLLBACK"]);
    expect(parseStatementList("   ", postgresDialect)).toEqual([]);
  });

  it("finds Vault's END marker only outside quotes", () => {
    expect(containsEndKeyword("DO $$ BEGIN NULL; END $$")).toBe(true);
    expect(containsEndKeyword(`CREATE ROLE "END"`)).toBe(false);
    expect(containsEndKeyword("SELECT 'the END'")).toBe(false);
    expect(containsEndKeyword("ALTER TABLE x APPEND")).toBe(false);
  });
});

describe("rendering values into a query", () => {
  const values = { name: "v-tok-ro-abc", username: "v-tok-ro-abc", password: `pa'ss"wo\\rd`, expiration: "2030-01-01 00:00:00+0000" };

  it("escapes each value for the quote it sits in (PostgreSQL)", () => {
    const q = renderStatement(`CREATE ROLE "{{name}}" PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`, values, postgresDialect);
    expect(q).toBe(`CREATE ROLE "v-tok-ro-abc" PASSWORD 'pa''ss"wo\\rd' VALID UNTIL '2030-01-01 00:00:00+0000'`);
    expect(renderStatement(`SELECT E'{{password}}'`, values, postgresDialect)).toBe(`SELECT E'pa''ss"wo\\\\rd'`);
    expect(renderStatement(`SELECT "{{password}}"`, values, postgresDialect)).toBe(`SELECT "pa'ss""wo\\rd"`);
  });

  it("escapes backslashes for MySQL unless NO_BACKSLASH_ESCAPES", () => {
    const t = `CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'`;
    expect(renderStatement(t, values, mysqlDialect(false))).toBe(`CREATE USER 'v-tok-ro-abc'@'%' IDENTIFIED BY 'pa''ss"wo\\\\rd'`);
    expect(renderStatement(t, values, mysqlDialect(true))).toBe(`CREATE USER 'v-tok-ro-abc'@'%' IDENTIFIED BY 'pa''ss"wo\\rd'`);
    expect(renderStatement("GRANT SELECT ON `db`.* TO `{{name}}`", { name: "a`b" }, mysqlDialect(false))).toBe("GRANT SELECT ON `db`.* TO `a``b`");
  });

  it("leaves unknown placeholders, and never re-scans a filled value", () => {
    expect(renderStatement(`SELECT '{{nope}}', '{{password}}'`, { password: "{{name}}", name: "x" }, postgresDialect)).toBe(
      `SELECT '{{nope}}', '{{name}}'`,
    );
  });

  it("refuses a value that would close its dollar quote", () => {
    expect(() => renderStatement("DO $$ BEGIN PERFORM '{{password}}'; END $$", { password: "a$$b" }, postgresDialect)).toThrow(/dollar-quote/);
  });
});

describe("LIKE prefixes", () => {
  it("escapes wildcards so the prefix matches literally", () => {
    expect(likePrefixPattern("v-tok_ro%")).toBe("v-tok!_ro!%%");
    expect(likePrefixPattern("a!b")).toBe("a!!b%");
  });
});

describe("which PostgreSQL statements rewrite object ACLs", async () => {
  const { rewritesObjectAcl, directObjectGrants } = await import("./postgres-helpers.js");
  it("tells object grants from role memberships", () => {
    expect(rewritesObjectAcl(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}"`)).toBe(true);
    expect(rewritesObjectAcl(`grant usage on schema app to "{{name}}"`)).toBe(true);
    expect(rewritesObjectAcl(`REVOKE CONNECT ON DATABASE x FROM "{{name}}"`)).toBe(true);
    expect(rewritesObjectAcl(`ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO "{{name}}"`)).toBe(true);
    expect(rewritesObjectAcl(`DO $$ BEGIN GRANT SELECT ON t TO "{{name}}"; END $$`)).toBe(true);
    expect(rewritesObjectAcl(`GRANT "readonly" TO "{{name}}" WITH ADMIN OPTION`)).toBe(false);
    expect(rewritesObjectAcl(`CREATE ROLE "{{name}}" LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`)).toBe(false);
    expect(rewritesObjectAcl(`GRANT "on" TO "{{name}}"`)).toBe(false);
    expect(directObjectGrants([`REVOKE SELECT ON t FROM "{{name}}"`, `GRANT SELECT ON t TO x`])).toEqual([`GRANT SELECT ON t TO x`]);
  });
});

describe("StatementTemplates", () => {
  const templates = new StatementTemplates(postgresDialect, (s) => parseStatementList(s, postgresDialect));
  const statement = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}'; GRANT ro TO "{{name}}";`;

  it("renders what renderStatement renders, call after call, with each call's values", () => {
    for (const values of [
      { name: "v-a", password: "it's;{{name}}" },
      { name: 'v-"b', password: "p2" },
    ]) {
      const expected = parseStatementList(statement, postgresDialect).map((q) => renderStatement(q, values, postgresDialect));
      expect(templates.render([statement], values)).toEqual(expected);
    }
    expect(templates.render([statement], { name: "v-c", password: "x'y" })).toEqual([
      `CREATE ROLE "v-c" WITH LOGIN PASSWORD 'x''y'`,
      `GRANT ro TO "v-c"`,
    ]);
  });

  it("matches renderStatement on comments, E'' strings, dollar quotes, adjacent and unknown placeholders", () => {
    const statements = [
      `-- {{name}} stays in a comment\nCREATE ROLE "{{name}}" PASSWORD E'{{password}}' VALID UNTIL '{{expiration}}';`,
      `COMMENT ON ROLE "{{name}}" IS $c$made for {{name}} {{unknown}}$c$; SELECT '{{name}}{{password}}' /* {{password}} */, {{name}}{{name}};`,
      `GRANT "{{ name }}" TO "{{name}}"; SELECT '{{}}', '{{name}', '{{name}}}';`,
    ];
    for (const values of [
      { name: "v-x", password: "a\\b'c", expiration: "2030-01-01 00:00:00+0000" },
      { name: 'q"uote', password: "{{name}}", expiration: "" },
    ]) {
      for (const statement of statements) {
        const expected = parseStatementList(statement, postgresDialect).map((q) => renderStatement(q, values, postgresDialect));
        expect(templates.render([statement], values), statement).toEqual(expected);
      }
    }
  });

  it("fills each kind of piece as its quoting asks, comments and unknown placeholders untouched", () => {
    const values = { name: 'q"uote', password: "a\\b'c", expiration: "2030-01-01 00:00:00+0000" };
    expect(
      templates.render(
        [
          `-- {{name}} stays in a comment\nCREATE ROLE "{{name}}" PASSWORD E'{{password}}' VALID UNTIL '{{expiration}}';`,
          `COMMENT ON ROLE "{{name}}" IS $c$made for {{name}} {{unknown}}$c$; SELECT '{{name}}{{password}}' /* {{password}} */, {{name}}{{name}};`,
        ],
        values,
      ),
    ).toEqual([
      `-- {{name}} stays in a comment\nCREATE ROLE "q""uote" PASSWORD E'a\\\\b''c' VALID UNTIL '2030-01-01 00:00:00+0000'`,
      `COMMENT ON ROLE "q""uote" IS $c$made for q"uote {{unknown}}$c$`,
      `SELECT 'q"uotea\\b''c' /* {{password}} */, q"uoteq"uote`,
    ]);
  });

  it("uses the plugin's split, once per statement text", () => {
    let splits = 0;
    const counting = new StatementTemplates(postgresDialect, (s) => {
      splits++;
      return [s.trim()];
    });
    const body = "DO $$ BEGIN PERFORM 1; END $$";
    expect(counting.render([body], {})).toEqual([body]);
    expect(counting.render([body], {})).toEqual([body]);
    expect(splits).toBe(1);
  });
});
