/**
 * Text shapes that Vault's CLI gets from Go's standard library: `%v` and `%q` of decoded
 * JSON, `encoding/json`'s MarshalIndent, columnize tables, and kr/text word wrapping.
 * Users' scripts grep this output, so the details (`<nil>`, `map[a:b]`, `n/a`) matter.
 */

/** Go's `%v` of a value decoded from JSON. */
export function goValue(value: unknown): string {
  if (value === null || value === undefined) return "<nil>";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (Array.isArray(value)) return "[" + value.map(goValue).join(" ") + "]";
  if (typeof value === "object") {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).sort();
    return "map[" + keys.map((k) => `${k}:${goValue(obj[k])}`).join(" ") + "]";
  }
  return String(value);
}

/** Go's `%q` of a []string: `["a" "b"]`. */
export function goQuotedList(values: readonly unknown[] | null | undefined): string {
  return "[" + (values ?? []).map((v) => JSON.stringify(String(v))).join(" ") + "]";
}

const orderedMark = Symbol("goStruct");

/**
 * Marks an object as a Go struct: its keys keep their order in JSON. Plain objects are
 * Go maps, whose keys encoding/json sorts.
 */
export function goStruct<T extends object>(obj: T): T {
  Object.defineProperty(obj, orderedMark, { value: true, enumerable: false });
  return obj;
}

function isStruct(obj: object): boolean {
  return (obj as Record<symbol, unknown>)[orderedMark] === true;
}

/** Copies a value with map keys sorted the way encoding/json (and ghodss/yaml) order them. */
export function sortForGo(value: unknown, sortStructs = false): unknown {
  if (Array.isArray(value)) return value.map((v) => sortForGo(v, sortStructs));
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (sortStructs || !isStruct(obj)) keys.sort();
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      if (obj[k] === undefined) continue;
      out[k] = sortForGo(obj[k], sortStructs);
    }
    return out;
  }
  return value;
}

/** json.MarshalIndent(v, "", "  "), including Go's HTML-safe escaping. */
export function goJson(value: unknown): string {
  const text = JSON.stringify(sortForGo(value), null, 2) ?? "null";
  return text
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/**
 * ryanuber/columnize as Vault configures it: cells trimmed, empty cells shown as "n/a",
 * columns joined by four spaces, the last column never padded.
 */
export function columnize(rows: readonly (readonly string[])[], empty = "n/a"): string {
  const cells = rows.map((row) =>
    row.map((cell) => {
      const trimmed = cell.trim();
      return trimmed === "" && empty !== "" ? empty : trimmed;
    }),
  );
  const widths: number[] = [];
  for (const row of cells) {
    row.forEach((cell, i) => {
      const len = displayWidth(cell);
      if ((widths[i] ?? -1) < len) widths[i] = len;
    });
  }
  return cells
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell + " ".repeat((widths[i] ?? 0) - displayWidth(cell)) + "    "))
        .join(""),
    )
    .join("\n");
}

/** A table whose first row is the header, underlined with dashes (Vault's tableOutput). */
export function tableOutput(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const underline = header.map((h) => "-".repeat(h.trim().length));
  return columnize([header, underline, ...rows]);
}

function displayWidth(s: string): number {
  // columnize counts runes, and Han characters twice.
  let n = 0;
  for (const ch of s) n += /\p{Script=Han}/u.test(ch) ? 2 : 1;
  return n;
}

const maxLineLength = 78;

/** kr/text Wrap at Vault's 78 columns, with a left pad. */
export function wrapAtLength(text: string, pad = 0): string {
  const width = maxLineLength - pad;
  const out: string[] = [];
  for (const paragraph of text.split("\n")) {
    const words = paragraph.split(/\s+/).filter((w) => w !== "");
    let line = "";
    for (const word of words) {
      if (line === "") line = word;
      else if (line.length + 1 + word.length <= width) line += " " + word;
      else {
        out.push(line);
        line = word;
      }
    }
    out.push(line);
  }
  return out.map((l) => " ".repeat(pad) + l).join("\n");
}

/** Vault's padEqualSigns: "== Secret Path ==" sized to the content below it. */
export function padEqualSigns(header: string, totalLength: number): string {
  let equalSigns = totalLength - (header.length + 2);
  if (equalSigns <= 0) equalSigns = 4;
  if (equalSigns % 2 !== 0) equalSigns += 1;
  const side = "=".repeat(equalSigns / 2);
  return `${side} ${header} ${side}`;
}

/** Vault's getHeaderForMap: the banner above a Key/Value table of `data`. */
export function headerForMap(header: string, data: Record<string, unknown>): string {
  let maxKey = 0;
  for (const k of Object.keys(data)) maxKey = Math.max(maxKey, k.length);
  return padEqualSigns(header, maxKey + 4 + 5);
}

/** Go's strconv.ParseBool. */
export function parseGoBool(text: string): boolean | undefined {
  switch (text) {
    case "1":
    case "t":
    case "T":
    case "TRUE":
    case "true":
    case "True":
      return true;
    case "0":
    case "f":
    case "F":
    case "FALSE":
    case "false":
    case "False":
      return false;
    default:
      return undefined;
  }
}

/**
 * Go's time.Time.String() of an RFC 3339 timestamp as api.Secret parses it
 * ("2024-01-02 15:04:05.25 +0000 UTC"); text that is not RFC 3339 comes back unchanged.
 */
export function goTimeString(rfc3339: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/.exec(rfc3339);
  if (!m) return rfc3339;
  const [, date, time, fraction = "", zone = "Z"] = m;
  const frac = fraction.slice(0, 9).replace(/0+$/, "");
  const clock = `${date} ${time}${frac !== "" ? "." + frac : ""}`;
  if (zone === "Z" || zone === "z") return `${clock} +0000 UTC`;
  // A fixed offset parsed from text has no zone name; Go prints the offset in its place.
  const offset = zone.replace(":", "");
  return `${clock} ${offset} ${offset}`;
}
