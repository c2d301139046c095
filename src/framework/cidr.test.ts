import { describe, expect, it } from "vitest";
import { addressInCidrs } from "./cidr.js";

describe("addressInCidrs", () => {
  it("matches subnets and single addresses, both families", () => {
    expect(addressInCidrs("10.1.2.3", ["10.0.0.0/8"])).toBe(true);
    expect(addressInCidrs("11.1.2.3", ["10.0.0.0/8"])).toBe(false);
    expect(addressInCidrs("127.0.0.1", ["127.0.0.1"])).toBe(true);
    expect(addressInCidrs("::ffff:127.0.0.1", ["127.0.0.0/24"])).toBe(true);
    expect(addressInCidrs("2001:db8::1", ["2001:db8::/32"])).toBe(true);
    expect(addressInCidrs("2001:db9::1", ["2001:db8::/32"])).toBe(false);
  });
  it("allows everything when unbound and nothing for a garbage address", () => {
    expect(addressInCidrs("1.2.3.4", [])).toBe(true);
    expect(addressInCidrs("not-an-ip", ["0.0.0.0/0"])).toBe(false);
  });
});
