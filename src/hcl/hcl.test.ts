import { describe, it, expect } from "vitest";
import { formatHcl, getBlocks, HclError, parseHcl, toPlain, type HclDocument } from "./index.js";

function plain(text: string): unknown {
  return toPlain(parseHcl(text).body);
}

function errorOf(text: string): HclError {
  try {
    parseHcl(text);
  } catch (e) {
    if (e instanceof HclError) return e;
    throw e;
  }
  throw new Error(`expected a parse error for ${JSON.stringify(text)}`);
}

describe("parseHcl: HCL syntax", () => {
  it("reads blocks with labels, attributes and their lines", () => {
    const doc = parseHcl(`# policy
path "secret/*" {
  capabilities = ["read", "list"]
}

path "auth/token/lookup-self" {
  capabilities = ["read"]
}
`);
    const blocks = getBlocks(doc.body, "path", 1);
    expect(blocks.map((b) => [b.labels[0], b.item.line])).toEqual([
      ["secret/*", 2],
      ["auth/token/lookup-self", 6],
    ]);
    const caps = blocks[0]?.body.items[0];
    expect(caps?.keys[0]?.name).toBe("capabilities");
    expect(caps?.line).toBe(3);
    expect(caps?.column).toBe(3);
    expect(caps?.assign).toBe(true);
  });

  it("reads blocks with zero, one and several labels, quoted or bare", () => {
    const doc = parseHcl(`listener "tcp" {}
storage "sqlite" { path = "x" }
ui {}
a "b" c { d = 1 }`);
    expect(getBlocks(doc.body, "listener", 1)[0]?.labels).toEqual(["tcp"]);
    expect(toPlain(getBlocks(doc.body, "storage", 1)[0]?.body ?? doc.body)).toEqual({ path: "x" });
    expect(getBlocks(doc.body, "ui", 0)).toHaveLength(1);
    expect(getBlocks(doc.body, "a", 2)[0]?.labels).toEqual(["b", "c"]);
    expect(doc.body.items[3]?.keys.map((k) => k.quoted)).toEqual([false, true, false]);
  });

  it("keeps repeated blocks in order", () => {
    const doc = parseHcl(`listener "tcp" { address = "a:1" }\nlistener "tcp" { address = "b:2" }`);
    const blocks = getBlocks(doc.body, "listener", 1);
    expect(blocks.map((b) => toPlain(b.body))).toEqual([{ address: "a:1" }, { address: "b:2" }]);
    expect(blocks.map((b) => b.item.line)).toEqual([1, 2]);
  });

  it("decodes string escapes and leaves ${...} and {{...}} alone", () => {
    expect(plain(String.raw`a = "q\"b\\s\n\t\u00e9\x41\101\U0001F600"`)).toEqual({ a: 'q"b\\s\n\téAA😀' });
    expect(plain('a = "${var.x} and {{identity.entity.id}}"')).toEqual({ a: "${var.x} and {{identity.entity.id}}" });
    expect(plain('a = ""')).toEqual({ a: "" });
  });

  it("reads heredocs, plain and indented", () => {
    expect(plain("a = <<EOF\nline 1\n  line 2\nEOF\n")).toEqual({ a: "line 1\n  line 2\n" });
    expect(plain("a = <<-EOT\n    x\n      y\n    EOT\nb = 1")).toEqual({ a: "x\n  y\n", b: 1 });
    // Not every line carries the terminator's indent: HCL 1 leaves the text as it is.
    expect(plain("a = <<-EOT\n    x\n  y\n    EOT\n")).toEqual({ a: "    x\n  y\n" });
    expect(plain("a = <<EOF\nEOF\n")).toEqual({ a: "" });
    expect(plain("a = <<EOF\r\nwin\r\nEOF\r\n")).toEqual({ a: "win\n" });
  });

  it("reads numbers and booleans", () => {
    expect(plain("a = 1\nb = -2\nc = 1.5\nd = 1e3\ne = 0x1F\nf = 010\ng = true\nh = false\ni = 0")).toEqual({
      a: 1, b: -2, c: 1.5, d: 1000, e: 31, f: 8, g: true, h: false, i: 0,
    });
  });

  it("reads lists with trailing commas, nesting and objects", () => {
    expect(plain('a = ["x", "y",]\nb = []\nc = [[1, 2], [3]]\nd = [{ k = "v" }, {}]')).toEqual({
      a: ["x", "y"], b: [], c: [[1, 2], [3]], d: [{ k: "v" }, {}],
    });
    expect(plain('a = [\n  "x", # first\n  "y", // second\n]')).toEqual({ a: ["x", "y"] });
  });

  it("reads maps as assigned objects or blocks, with commas or newlines", () => {
    expect(plain('p = { key = "v", "quoted key" = 2 }')).toEqual({ p: { key: "v", "quoted key": 2 } });
    expect(plain('p = {\n  a = []\n  "*" = ["x"]\n}')).toEqual({ p: { a: [], "*": ["x"] } });
    expect(plain("p { a = 1 }")).toEqual({ p: { a: 1 } });
    expect(plain('p = {}\nq = { a = { b = "c" } }')).toEqual({ p: {}, q: { a: { b: "c" } } });
  });

  it("skips all three comment styles", () => {
    const doc = parseHcl(`# hash
// slashes
/* block
   comment */ a = 1 /* inline */ b = 2 # tail`);
    expect(toPlain(doc.body)).toEqual({ a: 1, b: 2 });
    expect(doc.comments.map((c) => c.text)).toEqual(["# hash", "// slashes", "/* block\n   comment */", "/* inline */", "# tail"]);
    expect(doc.comments[2]?.line).toBe(3);
  });

  it("reads an empty document and a document of comments", () => {
    expect(parseHcl("").body.items).toEqual([]);
    expect(parseHcl("# nothing\n").body.items).toEqual([]);
  });
});

