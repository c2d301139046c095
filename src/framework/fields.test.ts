import { describe, expect, it } from "vitest";
import { MayflyError } from "./errors.js";
import { coerceField, parseFields, parseGoBool, splitCommaList, type FieldType } from "./fields.js";

/** The 400 a bad value gets, or the coerced value. */
function coerce(type: FieldType, raw: unknown): unknown {
  try {
    return coerceField("f", type, raw);
  } catch (e) {
    if (e instanceof MayflyError) return { status: e.status, error: e.errors.join("; ") };
    throw e;
  }
}

describe("coerceField: each type takes its JSON form and its string form", () => {
  it.each([
    ["string", "abc", "abc"],
    ["string", 42, "42"],
    ["string", true, "true"],
    ["int", 7, 7],
    ["int", "7", 7],
    ["int", "-3", -3],
    ["bool", true, true],
    ["bool", "t", true],
    ["bool", "FALSE", false],
    ["bool", 1, true],
    ["bool", 0, false],
    ["duration", 3600, 3600],
    ["duration", "3600", 3600],
    ["duration", "1h", 3600],
    ["duration", "90s", 90],
    ["duration", "1h30m", 5400],
    ["strings", ["a", 1, true], ["a", "1", "true"]],
    ["strings", "a,b", ["a,b"]],
    ["strings", "", []],
    ["comma-strings", "a, b,,c ", ["a", "b", "c"]],
    ["comma-strings", ["a,b", "c"], ["a", "b", "c"]],
    ["ints", [1, "2"], [1, 2]],
    ["ints", "1,2", [1, 2]],
    ["map", { a: { b: 1 } }, { a: { b: 1 } }],
    ["map", '{"a":1}', { a: 1 }],
    ["string-map", { a: "x", b: 2 }, { a: "x", b: "2" }],
    ["string-map", "a=x,b=y=z", { a: "x", b: "y=z" }],
    ["string-map", ["a=x", "b=y"], { a: "x", b: "y" }],
    ["string-map", '{"a":"x","n":1}', { a: "x", n: "1" }],
    ["any", { whatever: [1] }, { whatever: [1] }],
  ] as const)("%s accepts %j", (type, raw, expected) => {
    expect(coerce(type, raw)).toEqual(expected);
  });

  it.each([
    ["string", { a: 1 }],
    ["string", [1]],
    ["int", "1.5"],
    ["int", "seven"],
    ["int", 1.5],
    ["int", ""],
    ["bool", "yes"],
    ["bool", 2],
    ["duration", "1 hour"],
    ["duration", { h: 1 }],
    ["strings", { a: 1 }],
    ["ints", ["1", "x"]],
    ["map", "not json"],
    ["map", "[1,2]"],
    ["map", [1]],
    ["string-map", "novalue"],
    ["string-map", "=x"],
    ["string-map", 5],
    // A string that starts like JSON but is not: a 400, not a crash (found by the fuzz test).
    ["string-map", "{{name}}"],
    ["string-map", '{"a":1'],
  ] as const)("%s refuses %j with a 400 naming the field", (type, raw) => {
    const r = coerce(type, raw) as { status?: number; error?: string };
    expect(r.status).toBe(400);
    expect(r.error).toContain('field "f"');
  });
});

describe("parseFields", () => {
  const schemas = {
    name: { type: "string", required: true },
    ttl: { type: "duration", default: "1h" },
    policies: { type: "comma-strings" },
    meta: { type: "string-map", default: { team: "a" } },
    mode: { type: "string", allowedValues: ["fast", "safe"], default: "safe" },
  } as const;

  it("fills defaults (durations parsed at use), tells what was sent, and lists unknown names", () => {
    const { fields, unknown } = parseFields(schemas, { name: "x", policies: "a,b", extra: 1, other: null });
    expect(fields.values.name).toBe("x");
    expect(fields.values.policies).toEqual(["a", "b"]);
    expect(fields.values.meta).toEqual({ team: "a" });
    expect(fields.values.mode).toBe("safe");
    expect(fields.has("name")).toBe(true);
    expect(fields.has("ttl")).toBe(false);
    expect(fields.getOk("ttl")).toBeUndefined();
    expect(unknown).toEqual(["extra", "other"]);
  });

  it("gives each call its own copy of an object default", () => {
    const a = parseFields(schemas, { name: "x" }).fields.values.meta;
    a.team = "changed";
    expect(parseFields(schemas, { name: "y" }).fields.values.meta).toEqual({ team: "a" });
  });

  it("treats null as not sent, and refuses a missing required field", () => {
    expect(() => parseFields(schemas, { name: null })).toThrow(/missing required field 'name'/);
    expect(() => parseFields(schemas, {})).toThrow(/missing required field 'name'/);
  });

  it("refuses a value outside allowedValues and a value of the wrong type", () => {
    expect(() => parseFields(schemas, { name: "x", mode: "reckless" })).toThrow(/invalid value for 'mode'/);
    expect(() => parseFields(schemas, { name: "x", ttl: "soon" })).toThrow(/field "ttl"/);
  });
});

describe("parseGoBool and splitCommaList", () => {
  it("accept exactly Go's strconv.ParseBool spellings", () => {
    for (const t of ["1", "t", "T", "TRUE", "true", "True"]) expect(parseGoBool(t)).toBe(true);
    for (const f of ["0", "f", "F", "FALSE", "false", "False"]) expect(parseGoBool(f)).toBe(false);
    for (const x of ["yes", "tRuE", "", " true"]) expect(parseGoBool(x)).toBeUndefined();
  });

  it("trims items and drops empty ones", () => {
    expect(splitCommaList(" a ,, b,")).toEqual(["a", "b"]);
    expect(splitCommaList("")).toEqual([]);
  });
});
