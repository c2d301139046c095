/**
 * Help for a backend's paths, built from the same declarations that route and validate
 * requests (`GET /v1/<path>?help=1`). The text follows the layout of Vault's path help
 * (Request / Matching Route / synopsis / PARAMETERS / DESCRIPTION) because `path-help`
 * users read it; the OpenAPI document is a small subset of what Vault generates.
 */
import { compilePattern } from "./dispatch.js";
import type { FieldSchema, FieldSchemas, FieldType } from "./fields.js";
import type { Backend, Operation, PathDef } from "./types.js";

export interface HelpData {
  help: string;
  openapi: Record<string, unknown>;
  see_also: null;
}

export interface HelpContext {
  /** Mount type and description, for the backend overview at the mount's root. */
  readonly mountType: string;
  readonly mountDescription: string;
  /** Reported as the OpenAPI document's `info.version`. */
  readonly version: string;
  readonly needsSudo: (relativePath: string) => boolean;
  readonly isUnauthenticated: (relativePath: string) => boolean;
}

/** Vault's FieldType names, as its help text prints them. */
const VAULT_TYPE_NAMES: Record<FieldType, string> = {
  string: "string",
  int: "int",
  bool: "bool",
  duration: "duration (sec)",
  strings: "slice",
  "comma-strings": "slice",
  ints: "slice",
  map: "map",
  "string-map": "keypair",
  any: "any",
};

const OPERATION_ORDER: readonly Operation[] = ["read", "list", "create", "update", "patch", "delete"];

function patternsOf(def: PathDef): readonly string[] {
  return typeof def.pattern === "string" ? [def.pattern] : def.pattern;
}

/** The pattern of `def` that matched `relativePath` (the first one, as the router tries them). */
export function matchedPattern(def: PathDef, relativePath: string): string {
  const patterns = patternsOf(def);
  return patterns.find((p) => compilePattern(p).regex.test(relativePath)) ?? (patterns[0] as string);
}

function operationsOf(def: PathDef): Operation[] {
  return OPERATION_ORDER.filter((op) => def.operations[op] !== undefined);
}

/** First paragraph of the declared help, or a line naming what the path answers. */
function synopsisOf(def: PathDef): string {
  const help = def.help?.trim() ?? "";
  if (help !== "") return help.split(/\n\s*\n/)[0]?.trim() ?? help;
  return `Serves ${operationsOf(def).join(", ")} requests.`;
}

function descriptionOf(def: PathDef): string {
  const help = def.help?.trim() ?? "";
  const paragraphs = help === "" ? [] : help.split(/\n\s*\n/).map((p) => p.trim());
  const rest = paragraphs.slice(1);
  const ops = `Operations: ${operationsOf(def).join(", ")}.`;
  return [...rest, ops].join("\n\n");
}

function indent(n: number, text: string): string {
  const pad = " ".repeat(n);
  return text
    .split("\n")
    .map((line) => (line === "" ? line : pad + line))
    .join("\n");
}

