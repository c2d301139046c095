/**
 * Mayfly's warning for PostgreSQL roles whose creation statements grant privileges on
 * tables to the generated user itself. Every live user then holds its own entry in each
 * table's ACL (pg_class.relacl); the catalogue row has a size limit, so with enough
 * concurrent users GRANT fails, and long ACLs slow every permission check and make
 * concurrent GRANT/REVOKE contend on the same catalogue rows. Granting a group role
 * (`GRANT app_readonly TO "{{name}}"`) keeps one ACL entry however many users exist.
 */
import { parseStatementList, postgresDialect } from "./plugin.js";

/** Object kinds whose ACLs are not table ACLs; granting on them is not what this warns about. */
const NON_TABLE_TARGET =
  /^(SCHEMA|DATABASE|SEQUENCE|ALL\s+SEQUENCES|FUNCTION|ALL\s+FUNCTIONS|PROCEDURE|ALL\s+PROCEDURES|ROUTINE|ALL\s+ROUTINES|LANGUAGE|LARGE\s+OBJECT|TABLESPACE|TYPE|DOMAIN|FOREIGN\s+DATA\s+WRAPPER|FOREIGN\s+SERVER|PARAMETER)\b/i;

/** The statements (split as the plugin splits them) that grant on tables directly. */
export function directTableGrants(statements: readonly string[]): string[] {
  const found: string[] = [];
  for (const statement of statements) {
    let queries: string[];
    try {
      queries = parseStatementList(statement, postgresDialect);
    } catch {
      continue;
    }
    for (const q of queries) {
      const sql = stripComments(q).replace(/\s+/g, " ").trim();
      // GRANT <privileges> ON <target> TO ...: without ON it grants role membership.
      const m = /^GRANT\s+(.+?)\s+ON\s+(.+?)\s+TO\s/i.exec(sql);
      if (!m) continue;
      const target = (m[2] as string).trim();
      if (NON_TABLE_TARGET.test(target)) continue;
      found.push(sql);
    }
  }
  return found;
}

export function tableGrantWarning(grants: readonly string[]): string {
  const example = grants[0] ?? "";
  const shown = example.length > 120 ? `${example.slice(0, 117)}...` : example;
  return (
    `creation_statements grant privileges on tables directly to the generated user (${shown}). ` +
    "Every live user then adds an entry to each table's ACL, which PostgreSQL caps (the catalogue row has a size limit, " +
    "and long ACLs slow permission checks and make concurrent GRANT/REVOKE contend). Grant a group role instead: " +
    'create it once (CREATE ROLE app_readonly NOLOGIN; GRANT SELECT ON ALL TABLES IN SCHEMA public TO app_readonly;) and use ' +
    '`GRANT app_readonly TO "{{name}}";` in creation_statements.'
  );
}

function stripComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, " ").replace(/\/\*[\s\S]*?\*\//g, " ");
}
