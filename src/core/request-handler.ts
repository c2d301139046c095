import { randomUUID } from "node:crypto";
import { addressInCidrs } from "../framework/cidr.js";
import { isMayflyError, MayflyError, notFound, permissionDenied } from "../framework/errors.js";
import type { Caller, ConnectionInfo, Operation, Request, Response } from "../framework/types.js";
import type { AuditAuthInput, AuditRequestInput, AuditResponseInput } from "./audit/index.js";
import type { Core } from "./core.js";
import type { Mounted } from "./mounts.js";
import { routePrefix } from "./router/mount-entry.js";
import { authBlock } from "./token-issuer.js";
import type { TokenEntry } from "./tokens/token-entry.js";
import { ttlLeftSeconds } from "./tokens/token-entry.js";
import { checkWrappingToken, isWrappable, requestedWrapTtlSeconds, WRAPPING_TOKEN_PATHS, wrapResponse } from "./wrapping/index.js";
import { resolveIdentity, tokenAndIdentityPolicies, type ResolvedIdentity } from "./identity/index.js";
import { completeLogin, withIdentityPolicies } from "./login.js";
import { serveHelp } from "./help-request.js";

/** A request as the HTTP layer hands it over. `write` is a POST/PUT not yet split into create/update. */
export interface InboundRequest {
  operation: Operation | "write";
  /** Path after `/v1/`, percent-decoded, without a leading slash. */
  path: string;
  data: Record<string, unknown>;
  clientToken: string;
  connection: ConnectionInfo;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** `?help=1`: answer with the path's help instead of running it. */
  help?: boolean;
}

export interface HandledResponse {
  requestId: string;
  response: Response | undefined;
  mountType: string;
}

const ANONYMOUS: Caller = {
  clientToken: "",
  accessor: "",
  policies: [],
  displayName: "",
  entityId: "",
  tokenType: "",
  tokenHash: "",
  metadata: {},
};

/**
 * The request pipeline: route, resolve the token, decide the operation, check the ACL,
 * audit the request (or refuse it), run the handler, turn logins into tokens, audit the
 * response. Every refusal is audited too.
 */
export async function handleRequest(core: Core, inb: InboundRequest): Promise<HandledResponse> {
  const started = process.hrtime.bigint();
  const requestId = randomUUID();
  let mountLabel = "none";
  let opLabel: string = inb.operation;
  let code = 200;
  try {
    const result = await pipeline(core, inb, requestId, (m, op) => {
      mountLabel = m;
      opLabel = op;
    });
    code = result.response?.status ?? (result.response ? 200 : 204);
    return result;
  } catch (err) {
    code = isMayflyError(err) ? err.status : 500;
    throw err;
  } finally {
    core.metrics.observeRequest(mountLabel, opLabel, code, Number(process.hrtime.bigint() - started) / 1e9);
  }
}

