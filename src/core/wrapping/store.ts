/**
 * Wrapping tokens and what they hold. A wrapped response lives in the cubbyhole of an
 * orphan, single-use token whose only policy is `response-wrapping`: key "response" holds
 * the JSON text of the envelope the client would have received (so a read of
 * `cubbyhole/response` works as in Vault), key "wrapinfo" what sys/wrapping/lookup tells.
 * Revoking the token, or its expiry, wipes both with the rest of its cubbyhole.
 */
import { badRequest, internalError, permissionDenied } from "../../framework/errors.js";
import type { ResponseWrapInfo } from "../../framework/types.js";
import { getJson, jsonPut, type Storage } from "../../storage/storage.js";
import type { Core } from "../core.js";
import { RESPONSE_WRAPPING_POLICY_NAME } from "../policy/index.js";
import { issueToken } from "../token-issuer.js";
import type { TokenEntry } from "../tokens/token-entry.js";
import { rfc3339Nano } from "./format.js";

const RESPONSE_KEY = "response";
const INFO_KEY = "wrapinfo";

export interface WrapSpec {
  /** JSON text of the envelope the client would have received. */
  readonly response: string;
  readonly ttlSeconds: number;
  /** Reported by lookup and in wrap_info: the path whose response this is. */
  readonly creationPath: string;
  /** The path of the request that makes the token (differs from creationPath on a rewrap). */
  readonly requestPath: string;
  readonly wrappedAccessor: string;
}

/** What sys/wrapping/lookup answers, as stored. */
export interface StoredWrapInfo {
  creation_ttl: number;
  creation_time: string;
  creation_path: string;
}

export interface Wrapped {
  readonly response: string;
  readonly info: StoredWrapInfo;
}

export const invalidWrappingToken = () => badRequest("wrapping token is not valid or does not exist");

/** Vault's test: a live token whose one and only policy is `response-wrapping`. */
export function isWrappingToken(e: TokenEntry | undefined): e is TokenEntry {
  return e !== undefined && e.policies.length === 1 && e.policies[0] === RESPONSE_WRAPPING_POLICY_NAME;
}

function cubbyhole(core: Core): Storage {
  const mounted = core.mounts.get("secret", "cubbyhole/");
  if (!mounted) throw internalError("the cubbyhole is not mounted");
  return mounted.storage;
}

/** Mints a wrapping token and stores the response in its cubbyhole. */
export async function createWrappingToken(core: Core, spec: WrapSpec): Promise<ResponseWrapInfo> {
  const tokenMount = core.mounts.get("auth", "token/");
  if (!tokenMount) throw internalError("the token store is not mounted");
  const nowMs = core.nowMs();
  const issued = await issueToken(
    core.tokens,
    {
      policies: [RESPONSE_WRAPPING_POLICY_NAME],
      noDefaultPolicy: true,
      meta: null,
      displayName: "",
      ttlSeconds: spec.ttlSeconds,
      explicitMaxTtlSeconds: spec.ttlSeconds,
      periodSeconds: 0,
      numUses: 1,
      renewable: false,
      type: "service",
      parent: undefined,
      path: spec.requestPath,
      authMount: tokenMount.info,
      entityId: "",
      internal: {},
      role: "",
      boundCidrs: [],
    },
    nowMs,
  );
  const hash = issued.entry.hash;
  const ttlSeconds = issued.entry.creationTtlSeconds;
  const info: StoredWrapInfo = { creation_ttl: ttlSeconds, creation_time: rfc3339Nano(nowMs), creation_path: spec.creationPath };
  try {
    await cubbyhole(core).transaction([
      jsonPut(`${hash}/${RESPONSE_KEY}`, { response: spec.response }),
      jsonPut(`${hash}/${INFO_KEY}`, info),
    ]);
  } catch (err) {
    // The token would otherwise wait out its TTL holding nothing.
    await core.tokens.revokeTree(hash).catch(() => undefined);
    throw err;
  }
  return {
    token: issued.token,
    accessor: issued.entry.accessor,
    ttlSeconds,
    creationTimeMs: nowMs,
    creationPath: spec.creationPath,
    wrappedAccessor: spec.wrappedAccessor,
  };
}

/** The lookup record of a wrapping token's cubbyhole; undefined once unwrapped. */
export function readWrapInfo(core: Core, tokenHash: string): Promise<StoredWrapInfo | undefined> {
  return getJson<StoredWrapInfo>(cubbyhole(core), `${tokenHash}/${INFO_KEY}`);
}

/** Hashes of wrapping tokens being consumed right now in this process. */
const claimed = new Set<string>();

/**
 * Takes the wrapped response out of a token's cubbyhole exactly once: `use` runs on it,
 * then the entries are deleted (and the token revoked when `revokeToken`; a token that
 * called for itself is revoked by the pipeline as its last use). A second caller, even
 * a concurrent one, finds nothing and is told the token is not valid. If `use` fails the
 * entries stay, so nothing is lost.
 */
export async function consumeWrapped<T>(
  core: Core,
  tokenHash: string,
  opts: { revokeToken: boolean },
  use: (wrapped: Wrapped) => Promise<T>,
): Promise<T> {
  if (tokenHash === "" || claimed.has(tokenHash)) throw invalidWrappingToken();
  claimed.add(tokenHash);
  let result: T;
  try {
    const storage = cubbyhole(core);
    const stored = await getJson<{ response?: unknown }>(storage, `${tokenHash}/${RESPONSE_KEY}`);
    const info = await getJson<StoredWrapInfo>(storage, `${tokenHash}/${INFO_KEY}`);
    if (typeof stored?.response !== "string" || info === undefined) throw invalidWrappingToken();
    result = await use({ response: stored.response, info });
    await storage.transaction([
      { op: "delete", key: `${tokenHash}/${RESPONSE_KEY}` },
      { op: "delete", key: `${tokenHash}/${INFO_KEY}` },
    ]);
  } finally {
    claimed.delete(tokenHash);
  }
  if (opts.revokeToken) await core.tokens.revokeTree(tokenHash);
  return result;
}

/**
 * Vault validates the wrapping token of sys/wrapping/{lookup,rewrap,unwrap} before the
 * ACL: the one in the body's `token`, else the request's own.
 */
export const WRAPPING_TOKEN_PATHS: ReadonlySet<string> = new Set(["sys/wrapping/lookup", "sys/wrapping/rewrap", "sys/wrapping/unwrap"]);

export async function checkWrappingToken(core: Core, data: Readonly<Record<string, unknown>>, clientToken: string): Promise<void> {
  const fromBody = data["token"];
  let token = clientToken;
  if (fromBody !== undefined && fromBody !== null) {
    if (typeof fromBody !== "string") throw permissionDenied("error validating wrapping token: could not decode token in request body");
    if (fromBody === "") throw permissionDenied("error validating wrapping token: empty token in request body");
    token = fromBody;
  }
  if (token === "") throw permissionDenied("error validating wrapping token: token is empty");
  if (!isWrappingToken(await core.tokens.lookup(token, core.nowMs()))) throw invalidWrappingToken();
}
