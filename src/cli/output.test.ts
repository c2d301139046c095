import { describe, it, expect } from "vitest";
import { Ui } from "./io.js";
import { memoryIo } from "./testing.js";
import { outputData, outputList, outputSecret, printRawField, rawField, secretTable } from "./output.js";
import { secretFromJson } from "./secret.js";
import { columnize, goJson, goQuotedList, goTimeString, goValue, padEqualSigns, wrapAtLength } from "./gofmt.js";
import { toYaml } from "./yaml.js";

const dbCreds = secretFromJson({
  request_id: "5e7d0a3b-aaaa-bbbb-cccc-1234567890ab",
  lease_id: "database/creds/app-readonly/8a2f3c1d",
  lease_duration: 3600,
  renewable: true,
  data: { username: "v-token-app-rea-abc123-1748000000", password: "A1a-xyz987pqr" },
  warnings: null,
});

function capture(format: string, opts: { stdoutTty?: boolean } = {}) {
  const mem = memoryIo(opts);
  return { out: { ui: new Ui(mem.io), format }, mem };
}

describe("table output", () => {
  it("prints a leased secret as the seeds show it", () => {
    expect(secretTable(dbCreds)).toBe(
      [
        "Key                Value",
        "---                -----",
        "lease_id           database/creds/app-readonly/8a2f3c1d",
        "lease_duration     1h",
        "lease_renewable    true",
        "password           A1a-xyz987pqr",
        "username           v-token-app-rea-abc123-1748000000",
      ].join("\n"),
    );
  });

  it("shows a KV v1 lease without an id as refresh_interval", () => {
    const s = secretFromJson({ lease_duration: 2764800, data: { foo: "bar" } });
    expect(secretTable(s)).toBe(["Key                 Value", "---                 -----", "refresh_interval    768h", "foo                 bar"].join("\n"));
  });

  it("formats values as Go's %v, durations humanised, empties as n/a", () => {
    const s = secretFromJson({
      data: { policies: ["default", "root"], meta: null, ttl: 0, creation_ttl: 2764800, num_uses: 0, display_name: "", nested: { b: 1, a: true } },
    });
    expect(secretTable(s)).toBe(
      [
        "Key             Value",
        "---             -----",
        "creation_ttl    768h",
        "display_name    n/a",
        "meta            <nil>",
        "nested          map[a:true b:1]",
        "num_uses        0",
        "policies        [default root]",
        "ttl             0s",
      ].join("\n"),
    );
  });

  it("prints auth blocks as token rows with quoted policy lists", () => {
    const s = secretFromJson({
      auth: {
        client_token: "s.abc",
        accessor: "acc",
        policies: ["default", "training"],
        token_policies: ["default", "training"],
        identity_policies: null,
        metadata: { user: "alice" },
        lease_duration: 300,
        renewable: true,
      },
    });
    expect(secretTable(s)).toBe(
      [
        "Key                  Value",
        "---                  -----",
        "token                s.abc",
        "token_accessor       acc",
        "token_duration       5m",
        "token_renewable      true",
        'token_policies       ["default" "training"]',
        "identity_policies    []",
        'policies             ["default" "training"]',
        "token_meta_user      alice",
      ].join("\n"),
    );
    const root = secretFromJson({ auth: { client_token: "r", lease_duration: 0 } });
    expect(secretTable(root)).toContain("token_duration       ∞");
  });

  it("prints a wrapped response as Vault's wrapping rows, creation time as Go's time.String()", () => {
    const wrapInfo = {
      token: "hvs.wrap",
      accessor: "wacc",
      ttl: 300,
      creation_time: "2024-01-02T03:04:05.25Z",
      creation_path: "auth/token/create",
    };
    const pad = (k: string) => k.padEnd(33);
    expect(secretTable(secretFromJson({ wrap_info: wrapInfo }))).toBe(
      [
        pad("Key") + "Value",
        pad("---") + "-----",
        pad("wrapping_token:") + "hvs.wrap",
        pad("wrapping_accessor:") + "wacc",
        pad("wrapping_token_ttl:") + "5m",
        pad("wrapping_token_creation_time:") + "2024-01-02 03:04:05.25 +0000 UTC",
        pad("wrapping_token_creation_path:") + "auth/token/create",
      ].join("\n"),
    );
    const withAccessor = secretTable(secretFromJson({ wrap_info: { ...wrapInfo, wrapped_accessor: "inner" } }));
    expect(withAccessor.split("\n").at(-1)).toBe(pad("wrapped_accessor:") + "inner");
  });

  it("formats times as Go's time.String() of a parsed RFC 3339 value", () => {
    expect(goTimeString("2024-01-02T03:04:05Z")).toBe("2024-01-02 03:04:05 +0000 UTC");
    expect(goTimeString("2024-01-02T03:04:05.123456789Z")).toBe("2024-01-02 03:04:05.123456789 +0000 UTC");
    expect(goTimeString("2024-01-02T03:04:05.500-05:00")).toBe("2024-01-02 03:04:05.5 -0500 -0500");
    expect(goTimeString("not a time")).toBe("not a time");
  });

  it("prints warnings to stderr and nothing when there is no data", () => {
    const { out, mem } = capture("table");
    expect(outputSecret(out, secretFromJson({ warnings: ["Policy \"training\" does not exist"] }))).toBe(0);
    expect(mem.stdout()).toBe("");
    expect(mem.stderr()).toBe('WARNING! The following warnings were returned from Mayfly:\n\n  * Policy "training" does not exist\n\n');
  });

  it("lists keys sorted under a Keys header", () => {
    const { out, mem } = capture("table");
    outputList(out, secretFromJson({ data: { keys: ["b", "a/", "c"] } }));
    expect(mem.stdout()).toBe("Keys\n----\na/\nb\nc\n");
  });
});