async function pipeline(
  core: Core,
  inb: InboundRequest,
  requestId: string,
  label: (mount: string, op: string) => void,
): Promise<HandledResponse> {
  if (core.sealed) throw new MayflyError(503, ["Vault is sealed"]);
  const wrapTtlSeconds = requestedWrapTtlSeconds(inb.headers);
  const path = inb.path;
  const route = core.mounts.router.match(path);
  const mounted = route?.mounted;
  const relativePath = route?.relativePath ?? path;
  if (mounted) label(routePrefix(mounted.entry), inb.operation);

  const unauthenticated = mounted?.isUnauthenticated(relativePath) ?? false;
  // Unauthenticated paths (logins, the UI mount listing) still see a valid token if one was sent.
  // A token (and below, an ACL) already cached is taken without a promise.
  const token = inb.clientToken;
  let entry = token ? (core.tokens.peek(token, core.nowMs()) ?? (await core.tokens.lookup(token, core.nowMs()))) : undefined;
  // A token bound to CIDRs is no token at all from anywhere else.
  if (entry && entry.boundCidrs.length > 0 && !addressInCidrs(inb.connection.remoteAddress, entry.boundCidrs)) entry = undefined;
  // The token's entity adds its own and its groups' policies, read afresh (cached until an identity change).
  const identity = entry && entry.entityId !== "" ? await resolveIdentity(core.identity, entry.entityId) : undefined;
  const caller = entry ? callerOf(inb.clientToken, entry, identity) : ANONYMOUS;
  // With no device enabled there is nothing to record: skip building the entries.
  const auditing = core.audit.enabled;
  const auditAuth = entry && auditing ? auditAuthOf(inb.clientToken, entry, core.nowMs(), identity) : {};
  const auditedHeaders = auditing ? core.auditedHeaders.select(inb.headers) : undefined;

  // The audit inputs are built field by field, not with object spread: spreading here made
  // V8 keep every request's audit objects through young collections (measured: ~280 KB more
  // promoted per scavenge and ~3 us per request in a KV read loop).
  const mountConfig = mounted?.entry.config;
  const baseAudit = (operation: string): AuditResponseInput => ({
    auth: auditAuth,
    request: {
      id: requestId,
      operation,
      path,
      data: inb.data,
      clientToken: inb.clientToken,
      clientTokenAccessor: entry?.accessor ?? "",
      remoteAddress: inb.connection.remoteAddress,
      remotePort: inb.connection.remotePort,
      wrapTtlSeconds: wrapTtlSeconds || undefined,
      headers: auditedHeaders?.headers,
      hmacHeaders: auditedHeaders?.hmac,
      mountPoint: mounted ? routePrefix(mounted.entry) : undefined,
      mountType: mounted?.entry.type,
      mountAccessor: mounted?.entry.accessor,
    },
    nonHmacRequestKeys: mountConfig?.audit_non_hmac_request_keys || undefined,
    nonHmacResponseKeys: mountConfig?.audit_non_hmac_response_keys || undefined,
  });

  if (WRAPPING_TOKEN_PATHS.has(path) && !inb.help) {
    await checkWrappingToken(core, inb.data, inb.clientToken).catch(async (err: unknown) => {
      await auditRefusal(core, baseAudit("update"), errorText(err));
      throw err;
    });
  }

  // A request without a valid token is refused before anything else is revealed.
  if (!unauthenticated && !entry) {
    await auditRefusal(core, baseAudit(inb.operation === "write" ? "update" : inb.operation), "permission denied");
    throw permissionDenied();
  }
  // As Vault's CheckToken: the tokens of a disabled or deleted entity are refused (not revoked).
  if (!unauthenticated && entry && entry.entityId !== "" && (!identity || identity.disabled)) {
    await auditRefusal(core, baseAudit(inb.operation === "write" ? "update" : inb.operation), "permission denied");
    throw permissionDenied();
  }

  if (inb.help) return serveHelp(core, { requestId, path, mounted, relativePath, unauthenticated, entry, audit: baseAudit("help") });

  const match = mounted?.runner.table.match(relativePath);
  let operation: Operation;
  if (inb.operation === "write") {
    operation = "update";
    if (mounted && match) {
      const req = buildRequest(core, inb, requestId, "update", mounted, relativePath, caller);
      try {
        operation = await mounted.runner.resolveWriteOperation(match, req);
      } catch (err) {
        // Field errors surface when the handler runs; the ACL decides on `update` meanwhile.
        if (!isMayflyError(err) || err.status !== 400) throw err;
      }
    }
  } else {
    operation = inb.operation;
  }
  if (mounted) label(routePrefix(mounted.entry), operation);
  const audit = baseAudit(operation);

  if (!unauthenticated && entry) {
    const acl = identity
      ? await core.policies.acl(caller.policies, identity)
      : (core.policies.cachedAcl(entry.policies) ?? (await core.policies.acl(entry.policies)));
    const decision = acl.check({ path, operation, data: inb.data, ...(wrapTtlSeconds !== undefined ? { wrapTtlSeconds } : {}) });
    const needsSudo = mounted ? mounted.needsSudo(relativePath) : false;
    const allowed = decision.allowed && (!needsSudo || decision.sudo);
    audit.auth = withPolicyResults(auditAuth, allowed);
    if (!allowed) {
      await auditRefusal(core, audit, "permission denied");
      throw permissionDenied();
    }
  }

  if (!mounted) {
    await auditRefusal(core, audit, "no handler for route");
    throw notFound(`no handler for route "${path}". route entry not found.`);
  }

  // Vault serves a request only once its line is written. A read that changes nothing, by a
  // token without a use count and not to be wrapped (wrapping stores a token), may run
  // meanwhile: its two lines then share one write (one event-loop turn less per KV read),
  // and no answer leaves before both are recorded.
  let requestLogged: Promise<void> | undefined;
  if (auditing) {
    const logged = core.audit.logRequest(audit).catch((err: unknown) => {
      core.logger.error("audit: no device could record the request", { error: errorText(err) });
      throw new MayflyError(500, ["internal error"]);
    });
    const early =
      operation === "read" && match?.def.pureReads === true && !wrapTtlSeconds && (unauthenticated || entry?.numUses === 0);
    if (early) requestLogged = settledLater(logged);
    else await logged;
  }

  const use = entry && !unauthenticated ? await core.tokens.use(entry) : "unlimited";
  if (use === "spent") {
    if (auditing) await core.audit.logResponse({ ...audit, error: "permission denied" }).catch(() => undefined);
    await requestLogged;
    throw permissionDenied();
  }
  const lastUse = use === "last";
  try {
    const req = buildRequest(core, inb, requestId, operation, mounted, relativePath, caller);
    let response: Response | undefined;
    try {
      if (!match) throw notFound("unsupported path");
      response = await mounted.runner.invoke(match, req);
      if (response?.authSpec) response = await completeLogin(core, mounted, path, response);
      if (response?.auth) response = await withIdentityPolicies(core, response);
      if (wrapTtlSeconds && isWrappable(response)) {
        const maxTtlSeconds = mounted.info.maxLeaseTtlSeconds();
        response = await wrapResponse(core, response, { requestId, path, mountType: mounted.entry.type, ttlSeconds: wrapTtlSeconds, maxTtlSeconds });
      }
    } catch (err) {
      if (auditing) {
        await core.audit
          .logResponse({ ...audit, error: errorText(err) })
          .catch(() => core.logger.error("audit: no device could record an error response"));
      }
      await requestLogged;
      throw err;
    }
    if (auditing) {
      const logged = core.audit.logResponse({
        auth: audit.auth,
        request: audit.request,
        nonHmacRequestKeys: audit.nonHmacRequestKeys,
        nonHmacResponseKeys: audit.nonHmacResponseKeys,
        response: {
          data: response?.data ?? undefined,
          secret: response?.secret ? { leaseId: response.secret.leaseId } : undefined,
          warnings: response?.warnings,
          auth: response?.auth ? auditAuthOfBlock(response.auth) : undefined,
          wrapInfo: response?.wrapInfo,
        },
      }).catch((err: unknown) => {
        core.logger.error("audit: no device could record the response", { error: errorText(err) });
        throw new MayflyError(500, ["internal error"]);
      });
      // An unrecorded request is refused whatever became of its response's line.
      if (requestLogged !== undefined) settledLater(logged);
      await requestLogged;
      await logged;
    }
    return { requestId, response, mountType: mounted.entry.type };
  } finally {
    if (lastUse && entry) await core.tokens.revokeTree(entry.hash).catch(() => undefined);
  }
}