/** The markdown help of one path, as `path-help secret/data/foo` prints it. */
export function renderPathHelp(def: PathDef, relativePath: string): string {
  const lines = [`Request:        ${relativePath}`, `Matching Route: ${matchedPattern(def, relativePath)}`, "", synopsisOf(def), ""];
  const fields = Object.entries(def.fields ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (fields.length > 0) {
    lines.push("## PARAMETERS", "");
    for (const [name, schema] of fields) {
      const description = schema.description?.trim() || "<no description>";
      lines.push(indent(4, `${name} (${VAULT_TYPE_NAMES[schema.type]})`), "", indent(8, description), "");
    }
  }
  lines.push("## DESCRIPTION", "", descriptionOf(def));
  return lines.join("\n").trim();
}

/** The overview at a mount's root: what is mounted, and every path with its synopsis. */
export function renderBackendHelp(backend: Backend, ctx: HelpContext): string {
  const about = ctx.mountDescription.trim() !== "" ? `${ctx.mountDescription.trim()} (${ctx.mountType})` : `The ${ctx.mountType} backend.`;
  const lines = [
    "## DESCRIPTION",
    "",
    about,
    "",
    "## PATHS",
    "",
    "These are the paths this mount serves. Ask for help on any path that matches a",
    "pattern below to see its parameters. Whether you may use a path depends on the",
    "policies of your token.",
    "",
  ];
  const entries = backend.paths.flatMap((def) => patternsOf(def).map((pattern) => ({ pattern: pattern === "" ? "/" : pattern, def })));
  entries.sort((a, b) => (a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0));
  for (const { pattern, def } of entries) lines.push(indent(4, pattern), indent(8, synopsisOf(def)), "");
  return lines.join("\n").trim();
}

/** `data/*path` -> `/data/{path}`, `roles/:name` -> `/roles/{name}`. */
function openApiPath(pattern: string): string {
  const body = pattern
    .split("/")
    .map((seg) => (seg.startsWith(":") || seg.startsWith("*") ? `{${seg.slice(1)}}` : seg))
    .join("/");
  return "/" + body.replace(/^\/+/, "");
}

function schemaOf(field: FieldSchema): Record<string, unknown> {
  const described = field.description ? { description: field.description } : {};
  const withDefault = field.default !== undefined && field.default !== null ? { default: field.default } : {};
  const enumValues = field.allowedValues ? { enum: [...field.allowedValues] } : {};
  const base: Record<FieldType, Record<string, unknown>> = {
    string: { type: "string" },
    int: { type: "integer" },
    bool: { type: "boolean" },
    duration: { type: "string", format: "duration" },
    strings: { type: "array", items: { type: "string" } },
    "comma-strings": { type: "array", items: { type: "string" } },
    ints: { type: "array", items: { type: "integer" } },
    map: { type: "object", format: "map" },
    "string-map": { type: "object", format: "kvpairs" },
    any: {},
  };
  return { ...base[field.type], ...described, ...withDefault, ...enumValues };
}

const OK_RESPONSES = { "200": { description: "OK" } };

/** One OpenAPI path item per pattern (plus a `/`-suffixed one for listing when needed). */
function addPathItems(paths: Record<string, unknown>, def: PathDef, pattern: string, ctx: HelpContext): void {
  const { captureNames } = compilePattern(pattern);
  const fields: FieldSchemas = def.fields ?? {};
  const parameters = captureNames.map((name) => ({
    name,
    description: fields[name]?.description ?? "",
    in: "path",
    schema: { type: "string" },
    required: true,
  }));
  const bodyProperties = Object.fromEntries(
    Object.entries(fields)
      .filter(([name]) => !captureNames.includes(name))
      .map(([name, schema]) => [name, schemaOf(schema)]),
  );
  const required = Object.entries(fields)
    .filter(([name, schema]) => schema.required === true && !captureNames.includes(name))
    .map(([name]) => name);
  const summary = synopsisOf(def);
  const requestBody = {
    content: { "application/json": { schema: { type: "object", properties: bodyProperties, ...(required.length > 0 ? { required } : {}) } } },
  };
  const relative = pattern.replace(/^\/+/, "");
  const flags = {
    ...(ctx.needsSudo(relative) ? { "x-vault-sudo": true } : {}),
    ...(ctx.isUnauthenticated(relative) ? { "x-vault-unauthenticated": true } : {}),
  };
  const item: Record<string, unknown> = { description: summary, ...(parameters.length > 0 ? { parameters } : {}), ...flags };
  const ops = def.operations;
  const listing = pattern.endsWith("/") || pattern === "";
  const listParam = { name: "list", description: "Must be set to `true`", in: "query", schema: { type: "string", enum: ["true"] }, required: true };
  const listedUnderGet = !ops.read && ops.list !== undefined && listing;
  if (ops.read) item.get = { summary, responses: OK_RESPONSES };
  else if (listedUnderGet) item.get = { summary, parameters: [listParam], responses: OK_RESPONSES };
  if (ops.create || ops.update) item.post = { summary, requestBody, responses: OK_RESPONSES };
  if (ops.patch) item.patch = { summary, requestBody: { content: { "application/merge-patch+json": requestBody.content["application/json"] } }, responses: OK_RESPONSES };
  if (ops.delete) item.delete = { summary, responses: { "204": { description: "empty body" } } };
  const path = openApiPath(pattern);
  paths[path] = item;
  // A path that both reads and lists: Vault documents the listing under a trailing slash.
  if (ops.list && !listedUnderGet && !path.endsWith("/")) {
    paths[`${path}/`] = { description: summary, ...(parameters.length > 0 ? { parameters } : {}), ...flags, get: { summary, parameters: [listParam], responses: OK_RESPONSES } };
  }
}

/** A minimal OpenAPI 3 document for the given declarations (paths relative to the mount). */
export function openApiDocument(entries: readonly { def: PathDef; pattern: string }[], ctx: HelpContext): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const { def, pattern } of entries) addPathItems(paths, def, pattern, ctx);
  return {
    openapi: "3.0.2",
    info: {
      title: "Mayfly API",
      description: "HTTP API of Mayfly, compatible with HashiCorp Vault's. All API routes are prefixed with `/v1/`.",
      version: ctx.version,
    },
    paths,
    components: { schemas: {} },
  };
}

/** Help for `relativePath` of a mount: the backend overview at its root, else the matching path's. */
export function helpFor(backend: Backend, def: PathDef | undefined, relativePath: string, ctx: HelpContext): HelpData | undefined {
  if (relativePath === "") {
    const entries = backend.paths.flatMap((d) => patternsOf(d).map((pattern) => ({ def: d, pattern })));
    return { help: renderBackendHelp(backend, ctx), openapi: openApiDocument(entries, ctx), see_also: null };
  }
  if (!def) return undefined;
  return { help: renderPathHelp(def, relativePath), openapi: openApiDocument([{ def, pattern: matchedPattern(def, relativePath) }], ctx), see_also: null };
}
