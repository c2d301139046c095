import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { clientOf, type ForwardedForConfig } from "./forwarded-for.js";

const req = (peer: string, xff?: string): IncomingMessage =>
  ({ socket: { remoteAddress: peer, remotePort: 4711 }, headers: xff === undefined ? {} : { "x-forwarded-for": xff } }) as unknown as IncomingMessage;

const lb: ForwardedForConfig = { authorizedAddrs: ["10.0.0.0/8"], hopSkips: 0, rejectNotAuthorized: true, rejectNotPresent: true };

describe("clientOf (x_forwarded_for_*)", () => {
  it("is the peer without settings, whatever the header says", () => {
    expect(clientOf(req("192.0.2.1", "203.0.113.9"), undefined)).toEqual({ remoteAddress: "192.0.2.1", remotePort: 4711 });
  });

  it("takes the last entry from an authorized proxy, or the one hop_skips before it", () => {
    expect(clientOf(req("10.1.2.3", "203.0.113.9"), lb).remoteAddress).toBe("203.0.113.9");
    expect(clientOf(req("10.1.2.3", "198.51.100.7, 203.0.113.9"), lb).remoteAddress).toBe("203.0.113.9");
    expect(clientOf(req("10.1.2.3", "198.51.100.7, 203.0.113.9"), { ...lb, hopSkips: 1 }).remoteAddress).toBe("198.51.100.7");
    expect(clientOf(req("::ffff:10.1.2.3", "203.0.113.9"), lb).remoteAddress).toBe("203.0.113.9");
  });

  it("refuses as Vault does, unless told not to", () => {
    expect(() => clientOf(req("192.0.2.1", "203.0.113.9"), lb)).toThrow(/client address not authorized for X-Forwarded-For/);
    expect(clientOf(req("192.0.2.1", "203.0.113.9"), { ...lb, rejectNotAuthorized: false }).remoteAddress).toBe("192.0.2.1");
    expect(clientOf(req("192.0.2.1"), lb).remoteAddress).toBe("192.0.2.1");
    expect(() => clientOf(req("10.1.2.3"), lb)).toThrow(/missing x-forwarded-for header/);
    expect(clientOf(req("10.1.2.3"), { ...lb, rejectNotPresent: false }).remoteAddress).toBe("10.1.2.3");
    expect(() => clientOf(req("10.1.2.3", "203.0.113.9"), { ...lb, hopSkips: 1 })).toThrow(/hops to skip \(1\) would skip before earliest chain link \(chain length 1\)/);
  });
});