/** The promise, with its rejection marked handled until someone awaits it. */
function settledLater(p: Promise<void>): Promise<void> {
  p.catch(() => undefined);
  return p;
}

async function auditRefusal(core: Core, audit: AuditRequestInput, error: string): Promise<void> {
  if (!core.audit.enabled) return;
  // A refusal is served even when no device can record it: it reveals nothing.
  await core.audit.logRequest({ ...audit, error }).catch(() => undefined);
  await core.audit.logResponse({ ...audit, error }).catch(() => undefined);
}

export function buildRequest(
  core: Core,
  inb: InboundRequest,
  requestId: string,
  operation: Operation,
  mounted: Mounted,
  relativePath: string,
  caller: Caller,
): Request {
  return {
    id: requestId,
    operation,
    path: inb.path,
    relativePath,
    mount: mounted.info,
    data: inb.data,
    storage: mounted.storage,
    caller,
    connection: inb.connection,
    headers: inb.headers,
    leases: {
      issue: (spec, create) =>
        core.expiration.issue(
          {
            path: inb.path,
            mountAccessor: mounted.entry.accessor,
            tokenHash: caller.tokenHash,
            defaultTtlSeconds: mounted.info.defaultLeaseTtlSeconds(),
            maxTtlSeconds: mounted.info.maxLeaseTtlSeconds(),
          },
          spec,
          create,
        ),
    },
    nowMs: core.nowMs(),
  };
}

