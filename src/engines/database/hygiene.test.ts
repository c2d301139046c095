import { describe, expect, it } from "vitest";
import { directTableGrants, tableGrantWarning } from "./hygiene.js";

describe("directTableGrants", () => {
  it("finds the seeds' GRANT ON ALL TABLES inside a ;-separated statement", () => {
    const seeds =
      `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; ` +
      `GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";`;
    expect(directTableGrants([seeds])).toEqual([`GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}"`]);
  });

  it("finds grants on named tables, with or without TABLE, and column grants", () => {
    expect(directTableGrants([`GRANT SELECT, INSERT ON TABLE orders TO "{{name}}"`])).toHaveLength(1);
    expect(directTableGrants([`grant select on orders, items to "{{name}}"`])).toHaveLength(1);
    expect(directTableGrants([`GRANT SELECT (id, total) ON orders TO "{{name}}"`])).toHaveLength(1);
    expect(directTableGrants([`GRANT ALL PRIVILEGES\n  ON ALL TABLES IN SCHEMA app\n  TO "{{name}}"`])).toHaveLength(1);
  });

  it("leaves group-role grants and non-table objects alone", () => {
    expect(
      directTableGrants([
        `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}'; GRANT app_readonly TO "{{name}}";`,
        `GRANT USAGE ON SCHEMA public TO "{{name}}"`,
        `GRANT CONNECT ON DATABASE app TO "{{name}}"`,
        `GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO "{{name}}"`,
        `GRANT EXECUTE ON FUNCTION f() TO "{{name}}"`,
      ]),
    ).toEqual([]);
  });

  it("ignores grants inside string literals and comments", () => {
    expect(directTableGrants([`-- GRANT SELECT ON t TO x\nCOMMENT ON ROLE "{{name}}" IS 'GRANT SELECT ON t TO x'`])).toEqual([]);
  });

  it("names the statement and the fix in the warning", () => {
    const w = tableGrantWarning([`GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}"`]);
    expect(w).toContain("ON ALL TABLES IN SCHEMA public");
    expect(w).toContain('GRANT app_readonly TO "{{name}}"');
    expect(w).toContain("ACL");
  });
});
