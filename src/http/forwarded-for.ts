/**
 * Vault's x_forwarded_for_* listener settings: behind a load balancer the connecting
 * address is the balancer's, so the client's own comes from X-Forwarded-For, believed only
 * from the listener's authorized addresses. Everything that acts on the client's address
 * (audit entries, CIDR-bound tokens, rate limit quotas) gets it from here.
 */
import type { IncomingMessage } from "node:http";
import { addressInCidrs } from "../framework/cidr.js";
import { badRequest } from "../framework/errors.js";

/**
 * Behind a load balancer the connecting address is the balancer's: X-Forwarded-For is
 * believed only from `authorizedAddrs`, counting `hopSkips` trusted proxies from the end.
 */
export interface ForwardedForConfig {
  readonly authorizedAddrs: readonly string[];
  readonly hopSkips: number;
  /** Refuse a request that sends the header from an address not authorized (Vault default true). */
  readonly rejectNotAuthorized: boolean;
  /** Refuse a request from an authorized address that lacks the header (Vault default true). */
  readonly rejectNotPresent: boolean;
}

export interface ClientAddress {
  remoteAddress: string;
  remotePort: number;
}

/**
 * The client's address: the connecting peer's, or behind a load balancer the one
 * X-Forwarded-For names, believed only from the listener's authorized addresses and
 * counted `hopSkips` entries from the end (Vault's x_forwarded_for_* rules and messages).
 */
export function clientOf(req: Pick<IncomingMessage, "headers"> & { socket: { remoteAddress?: string | undefined; remotePort?: number | undefined } }, ff: ForwardedForConfig | undefined): ClientAddress {
  const peer = { remoteAddress: req.socket.remoteAddress ?? "", remotePort: req.socket.remotePort ?? 0 };
  if (!ff) return peer;
  const header = req.headers["x-forwarded-for"];
  const present = header !== undefined && header !== "";
  if (!addressInCidrs(peer.remoteAddress, ff.authorizedAddrs) || ff.authorizedAddrs.length === 0) {
    if (present && ff.rejectNotAuthorized) {
      throw badRequest("client address not authorized for X-Forwarded-For and configured to reject connections");
    }
    return peer;
  }
  if (!present) {
    if (ff.rejectNotPresent) throw badRequest("missing x-forwarded-for header and configured to reject when not present");
    return peer;
  }
  const chain = (Array.isArray(header) ? header.join(",") : header).split(",").map((s) => s.trim()).filter((s) => s !== "");
  const index = chain.length - 1 - ff.hopSkips;
  if (index < 0) {
    throw badRequest(
      `malformed x-forwarded-for configuration or request, hops to skip (${ff.hopSkips}) would skip before earliest chain link (chain length ${chain.length})`,
    );
  }
  return { remoteAddress: chain[index] as string, remotePort: peer.remotePort };
}