export function callerOf(token: string, e: TokenEntry, identity?: ResolvedIdentity): Caller {
  return {
    clientToken: token,
    accessor: e.accessor,
    policies: tokenAndIdentityPolicies(e.policies, identity),
    displayName: e.displayName,
    entityId: e.entityId,
    tokenType: e.type,
    tokenHash: e.hash,
    metadata: e.meta ?? {},
  };
}

function auditAuthOf(token: string, e: TokenEntry, nowMs: number, identity: ResolvedIdentity | undefined): AuditAuthInput {
  return {
    clientToken: token,
    accessor: e.accessor,
    displayName: e.displayName,
    policies: tokenAndIdentityPolicies(e.policies, identity),
    tokenPolicies: e.policies,
    identityPolicies: identity && identity.policies.length > 0 ? identity.policies : undefined,
    metadata: e.meta ?? undefined,
    entityId: e.entityId,
    tokenType: e.type,
    tokenTtlSeconds: ttlLeftSeconds(e, nowMs),
    tokenIssueTimeMs: e.creationTimeMs,
    remainingUses: e.numUses > 0 ? e.numUses : undefined,
    policyResults: undefined,
  };
}

/** The caller's auth block with the ACL verdict, as a new object of the same shape. */
function withPolicyResults(a: AuditAuthInput, allowed: boolean): AuditAuthInput {
  return {
    clientToken: a.clientToken,
    accessor: a.accessor,
    displayName: a.displayName,
    policies: a.policies,
    tokenPolicies: a.tokenPolicies,
    identityPolicies: a.identityPolicies,
    metadata: a.metadata,
    entityId: a.entityId,
    tokenType: a.tokenType,
    tokenTtlSeconds: a.tokenTtlSeconds,
    tokenIssueTimeMs: a.tokenIssueTimeMs,
    remainingUses: a.remainingUses,
    policyResults: { allowed },
  };
}

function auditAuthOfBlock(auth: Record<string, unknown>): AuditAuthInput {
  const str = (k: string) => (typeof auth[k] === "string" ? (auth[k] as string) : undefined);
  const out: AuditAuthInput = {};
  const token = str("client_token");
  const accessor = str("accessor");
  if (token !== undefined) out.clientToken = token;
  if (accessor !== undefined) out.accessor = accessor;
  if (Array.isArray(auth.policies)) out.policies = auth.policies as string[];
  if (Array.isArray(auth.token_policies)) out.tokenPolicies = auth.token_policies as string[];
  if (Array.isArray(auth.identity_policies)) out.identityPolicies = auth.identity_policies as string[];
  const entityId = str("entity_id");
  if (entityId) out.entityId = entityId;
  if (typeof auth.lease_duration === "number") out.tokenTtlSeconds = auth.lease_duration;
  const tt = str("token_type");
  if (tt !== undefined) out.tokenType = tt;
  return out;
}

function errorText(err: unknown): string {
  if (isMayflyError(err)) return err.errors.join("; ") || `status ${err.status}`;
  return err instanceof Error ? err.message : String(err);
}

export { authBlock };
