/**
 * Builds Vault's audit entries from the pipeline's inputs, HMAC'ing what Vault HMACs.
 *
 * Written in clear, as Vault does: the request path, operation, mount fields, policies,
 * display name, token metadata, entity id, remote address, lease ids (`secret.lease_id`:
 * operators look leases up by it), warnings, the error text. HMAC'd unless `log_raw`:
 * client tokens (request and auth), accessors when `hmac_accessor`, every string in request
 * and response data, a response's issued token (and its accessor when `hmac_accessor`),
 * wrap_info's token (and accessors when `hmac_accessor`), credential-bearing headers.
 */
import { isShared, jsonAroundShared, sharedDerived } from "../../storage/shared-values.js";
import { elideListData, hashData, keepClear, walk, type HashFn } from "./hash.js";
import { encodeJsonx } from "./jsonx.js";
import type { FormatOptions } from "./options.js";
import type {
  AuditAuthEntry,
  AuditAuthInput,
  AuditRequestEntry,
  AuditRequestEntryBody,
  AuditRequestInput,
  AuditResponseEntry,
  AuditResponseEntryBody,
  AuditResponseInput,
} from "./types.js";

/** Headers whose values are credentials: never written in clear unless `log_raw`. */
const CREDENTIAL_HEADERS = new Set(["x-vault-token", "authorization", "proxy-authorization", "cookie", "set-cookie"]);

export interface Formatter {
  options: FormatOptions;
  hmac: HashFn;
  /** The same function, possibly memoised: used for the calling token and its accessor. */
  hmacIdentifier?: HashFn;
}

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

export function buildRequestEntry(f: Formatter, input: AuditRequestInput, time: string): AuditRequestEntry {
  const h = f.options.logRaw ? keepClear : f.hmac;
  const hi = f.options.logRaw ? keepClear : (f.hmacIdentifier ?? f.hmac);
  const entry: AuditRequestEntry = {
    time,
    type: "request",
    auth: authEntry(input.auth, hi, f.options.hmacAccessor, "request"),
    request: requestBody(input, h, hi, f.options.hmacAccessor),
  };
  if (input.error) entry.error = input.error;
  return entry;
}