describe("parseHcl: JSON syntax", () => {
  it("maps a JSON policy onto the same blocks as the HCL one", () => {
    const json = parseHcl(`{
  "path": {
    "secret/*": { "policy": "write" },
    "sys/*": { "capabilities": ["deny"] }
  }
}`);
    expect(json.format).toBe("json");
    const blocks = getBlocks(json.body, "path", 1);
    expect(blocks.map((b) => [b.labels[0], toPlain(b.body), b.at.line])).toEqual([
      ["secret/*", { policy: "write" }, 3],
      ["sys/*", { capabilities: ["deny"] }, 4],
    ]);
  });

  it("accepts a list of objects for repeated blocks", () => {
    const doc = parseHcl('{"listener": [{"tcp": {"address": "a:1"}}, {"tcp": {"address": "b:2"}}], "ui": true}');
    expect(getBlocks(doc.body, "listener", 1).map((b) => toPlain(b.body))).toEqual([{ address: "a:1" }, { address: "b:2" }]);
  });

  it("reads JSON escapes, numbers and positions", () => {
    const doc = parseHcl('{\n  "a": "x\\ny\\u00e9\\/",\n  "b": -1.5e2,\n  "c": [true, false]\n}');
    expect(toPlain(doc.body)).toEqual({ a: "x\nyé/", b: -150, c: [true, false] });
    expect(doc.body.items[1]?.line).toBe(3);
  });

  it.each([
    ['{"a": 1,}', 1, 9],
    ['{"a" 1}', 1, 6],
    ['{\n  "a": null\n}', 2, 8],
    ['{"a": [1 2]}', 1, 10],
    ['{"a": 1} x', 1, 10],
    ['{"a": "unterminated}', 1, 7],
    ["{'a': 1}", 1, 2],
  ])("reports JSON errors with a position: %j", (text, line, column) => {
    const err = errorOf(text);
    expect([err.line, err.column]).toEqual([line, column]);
    expect(err.message).toMatch(new RegExp(`^At ${line}:${column}: `));
  });
});

describe("parseHcl: errors", () => {
  it.each([
    ['path "secret/*" {\n  capabilities ["read"]\n}', 2, 16, 'expected "=" after "capabilities"'],
    ['path "x" {\n  capabilities = [read]\n}', 2, 19, 'unexpected name "read"'],
    ['a = "open\n"', 1, 5, "string literal not terminated"],
    ['path "x" {\n  a = 1\n', 3, 1, 'expected "}"'],
    ["}", 1, 1, 'unexpected "}"'],
    ['a = ["x" "y"]', 1, 10, 'expected "," or "]"'],
    ['path "x" = {}', 1, 10, 'expected "{" after "path" "x"'],
    ["a = ", 1, 5, "expected a value"],
    ["a = <<EOF\nno end\n", 1, 5, "heredoc not terminated"],
    ["a = 1 /* open", 1, 7, "comment not terminated"],
    ['a = "bad \\q escape"', 1, 10, "invalid escape"],
    ["a = 12abc", 1, 5, "invalid number"],
    ["a = 09", 1, 5, "invalid octal"],
    ["a = @", 1, 5, "unexpected character"],
    ["= 1", 1, 1, "expected a key"],
  ])("%j -> At %d:%d", (text, line, column, fragment) => {
    const err = errorOf(text);
    expect(err).toBeInstanceOf(HclError);
    expect(err.message).toContain(fragment);
    expect([err.line, err.column]).toEqual([line, column]);
    expect(err.message.startsWith(`At ${line}:${column}: `)).toBe(true);
  });

  it("refuses nesting deep enough to threaten the stack", () => {
    expect(errorOf(`a = ${"[".repeat(5000)}`).message).toContain("nesting deeper");
    expect(errorOf(`{"a": ${"[".repeat(5000)}`).message).toContain("nesting deeper");
  });

  it("says which block has the wrong number of labels", () => {
    const doc = parseHcl('path "a" "b" {}\nstorage { path = "x" }');
    expect(() => getBlocks(doc.body, "path", 1)).toThrow(/"path" takes 1 label, got 2/);
    expect(() => getBlocks(doc.body, "storage", 1)).toThrow(/At 2:18: "storage" must be a block with 1 label/);
  });
});