describe("json output", () => {
  it("prints the api.Secret shape with Go's field order and 2-space indent", () => {
    const { out, mem } = capture("json");
    outputSecret(out, dbCreds);
    expect(mem.stdout()).toBe(
      [
        "{",
        '  "request_id": "5e7d0a3b-aaaa-bbbb-cccc-1234567890ab",',
        '  "lease_id": "database/creds/app-readonly/8a2f3c1d",',
        '  "lease_duration": 3600,',
        '  "renewable": true,',
        '  "data": {',
        '    "password": "A1a-xyz987pqr",',
        '    "username": "v-token-app-rea-abc123-1748000000"',
        "  },",
        '  "warnings": null',
        "}",
        "",
      ].join("\n"),
    );
    expect(JSON.parse(mem.stdout()).data.username).toBe("v-token-app-rea-abc123-1748000000");
  });

  it("lists print just the keys array", () => {
    const { out, mem } = capture("json");
    outputList(out, secretFromJson({ data: { keys: ["b", "a"] } }));
    expect(mem.stdout()).toBe('[\n  "b",\n  "a"\n]\n');
  });

  it("escapes HTML characters as Go does", () => {
    expect(goJson({ s: "<a&b>" })).toBe('{\n  "s": "\\u003ca\\u0026b\\u003e"\n}');
    expect(JSON.parse(goJson({ s: "<a&b>" })).s).toBe("<a&b>");
  });

  it("sorts map keys and includes auth in Go's order", () => {
    const s = secretFromJson({ auth: { client_token: "t", accessor: "a", policies: ["default"], lease_duration: 60, renewable: true } });
    expect(goJson({ b: 1, a: { d: [], c: {} } })).toBe('{\n  "a": {\n    "c": {},\n    "d": []\n  },\n  "b": 1\n}');
    const { out, mem } = capture("json");
    outputSecret(out, s);
    const keys = Object.keys(JSON.parse(mem.stdout()).auth);
    expect(keys).toEqual([
      "client_token",
      "accessor",
      "policies",
      "token_policies",
      "identity_policies",
      "metadata",
      "orphan",
      "entity_id",
      "lease_duration",
      "renewable",
      "mfa_requirement",
    ]);
  });
});

