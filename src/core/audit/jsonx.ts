/**
 * JSONx (IBM's XML rendering of JSON), the audit `format=jsonx`. Like Vault, an entry is
 * written as the sequence of its top-level members, sorted by name, without the enclosing
 * `<json:object>`; unlike Vault's encoder we XML-escape string values too (Vault escapes only
 * names, so a value holding `<` would break the document) and end each entry with a newline.
 */
export function encodeJsonx(entry: Readonly<Record<string, unknown>>): string {
  let out = "";
  for (const name of Object.keys(entry).sort()) out += element(entry[name], name);
  return out;
}

function element(value: unknown, name: string | undefined): string {
  const attr = name === undefined ? "" : ` name="${escapeXml(name)}"`;
  if (value === null) return `<json:null${attr} />`;
  switch (typeof value) {
    case "boolean":
      return `<json:boolean${attr}>${value}</json:boolean>`;
    case "number":
      return Number.isFinite(value) ? `<json:number${attr}>${value}</json:number>` : `<json:null${attr} />`;
    case "string":
      return `<json:string${attr}>${escapeXml(value)}</json:string>`;
    case "object": {
      if (Array.isArray(value)) {
        return `<json:array${attr}>${value.map((v) => element(v, undefined)).join("")}</json:array>`;
      }
      const obj = value as Record<string, unknown>;
      const names = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `<json:object${attr}>${names.map((k) => element(obj[k], k)).join("")}</json:object>`;
    }
    default:
      return "";
  }
}

/**
 * Newlines become character references so an entry stays on one line; control characters
 * XML 1.0 cannot carry at all become U+FFFD.
 */
function escapeXml(s: string): string {
  return s.replace(/[&<>"'\n\r]|[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => XML_ESCAPES[c] ?? "\ufffd");
}

const XML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  "\n": "&#10;",
  "\r": "&#13;",
};