export function buildResponseEntry(f: Formatter, input: AuditResponseInput, time: string): AuditResponseEntry {
  const { logRaw, hmacAccessor } = f.options;
  const h = logRaw ? keepClear : f.hmac;
  const hi = logRaw ? keepClear : (f.hmacIdentifier ?? f.hmac);
  const entry: AuditResponseEntry = {
    time,
    type: "response",
    auth: authEntry(input.auth, hi, hmacAccessor, "request"),
    request: requestBody(input, h, hi, hmacAccessor),
    response: responseBody(f, input),
  };
  if (input.error) entry.error = input.error;
  return entry;
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

/** The whole body, or the part before `data` (head) or after it (tail), in Vault's key order. */
function responseBody(f: Formatter, input: AuditResponseInput, part: "all" | "head" | "tail" = "all"): AuditResponseEntryBody {
  const { logRaw, hmacAccessor, elideListResponses } = f.options;
  const h = logRaw ? keepClear : f.hmac;
  const req = input.request;
  const resp = input.response;
  const body: AuditResponseEntryBody = {};
  if (part !== "tail") {
    if (resp?.auth) body.auth = authEntry(resp.auth, h, hmacAccessor, "response");
    setIf(body, "mount_point", req.mountPoint);
    setIf(body, "mount_type", req.mountType);
    setIf(body, "mount_accessor", req.mountAccessor);
    setIf(body, "mount_running_plugin_version", req.mountRunningVersion);
    if (resp?.secret) body.secret = resp.secret.leaseId ? { lease_id: resp.secret.leaseId } : {};
  }
  if (part === "all" && resp?.data) {
    const data = elideListResponses && req.operation === "list" ? elideListData(resp.data) : resp.data;
    const hashed = hashData(data, h, keySet(input.nonHmacResponseKeys));
    if (Object.keys(hashed).length > 0) body.data = hashed;
  }
  if (part === "head") return body;
  if (resp?.warnings && resp.warnings.length > 0) body.warnings = [...resp.warnings];
  setIf(body, "redirect", resp?.redirect);
  const w = resp?.wrapInfo;
  if (w) {
    const wrapInfo: NonNullable<AuditResponseEntryBody["wrap_info"]> = {};
    setIf(wrapInfo, "ttl", w.ttlSeconds);
    setIf(wrapInfo, "token", w.token ? h(w.token) : undefined);
    setIf(wrapInfo, "accessor", w.accessor ? (hmacAccessor ? h(w.accessor) : w.accessor) : undefined);
    setIf(wrapInfo, "creation_time", wrapTimes.format(w.creationTimeMs));
    setIf(wrapInfo, "creation_path", w.creationPath);
    setIf(wrapInfo, "wrapped_accessor", w.wrappedAccessor && hmacAccessor ? h(w.wrappedAccessor) : w.wrappedAccessor);
    body.wrap_info = wrapInfo;
  }
  return body;
}

/** `hi` hashes the caller's token and accessor; `h` everything else. */
function requestBody(input: AuditRequestInput, h: HashFn, hi: HashFn, hmacAccessor: boolean): AuditRequestEntryBody {
  const r = input.request;
  const b = {} as AuditRequestEntryBody;
  // Assignment order is the JSON key order; it follows Vault's struct.
  setIf(b, "id", r.id);
  setIf(b, "client_id", r.clientId);
  setIf(b, "operation", r.operation);
  setIf(b, "mount_point", r.mountPoint);
  setIf(b, "mount_type", r.mountType);
  setIf(b, "mount_accessor", r.mountAccessor);
  setIf(b, "mount_running_version", r.mountRunningVersion);
  setIf(b, "client_token", r.clientToken ? hi(r.clientToken) : undefined);
  setIf(
    b,
    "client_token_accessor",
    r.clientTokenAccessor && hmacAccessor ? hi(r.clientTokenAccessor) : r.clientTokenAccessor,
  );
  b.namespace = { id: "root" };
  setIf(b, "path", r.path);
  if (r.data) {
    const hashed = hashData(r.data, h, keySet(input.nonHmacRequestKeys));
    if (Object.keys(hashed).length > 0) b.data = hashed;
  }
  setIf(b, "policy_override", r.policyOverride);
  setIf(b, "remote_address", r.remoteAddress);
  setIf(b, "remote_port", r.remotePort);
  setIf(b, "wrap_ttl", r.wrapTtlSeconds);
  if (r.headers) {
    const hmacNames = new Set([...CREDENTIAL_HEADERS, ...(r.hmacHeaders ?? []).map((n) => n.toLowerCase())]);
    const headers: Record<string, string[]> = {};
    for (const [name, values] of Object.entries(r.headers)) {
      headers[name] = hmacNames.has(name.toLowerCase()) ? values.map(h) : [...values];
    }
    if (Object.keys(headers).length > 0) b.headers = headers;
  }
  return b;
}

function authEntry(
  a: AuditAuthInput | undefined,
  h: HashFn,
  hmacAccessor: boolean,
  side: "request" | "response",
): AuditAuthEntry {
  const e: AuditAuthEntry = {};
  if (!a) return e;
  setIf(e, "client_token", a.clientToken ? h(a.clientToken) : undefined);
  setIf(e, "accessor", a.accessor && hmacAccessor ? h(a.accessor) : a.accessor);
  setIf(e, "display_name", a.displayName);
  if (a.policies?.length) e.policies = [...a.policies];
  if (a.tokenPolicies?.length) e.token_policies = [...a.tokenPolicies];
  if (a.identityPolicies?.length) e.identity_policies = [...a.identityPolicies];
  setIf(e, "no_default_policy", a.noDefaultPolicy);
  if (a.policyResults && side === "request") {
    e.policy_results = { allowed: a.policyResults.allowed };
    if (a.policyResults.grantingPolicies?.length) {
      e.policy_results.granting_policies = a.policyResults.grantingPolicies.map((p) => ({
        name: p.name,
        namespace_id: "root",
        type: p.type,
      }));
    }
  }
  if (a.metadata && Object.keys(a.metadata).length > 0) e.metadata = { ...a.metadata };
  setIf(e, side === "response" ? "num_uses" : "remaining_uses", side === "response" ? a.numUses : a.remainingUses);
  setIf(e, "entity_id", a.entityId);
  setIf(e, "token_type", a.tokenType);
  setIf(e, "token_ttl", a.tokenTtlSeconds === undefined ? undefined : Math.trunc(a.tokenTtlSeconds));
  setIf(e, "token_issue_time", a.tokenIssueTimeMs === undefined ? undefined : issueTimes.format(a.tokenIssueTimeMs, false));
  return e;
}

/** Go's `omitempty`: "", 0, false and undefined are left out. */
function setIf<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value === undefined || value === "" || value === 0 || value === false) return;
  target[key] = value;
}

function keySet(keys: readonly string[] | undefined): ReadonlySet<string> | undefined {
  return keys && keys.length > 0 ? new Set(keys) : undefined;
}

/**
 * RFC 3339 in UTC, remembering the last value: consecutive entries mostly share a clock
 * millisecond (or a token issue time), and formatting a Date costs more than building the
 * rest of the auth section. Keep one per kind of timestamp so they do not evict each other.
 */
export class IsoTimeMemo {
  private lastMs = Number.NaN;
  private lastIso = "";

  format(ms: number, withFraction = true): string | undefined {
    if (!Number.isFinite(ms) || ms <= 0) return undefined;
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastIso = new Date(ms).toISOString();
    }
    // Vault writes token issue times without fractional seconds.
    return withFraction ? this.lastIso : this.lastIso.replace(/\.\d+Z$/, "Z");
  }
}

const issueTimes = new IsoTimeMemo();
const wrapTimes = new IsoTimeMemo();
