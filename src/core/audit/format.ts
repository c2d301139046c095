/**
 * Audit lines in JSON, from the entries of entries.ts. What repeats from request to request
 * is rendered once and remembered: a request's auth and request blocks (written in both of
 * its lines), a caller's data-less request block, a token's auth block, a response's mount
 * fields, and the HMAC'd JSON of shared values (src/storage/shared-values.ts) in response data.
 */
import { isShared, jsonAroundShared, sharedDerived } from "../../storage/shared-values.js";
import { authEntry, buildRequestEntry, buildResponseEntry, keySet, requestBody, responseBody, type Formatter } from "./entries.js";
import { hashData, keepClear, walk, type HashFn } from "./hash.js";
import { encodeJsonx } from "./jsonx.js";
import type { FormatOptions } from "./options.js";
import type { AuditAuthInput, AuditRequestEntry, AuditRequestInput, AuditResponseEntry, AuditResponseInput } from "./types.js";

export { buildRequestEntry, buildResponseEntry, IsoTimeMemo, type Formatter } from "./entries.js";

/**
 * A request's `auth` and `request` blocks appear in both of its lines; in JSON they are
 * rendered once per device and request and spliced into both (the pipeline hands the same
 * `request` and `auth` objects to both calls). They hang off the request object itself, not
 * a WeakMap keyed by it: V8's young-generation collector keeps a WeakMap's values alive while
 * it runs, so every request's rendered JSON since the last collection was copied and promoted
 * (about 1 MB per collection under load), which cost more than rendering it.
 */
interface RenderedParts {
  formatter: Formatter;
  request: object;
  auth: AuditAuthInput | undefined;
  authJson: string;
  requestJson: string;
  /** Another device's rendering of the same request. */
  next: RenderedParts | undefined;
}
const RENDERED = Symbol("mayfly.audit.rendered");
type Renderable = { [RENDERED]?: RenderedParts };

function partsFor(f: Formatter, input: AuditRequestInput): RenderedParts {
  const holder = input.request as Renderable;
  const first = holder[RENDERED];
  for (let p = first; p !== undefined; p = p.next) {
    // A copy of the request object (spread) carries the symbol but is not the same request.
    if (p.formatter === f && p.request === input.request && p.auth === input.auth) return p;
  }
  const h = f.options.logRaw ? keepClear : f.hmac;
  const hi = f.options.logRaw ? keepClear : (f.hmacIdentifier ?? f.hmac);
  const parts: RenderedParts = {
    formatter: f,
    request: input.request,
    auth: input.auth,
    authJson: authJsonFor(f, input.auth, hi),
    requestJson: requestJsonFor(f, input, h, hi),
    next: first,
  };
  // A frozen input is formatted all the same, just not remembered.
  if (Object.isExtensible(holder)) holder[RENDERED] = parts;
  return parts;
}

/**
 * A caller's requests to one path differ, in their `request` block, only in the request id
 * and the client's port when they carry no data (reads, lists): that block is kept per
 * device for the last few callers, as the JSON between those two fields.
 */
interface RequestTemplate {
  readonly key: readonly unknown[];
  /** The block's JSON without `id` and `remote_port`, and without its braces. */
  readonly middle: string;
}
const requestTemplates = new WeakMap<Formatter, RequestTemplate[]>();
const REQUEST_TEMPLATES = 8;
let nextTemplateSlot = 0;

function requestJsonFor(f: Formatter, input: AuditRequestInput, h: HashFn, hi: HashFn): string {
  const r = input.request;
  const port = r.remotePort;
  const templatable =
    typeof r.id === "string" && r.id !== "" && typeof port === "number" && Number.isInteger(port) && port !== 0 &&
    !r.wrapTtlSeconds && !r.headers && isEmpty(r.data);
  if (!templatable) return JSON.stringify(requestBody(input, h, hi, f.options.hmacAccessor));
  const key = [r.clientId, r.operation, r.mountPoint, r.mountType, r.mountAccessor, r.mountRunningVersion, r.clientToken, r.clientTokenAccessor, r.path, r.policyOverride, r.remoteAddress];
  let list = requestTemplates.get(f);
  if (!list) {
    list = [];
    requestTemplates.set(f, list);
  }
  let middle: string | undefined;
  for (const t of list) {
    if (sameValues(t.key, key)) {
      middle = t.middle;
      break;
    }
  }
  if (middle === undefined) {
    // requestBody leaves out an empty id and a zero port, as Go's omitempty does.
    const json = JSON.stringify(requestBody({ ...input, request: { ...r, id: "", remotePort: 0 } }, h, hi, f.options.hmacAccessor));
    middle = json.slice(1, -1);
    const template = { key, middle };
    if (list.length < REQUEST_TEMPLATES) list.push(template);
    else list[nextTemplateSlot++ % REQUEST_TEMPLATES] = template;
  }
  return `{"id":${JSON.stringify(r.id)},${middle},"remote_port":${port}}`;
}

function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isEmpty(data: Readonly<Record<string, unknown>> | undefined): boolean {
  if (data === undefined) return true;
  for (const k in data) if (Object.hasOwn(data, k)) return false;
  return true;
}

/**
 * A token's `auth` block is the same on every request it makes within a second (only the
 * remaining TTL, uses, the ACL verdict and, after an identity change, its entity's policies
 * move), so its JSON is remembered per device and token under those fields.
 */
const authJsonCache = new WeakMap<Formatter, Map<string, AuthJson>>();
const AUTH_JSON_CACHE_SIZE = 256;

/** One token's last auth block, under the fields that move. */
interface AuthJson {
  ttl: number | undefined;
  uses: number | undefined;
  allowed: boolean | undefined;
  /** The entity's policies as resolved (a new array after an identity change). */
  identityPolicies: readonly string[] | undefined;
  json: string;
}

