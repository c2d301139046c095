import { describe, it, expect } from "vitest";
import { FlagError, parseFlags, type FlagSpec } from "./flags.js";

const specs: FlagSpec[] = [
  { name: "format", kind: "string", default: "table", env: ["MAYFLY_FORMAT", "VAULT_FORMAT"], usage: "" },
  { name: "force", kind: "bool", aliases: ["f"], usage: "" },
  { name: "key-shares", kind: "int", aliases: ["n"], default: 5, usage: "" },
  { name: "ttl", kind: "duration", usage: "" },
  { name: "policy", kind: "strings", usage: "" },
  { name: "metadata", kind: "map", usage: "" },
];

describe("parseFlags", () => {
  it("accepts one or two dashes, with = or a separate value", () => {
    for (const argv of [["-format=json"], ["--format=json"], ["-format", "json"], ["--format", "json"]]) {
      const { flags, args } = parseFlags(argv, specs);
      expect(flags.str("format")).toBe("json");
      expect(args).toEqual([]);
    }
  });

  it("uses the default, then the environment in order, then the flag", () => {
    expect(parseFlags([], specs).flags.str("format")).toBe("table");
    expect(parseFlags([], specs, { VAULT_FORMAT: "yaml" }).flags.str("format")).toBe("yaml");
    expect(parseFlags([], specs, { MAYFLY_FORMAT: "json", VAULT_FORMAT: "yaml" }).flags.str("format")).toBe("json");
    expect(parseFlags(["-format=table"], specs, { MAYFLY_FORMAT: "json" }).flags.str("format")).toBe("table");
  });

  it("reads booleans without swallowing the next argument", () => {
    const r = parseFlags(["-force", "database/config/x/rotate-root"], specs);
    expect(r.flags.bool("force")).toBe(true);
    expect(r.args).toEqual(["database/config/x/rotate-root"]);
    expect(parseFlags(["-f"], specs).flags.bool("force")).toBe(true);
    expect(parseFlags(["-force=true"], specs).flags.bool("force")).toBe(true);
    expect(parseFlags(["-force=false"], specs).flags.bool("force")).toBe(false);
    expect(parseFlags(["--force=1"], specs).flags.bool("force")).toBe(true);
    expect(parseFlags([], specs).flags.bool("force")).toBe(false);
    expect(() => parseFlags(["-force=maybe"], specs)).toThrow('invalid boolean value "maybe" for -force: parse error');
  });

  it("parses ints and durations, and rejects bad values in Go's words", () => {
    const r = parseFlags(["-n", "3", "-ttl=1h30m"], specs);
    expect(r.flags.num("key-shares")).toBe(3);
    expect(r.flags.num("ttl")).toBe(5400);
    expect(parseFlags(["-ttl=90"], specs).flags.num("ttl")).toBe(90);
    expect(() => parseFlags(["-key-shares=x"], specs)).toThrow('invalid value "x" for flag -key-shares: parse error');
    expect(() => parseFlags(["-ttl=soon"], specs)).toThrow(FlagError);
  });

  it("collects repeatable lists and key=value maps", () => {
    const r = parseFlags(["-policy=a", "-policy", "b", "-metadata", "team=ops", "-metadata=env=prod=1"], specs);
    expect(r.flags.strings("policy")).toEqual(["a", "b"]);
    expect(r.flags.map("metadata")).toEqual({ team: "ops", env: "prod=1" });
    expect(() => parseFlags(["-metadata=nokey"], specs)).toThrow("missing = in KV pair");
  });

  it("stops at -- and treats a lone dash as positional", () => {
    const r = parseFlags(["-force", "--", "-format=json", "x"], specs);
    expect(r.args).toEqual(["-format=json", "x"]);
    expect(r.flags.str("format")).toBe("table");
    expect(parseFlags(["secret/foo", "-"], specs).args).toEqual(["secret/foo", "-"]);
  });

  it("takes known flags after positionals but never key=value data", () => {
    const r = parseFlags(["secret/foo", "a=b", "-format=json", "c=-d"], specs);
    expect(r.args).toEqual(["secret/foo", "a=b", "c=-d"]);
    expect(r.flags.str("format")).toBe("json");
  });

  it("errors on an unknown flag before positionals, keeps it as data after", () => {
    expect(() => parseFlags(["-bogus", "x"], specs)).toThrow("flag provided but not defined: -bogus");
    expect(parseFlags(["x", "-bogus=1"], specs).args).toEqual(["x", "-bogus=1"]);
  });

  it("reports a missing value", () => {
    expect(() => parseFlags(["-format"], specs)).toThrow("flag needs an argument: -format");
  });

  it("recognises help flags", () => {
    expect(parseFlags(["-h"], specs).help).toBe(true);
    expect(parseFlags(["--help"], specs).help).toBe(true);
    expect(parseFlags(["x", "-help"], specs).help).toBe(true);
  });

  it("knows which flags the user typed", () => {
    const r = parseFlags(["-force=false"], specs, { MAYFLY_FORMAT: "json" });
    expect(r.flags.isSet("force")).toBe(true);
    expect(r.flags.isSet("format")).toBe(false);
  });
});