describe("formatHcl", () => {
  it("prints canonical HCL with aligned attributes and kept comments", () => {
    const doc = parseHcl(`# Read secrets
path   "secret/*"   {
    capabilities=["read","list"] # reading
  allowed_parameters = {
    "*" = []
  }
    min_wrapping_ttl = "1h"
}
path "b" { }
`);
    expect(formatHcl(doc)).toBe(`# Read secrets
path "secret/*" {
  capabilities = ["read", "list"] # reading
  allowed_parameters = {
    "*" = []
  }
  min_wrapping_ttl = "1h"
}

path "b" {}
`);
  });

  it("aligns a run of attributes", () => {
    expect(formatHcl(parseHcl('a = 1\nlonger_name = "x"\nb = true'))).toBe('a           = 1\nlonger_name = "x"\nb           = true\n');
  });

  it("prints values that read back to the same document", () => {
    const sources = [
      'a = "q\\"\\\\\\n\\t\\u0001"\nb = <<EOF\n  raw ${x}\n\nEOF\nc = [{ k = 1 }, { k = [2, 3] }]\nd = 0x10\n',
      'storage "sqlite" {\n  path = "/var/lib/mayfly.db"\n}\n\nlistener "tcp" {\n  address     = "127.0.0.1:8200"\n  tls_disable = 1\n}\n',
      "x = <<-EOT\n    a\n\n    b\n    EOT\n",
    ];
    for (const src of sources) {
      const once = formatHcl(parseHcl(src));
      expect(toPlain(parseHcl(once).body)).toEqual(toPlain(parseHcl(src).body));
      expect(formatHcl(parseHcl(once))).toBe(once);
    }
  });

  it("keeps comments before a closing brace and at the end of the file", () => {
    const out = formatHcl(parseHcl('path "x" {\n  a = 1\n  # about b, later\n}\n# the end\n'));
    expect(out).toBe('path "x" {\n  a = 1\n  # about b, later\n}\n\n# the end\n');
  });
});

describe("parseHcl fuzzing", () => {
  const seeds = [
    `# policy
path "secret/data/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
  allowed_parameters = {
    "ttl" = ["1h", "2h"]
    "*"   = []
  }
  required_parameters = ["name"]
  min_wrapping_ttl = "1m"
}
path "sys/*" { policy = "deny" } // legacy
/* end */`,
    `storage "sqlite" {
  path = "/tmp/x.db"
}
listener "tcp" {
  address = "0.0.0.0:8200"
  tls_disable = true
  n = -1.5e3
  h = 0x1f
}
api_addr = <<EOF
http://x
EOF
list = [1, [2, 3], { a = "b" },]`,
    `{"path": {"secret/*": {"capabilities": ["read"], "allowed_parameters": {"a": ["x\\ny"]}}}, "n": [1.5, -2e3, true, false, {}]}`,
  ];
  const alphabet = ['"', "{", "}", "[", "]", "=", ",", "#", "/", "*", "<", "<<EOF\n", "\n", "\\", "-", "0x", "e", "a", " ", "\u00e9", ":", "\u0000"];

  /** Deterministic PRNG so a failure reproduces. */
  function rng(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (s * 1664525 + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
  }

  function mutate(src: string, rand: () => number): string {
    let out = src;
    const edits = 1 + Math.floor(rand() * 4);
    for (let k = 0; k < edits; k++) {
      const at = Math.floor(rand() * (out.length + 1));
      const pick = alphabet[Math.floor(rand() * alphabet.length)] as string;
      switch (Math.floor(rand() * 4)) {
        case 0: // delete a span
          out = out.slice(0, at) + out.slice(at + 1 + Math.floor(rand() * 8));
          break;
        case 1: // insert a token-ish character
          out = out.slice(0, at) + pick + out.slice(at);
          break;
        case 2: // truncate
          out = out.slice(0, at);
          break;
        default: // duplicate a span
          out = out.slice(0, at) + out.slice(at, at + Math.floor(rand() * 20)) + out.slice(at);
      }
    }
    return out;
  }

  it("throws nothing but HclError on 8,000 mutated documents", () => {
    const rand = rng(20240611);
    let failures = 0;
    let parsed = 0;
    for (let n = 0; n < 8_000; n++) {
      const text = mutate(seeds[n % seeds.length] as string, rand);
      let doc: HclDocument | undefined;
      try {
        doc = parseHcl(text);
        parsed++;
      } catch (e) {
        if (!(e instanceof HclError)) throw new Error(`non-HclError for ${JSON.stringify(text)}: ${String(e)}`);
        if (e.message.includes("could not parse")) throw new Error(`internal failure for ${JSON.stringify(text)}: ${e.message}`);
        failures++;
      }
      // Whatever parses must also format and read back.
      if (doc) expect(() => parseHcl(formatHcl(doc))).not.toThrow();
    }
    // The mutations must exercise both outcomes or the test proves little.
    expect(failures).toBeGreaterThan(500);
    expect(parsed).toBeGreaterThan(500);
  });
});
