import { BlockList, isIP } from "node:net";

/** Whether `address` falls in any of the CIDR blocks or addresses (token and secret-id bindings). */
export function addressInCidrs(address: string, cidrs: readonly string[]): boolean {
  if (cidrs.length === 0) return true;
  // Node reports IPv4 clients of a dual-stack socket as IPv4-mapped IPv6.
  const addr = address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  const family = isIP(addr);
  if (family === 0) return false;
  const list = new BlockList();
  for (const c of cidrs) {
    const [ip = "", bits] = c.split("/");
    const f = isIP(ip);
    if (f === 0) continue;
    const type = f === 4 ? "ipv4" : "ipv6";
    if (bits === undefined) list.addAddress(ip, type);
    else list.addSubnet(ip, Number(bits), type);
  }
  return list.check(addr, family === 4 ? "ipv4" : "ipv6");
}