describe("yaml output", () => {
  it("emits sorted keys, unindented sequences and quoted ambiguous strings", () => {
    expect(
      toYaml({
        request_id: "abc",
        data: { password: "x: y", list: ["a", "true"], empty: "", num: 5, nested: { z: null, a: [] } },
        warnings: null,
      }),
    ).toBe(
      [
        "data:",
        "  empty: \"\"",
        "  list:",
        "  - a",
        '  - "true"',
        "  nested:",
        "    a: []",
        "    z: null",
        "  num: 5",
        '  password: "x: y"',
        "request_id: abc",
        "warnings: null",
      ].join("\n"),
    );
  });

  it("writes lists of maps, quoting YAML 1.1 booleans like go-yaml v2", () => {
    expect(toYaml([{ b: 1, a: "x" }, "y", "yes-please"])).toBe(["- a: x", "  b: 1", '- "y"', "- yes-please"].join("\n"));
  });

  it("prints secrets trimmed through outputSecret", () => {
    const { out, mem } = capture("yaml");
    outputSecret(out, secretFromJson({ data: { foo: "bar" } }));
    expect(mem.stdout()).toBe(
      ["data:", "  foo: bar", "lease_duration: 0", 'lease_id: ""', "renewable: false", 'request_id: ""', "warnings: null", ""].join("\n"),
    );
  });
});

describe("-field", () => {
  it("prints the raw value without a newline when piped", () => {
    const { out, mem } = capture("table");
    expect(printRawField(out, { secret: dbCreds }, "password")).toBe(0);
    expect(mem.stdout()).toBe("A1a-xyz987pqr");
  });

  it("adds the newline on a terminal", () => {
    const { out, mem } = capture("table", { stdoutTty: true });
    printRawField(out, { secret: dbCreds }, "username");
    expect(mem.stdout()).toBe("v-token-app-rea-abc123-1748000000\n");
  });

  it("fails with exit 1 for a missing field", () => {
    const { out, mem } = capture("table");
    expect(printRawField(out, { secret: dbCreds }, "nope")).toBe(1);
    expect(mem.stderr()).toBe('Field "nope" not present in secret\n');
  });

  it("knows the envelope and auth pseudo-fields", () => {
    expect(rawField(dbCreds, "lease_id")).toBe("database/creds/app-readonly/8a2f3c1d");
    expect(rawField(dbCreds, "lease_duration")).toBe(3600);
    const auth = secretFromJson({ auth: { client_token: "s.tok", accessor: "acc" } });
    expect(rawField(auth, "token")).toBe("s.tok");
    expect(rawField(auth, "token_accessor")).toBe("acc");
  });

  it("formats structured values in json when asked", () => {
    const { out, mem } = capture("json");
    printRawField(out, { map: { keys: ["a", "b"] } }, "keys");
    expect(mem.stdout()).toBe('[\n  "a",\n  "b"\n]');
  });
});

describe("outputData", () => {
  it("prints maps as Key/Value tables", () => {
    const { out, mem } = capture("table");
    outputData(out, { version: 2, created_time: "2024-01-01T00:00:00Z", deletion_time: "", destroyed: false });
    expect(mem.stdout()).toBe(
      [
        "Key              Value",
        "---              -----",
        "created_time     2024-01-01T00:00:00Z",
        "deletion_time    n/a",
        "destroyed        false",
        "version          2",
        "",
      ].join("\n"),
    );
  });
});

describe("go formatting helpers", () => {
  it("goValue and goQuotedList", () => {
    expect(goValue(null)).toBe("<nil>");
    expect(goValue([1, "a", [true]])).toBe("[1 a [true]]");
    expect(goQuotedList(["a", 'b"c'])).toBe('["a" "b\\"c"]');
  });

  it("columnize pads all but the last column", () => {
    expect(columnize([["a", "bb", "c"], ["ddd", "", "e"]])).toBe("a      bb     c\nddd    n/a    e");
  });

  it("wraps at 78 columns with padding", () => {
    const text = wrapAtLength("word ".repeat(30).trim(), 2);
    for (const line of text.split("\n")) {
      expect(line.length).toBeLessThanOrEqual(78);
      expect(line.startsWith("  word")).toBe(true);
    }
  });

  it("pads banners with equal signs", () => {
    expect(padEqualSigns("Secret Path", "secret/data/creds".length)).toBe("== Secret Path ==");
    expect(padEqualSigns("Secret Path", "secret/data/foo".length)).toBe("= Secret Path =");
    expect(padEqualSigns("Secret Path", 3)).toBe("== Secret Path ==");
    expect(padEqualSigns("Metadata", 23)).toBe("======= Metadata =======");
  });
});
