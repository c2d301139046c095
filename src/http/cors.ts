/**
 * Vault's CORS handling, in front of everything else: with CORS enabled (sys/config/cors),
 * a request whose Origin is not allowed gets 403, an allowed one gets its origin echoed
 * back, and a preflight (OPTIONS) is answered here with the allowed methods and headers.
 * Requests without an Origin (the CLI, server-side clients) pass untouched.
 */
import type { IncomingHttpHeaders } from "node:http";
import { errorReply, type HttpReply } from "./envelope.js";

/** The settings this layer enforces; the sys backend's CORS store provides them. */
export interface CorsPolicy {
  readonly enabled: boolean;
  readonly allowedOrigins: readonly string[];
  readonly allowedHeaders: readonly string[];
}

/** Vault's list, LIST included, in its order. */
export const CORS_ALLOWED_METHODS: readonly string[] = ["DELETE", "GET", "OPTIONS", "POST", "PUT", "LIST"];

/** How long a browser may cache a preflight answer, in seconds (Vault's value). */
const PREFLIGHT_MAX_AGE_SECONDS = "300";

export type CorsDecision =
  /** Not a cross-origin request, or CORS is off: serve as usual. */
  | { readonly kind: "pass" }
  /** Serve, adding these headers to whatever the answer is. */
  | { readonly kind: "serve"; readonly headers: readonly string[] }
  /** Answer now with this reply and headers; the request goes no further. */
  | { readonly kind: "answer"; readonly reply: HttpReply; readonly headers: readonly string[] };

const PASS: CorsDecision = { kind: "pass" };

export function isAllowedOrigin(policy: CorsPolicy, origin: string): boolean {
  if (!policy.enabled) return true;
  if (policy.allowedOrigins.length === 1 && policy.allowedOrigins[0] === "*") return true;
  return policy.allowedOrigins.includes(origin);
}

/** Decides what CORS makes of a request; headers are a flat name/value list for writeHead. */
export function decideCors(method: string, headers: IncomingHttpHeaders, policy: CorsPolicy): CorsDecision {
  if (!policy.enabled) return PASS;
  const origin = headers.origin;
  if (origin === undefined || origin === "") return PASS;
  if (!isAllowedOrigin(policy, origin)) return { kind: "answer", reply: errorReply(403, ["origin not allowed"]), headers: [] };
  if (method === "OPTIONS") {
    const requested = headers["access-control-request-method"];
    if (typeof requested !== "string" || !CORS_ALLOWED_METHODS.includes(requested)) {
      return { kind: "answer", reply: { status: 405, body: "" }, headers: [] };
    }
    // Vault answers a preflight 200 with an empty body.
    return {
      kind: "answer",
      reply: { status: 200, body: "" },
      headers: [
        "Access-Control-Allow-Origin",
        origin,
        "Vary",
        "Origin",
        "Access-Control-Allow-Methods",
        CORS_ALLOWED_METHODS.join(","),
        "Access-Control-Allow-Headers",
        policy.allowedHeaders.join(","),
        "Access-Control-Max-Age",
        PREFLIGHT_MAX_AGE_SECONDS,
      ],
    };
  }
  return { kind: "serve", headers: ["Access-Control-Allow-Origin", origin, "Vary", "Origin"] };
}