function authJsonFor(f: Formatter, a: AuditAuthInput | undefined, hi: HashFn): string {
  if (!a?.clientToken || a.policyResults?.grantingPolicies?.length) return JSON.stringify(authEntry(a, hi, f.options.hmacAccessor, "request"));
  let cache = authJsonCache.get(f);
  if (!cache) {
    cache = new Map();
    authJsonCache.set(f, cache);
  }
  // Keyed by the token itself: its hash is already computed (the token lookup used it).
  const hit = cache.get(a.clientToken);
  const allowed = a.policyResults?.allowed;
  if (
    hit !== undefined && hit.ttl === a.tokenTtlSeconds && hit.uses === a.remainingUses && hit.allowed === allowed &&
    hit.identityPolicies === a.identityPolicies
  ) {
    return hit.json;
  }
  const json = JSON.stringify(authEntry(a, hi, f.options.hmacAccessor, "request"));
  if (hit !== undefined) {
    hit.ttl = a.tokenTtlSeconds;
    hit.uses = a.remainingUses;
    hit.allowed = allowed;
    hit.identityPolicies = a.identityPolicies;
    hit.json = json;
    return json;
  }
  if (cache.size >= AUTH_JSON_CACHE_SIZE) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(a.clientToken, { ttl: a.tokenTtlSeconds, uses: a.remainingUses, allowed, identityPolicies: a.identityPolicies, json });
  return json;
}

export function formatRequestLine(f: Formatter, input: AuditRequestInput, time: string): string {
  if (f.options.format === "jsonx") return serialise(f.options, buildRequestEntry(f, input, time));
  const p = partsFor(f, input);
  const error = input.error ? `,"error":${JSON.stringify(input.error)}` : "";
  return `${f.options.prefix}{"time":${JSON.stringify(time)},"type":"request","auth":${p.authJson},"request":${p.requestJson}${error}}\n`;
}

export function formatResponseLine(f: Formatter, input: AuditResponseInput, time: string): string {
  if (f.options.format === "jsonx") return serialise(f.options, buildResponseEntry(f, input, time));
  const p = partsFor(f, input);
  const body = responseBodyJson(f, input);
  const error = input.error ? `,"error":${JSON.stringify(input.error)}` : "";
  return `${f.options.prefix}{"time":${JSON.stringify(time)},"type":"response","auth":${p.authJson},"request":${p.requestJson},"response":${body}${error}}\n`;
}

function serialise(o: FormatOptions, entry: AuditRequestEntry | AuditResponseEntry): string {
  const body = o.format === "jsonx" ? encodeJsonx(entry as unknown as Record<string, unknown>) : JSON.stringify(entry);
  return o.prefix + body + "\n";
}

/**
 * `JSON.stringify(responseBody(f, input))`, with the HMAC'd JSON of shared values in the
 * data (a KV secret read again and again) made once per device.
 */
function responseBodyJson(f: Formatter, input: AuditResponseInput): string {
  const data = input.response?.data;
  const elided = f.options.elideListResponses && input.request.operation === "list";
  if (!data || elided) return JSON.stringify(responseBody(f, input));
  const h = f.options.logRaw ? keepClear : f.hmac;
  const clear = input.nonHmacResponseKeys;
  const variant = clear && clear.length > 0 ? clear.join("\u0000") : "";
  const hashedJson = (v: object) => sharedDerived(v, f, variant, () => JSON.stringify(hashData(v as Record<string, unknown>, h, keySet(clear))));
  const dataJson = isShared(data) ? hashedJson(data) : jsonAroundShared(
    data,
    // An object's HMAC'd form does not depend on the key it sits under (arrays' do).
    (v, k) =>
      Array.isArray(v)
        ? JSON.stringify(walk(v, h, keySet(clear), k))
        : hashedJson(v),
    (v, k) => JSON.stringify(walk(v, h, keySet(clear), k)) as string | undefined,
  );
  if (dataJson === undefined) return JSON.stringify(responseBody(f, input));
  const head = headJsonFor(f, input);
  const resp = input.response;
  const tail = resp?.warnings?.length || resp?.redirect || resp?.wrapInfo ? JSON.stringify(responseBody(f, input, "tail")).slice(1, -1) : "";
  let out = head;
  if (dataJson !== "{}") out += `${out === "" ? "" : ","}"data":${dataJson}`;
  if (tail !== "") out += `${out === "" ? "" : ","}${tail}`;
  return `{${out}}`;
}

/**
 * The part of a response body before `data`, without braces. Without an issued token or a
 * lease it names only the mount, so each device keeps the last one it wrote.
 */
function headJsonFor(f: Formatter, input: AuditResponseInput): string {
  const r = input.request;
  const resp = input.response;
  if (resp?.auth || resp?.secret) return JSON.stringify(responseBody(f, input, "head")).slice(1, -1);
  const last = lastHeads.get(f);
  if (
    last !== undefined && last.mountPoint === r.mountPoint && last.mountType === r.mountType &&
    last.mountAccessor === r.mountAccessor && last.runningVersion === r.mountRunningVersion
  ) {
    return last.json;
  }
  const json = JSON.stringify(responseBody(f, input, "head")).slice(1, -1);
  lastHeads.set(f, { mountPoint: r.mountPoint, mountType: r.mountType, mountAccessor: r.mountAccessor, runningVersion: r.mountRunningVersion, json });
  return json;
}

interface HeadJson {
  readonly mountPoint: string | undefined;
  readonly mountType: string | undefined;
  readonly mountAccessor: string | undefined;
  readonly runningVersion: string | undefined;
  readonly json: string;
}
const lastHeads = new WeakMap<Formatter, HeadJson>();
