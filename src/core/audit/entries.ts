/**
 * Builds Vault's audit entries from the pipeline's inputs, HMAC'ing what Vault HMACs.
 *
 * Written in clear, as Vault does: the request path, operation, mount fields, policies,
 * display name, token metadata, entity id, remote address, lease ids (`secret.lease_id`:
 * operators look leases up by it), warnings, the error text. HMAC'd unless `log_raw`:
 * client tokens (request and auth), accessors when `hmac_accessor`, every string in request
 * and response data, a response's issued token (and its accessor when `hmac_accessor`),
 * wrap_info's token (and accessors when `hmac_accessor`), credential-bearing headers.
 * format.ts turns them into lines, remembering what repeats.
 */
import { elideListData, hashData, keepClear, type HashFn } from "./hash.js";
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

/** The whole body, or the part before `data` (head) or after it (tail), in Vault's key order. */
export function responseBody(f: Formatter, input: AuditResponseInput, part: "all" | "head" | "tail" = "all"): AuditResponseEntryBody {
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
export function requestBody(input: AuditRequestInput, h: HashFn, hi: HashFn, hmacAccessor: boolean): AuditRequestEntryBody {
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

export function authEntry(
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

export function keySet(keys: readonly string[] | undefined): ReadonlySet<string> | undefined {
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
