/**
 * sys/wrapping/*: wrap a value, look up, unwrap and rewrap a wrapping token. The pipeline
 * has already checked that the token named (in `token`, else the caller's own) is a live
 * wrapping token, and wraps whatever `wrap` answers.
 */
import type { Core } from "../core/core.js";
import {
  consumeWrapped,
  createWrappingToken,
  invalidWrappingToken,
  readWrapInfo,
  requestedWrapTtlSeconds,
  type Wrapped,
} from "../core/wrapping/index.js";
import { badRequest } from "../framework/errors.js";
import { definePath, type PathDef, type Request, type Response } from "../framework/types.js";

const tokenField = {
  token: { type: "string", description: "The wrapping token; without it, the token the request is made with." },
} as const;

/** How every path that takes a wrapping token finds and checks it. */
const TOKEN_NOTES = `The wrapping token is the token field, or else the token the request is made with. With
neither, the answer is 403; a token that is unknown, expired, already used or not a
wrapping token answers 400.`;

export function wrappingPaths(core: Core): PathDef[] {
  /** The wrapping token a request is about, and whether it is someone else's (a third party). */
  const target = (req: Request, bodyToken: string): { hash: string; thirdParty: boolean } => {
    if (bodyToken === "") return { hash: req.caller.tokenHash, thirdParty: false };
    const hash = core.tokens.hashToken(bodyToken);
    return { hash, thirdParty: hash !== req.caller.tokenHash };
  };

  const consume = <T>(req: Request, bodyToken: string, use: (w: Wrapped) => Promise<T>): Promise<T> => {
    const { hash, thirdParty } = target(req, bodyToken);
    // A token unwrapping itself was spent by the pipeline, which revokes it after this call.
    return consumeWrapped(core, hash, { revokeToken: thirdParty }, use);
  };

  return [
    definePath({
      pattern: "wrapping/wrap",
      takesArbitraryInput: true,
      help: `Wrap the request body in a single-use wrapping token.

The request must carry X-Vault-Wrap-TTL; the body (any keys) becomes the wrapped data and
the answer is wrap_info: the token, its accessor, ttl, creation_time and creation_path.
The TTL is capped at the maximum lease TTL of the sys/ mount (by default the system's,
768h). Whoever holds the token can read the data once, through sys/wrapping/unwrap.`,
      operations: {
        update: async (req) => {
          if (!requestedWrapTtlSeconds(req.headers)) throw badRequest("endpoint requires response wrapping to be used");
          return { data: { ...req.data } };
        },
      },
    }),
    definePath({
      pattern: "wrapping/unwrap",
      fields: tokenField,
      help: `Return the response a wrapping token holds, and use the token up.

${TOKEN_NOTES}

The answer is the wrapped response exactly as it was stored, its own request id
included. Afterwards the token is revoked, so a second unwrap fails: if it fails for you,
someone else may have read the response.`,
      operations: {
        update: async (req, f) =>
          consume(req, f.values.token, async (w): Promise<Response> => ({
            // The stored envelope goes out byte for byte, its own request id included.
            raw: { contentType: "application/json", body: w.response },
            // Not sent (raw wins); the audit line records what was unwrapped, as Vault's does.
            ...auditView(w.response),
          })),
      },
    }),
    definePath({
      pattern: "wrapping/lookup",
      fields: tokenField,
      help: `Read when and where a wrapping token was made, without using it up.

${TOKEN_NOTES}

The answer holds creation_ttl, creation_time and creation_path. No token of your own is
needed: the wrapping token alone is enough.`,
      operations: {
        update: (req, f) => lookup(req, f.values.token),
        read: (req, f) => lookup(req, f.values.token),
      },
    }),
    definePath({
      pattern: "wrapping/rewrap",
      fields: tokenField,
      help: `Move a wrapped response into a new wrapping token, using the old one up.

${TOKEN_NOTES}

The new token holds the same response and creation path, and the old token's creation
TTL, or the X-Vault-Wrap-TTL of this request when that is shorter. The answer is the new
token's wrap_info. Use it to refresh a wrapping token before it expires.`,
      operations: {
        update: async (req, f) =>
          consume(req, f.values.token, async (w): Promise<Response> => {
            // Same response and creation TTL; a shorter X-Vault-Wrap-TTL wins, as in Vault.
            const asked = requestedWrapTtlSeconds(req.headers);
            const ttlSeconds = asked ? Math.min(asked, w.info.creation_ttl) : w.info.creation_ttl;
            const wrapInfo = await createWrappingToken(core, {
              response: w.response,
              ttlSeconds,
              creationPath: w.info.creation_path,
              requestPath: req.path,
              wrappedAccessor: "",
            });
            return { wrapInfo };
          }),
      },
    }),
  ];

  async function lookup(req: Request, bodyToken: string): Promise<Response> {
    const info = await readWrapInfo(core, target(req, bodyToken).hash);
    if (!info) throw invalidWrappingToken();
    return { data: { creation_ttl: info.creation_ttl, creation_time: info.creation_time, creation_path: info.creation_path } };
  }
}

/** The data, lease and token of a stored envelope, for the audit line of an unwrap. */
function auditView(stored: string): Pick<Response, "data" | "secret" | "auth"> {
  let env: Record<string, unknown>;
  try {
    env = JSON.parse(stored) as Record<string, unknown>;
  } catch {
    return {};
  }
  const out: Pick<Response, "data" | "secret" | "auth"> = {};
  const obj = (v: unknown) => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
  const data = obj(env["data"]);
  const auth = obj(env["auth"]);
  if (data) out.data = data;
  if (auth) out.auth = auth;
  if (typeof env["lease_id"] === "string" && env["lease_id"] !== "") {
    out.secret = { leaseId: env["lease_id"], leaseDurationSeconds: Number(env["lease_duration"]) || 0, renewable: env["renewable"] === true };
  }
  return out;
}
