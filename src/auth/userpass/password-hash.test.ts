import { describe, expect, it } from "vitest";
import { dummyPasswordHash, hashPassword, verifyPassword } from "./password-hash.js";
import { FAST_SCRYPT } from "./test-harness.js";

describe("password hashing", () => {
  it("verifies the right password and refuses others", async () => {
    const stored = await hashPassword("correct horse", FAST_SCRYPT);
    expect(await verifyPassword("correct horse", stored)).toBe(true);
    expect(await verifyPassword("correct horsf", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });

  it("salts every hash, so equal passwords store differently", async () => {
    const a = await hashPassword("same", FAST_SCRYPT);
    const b = await hashPassword("same", FAST_SCRYPT);
    expect(a.salt).not.toBe(b.salt);
    expect(a.hash).not.toBe(b.hash);
    expect(Buffer.from(a.salt, "base64")).toHaveLength(16);
  });

  it("never holds the password itself", async () => {
    const stored = await hashPassword("pa55-w0rd-xyz", FAST_SCRYPT);
    const text = JSON.stringify(stored);
    expect(text).not.toContain("pa55-w0rd-xyz");
    expect(text).not.toContain(Buffer.from("pa55-w0rd-xyz").toString("base64"));
  });

  it("verifies with the parameters stored beside the hash, not the current default", async () => {
    const stored = await hashPassword("pw", { n: 2048, r: 4, p: 2 });
    expect(stored).toMatchObject({ algorithm: "scrypt", n: 2048, r: 4, p: 2 });
    expect(await verifyPassword("pw", stored)).toBe(true);
  });

  it("the default cost is at least Node's recommended 2^14", async () => {
    const stored = await hashPassword("pw");
    expect(stored.n).toBeGreaterThanOrEqual(2 ** 14);
    expect(await verifyPassword("pw", stored)).toBe(true);
  });

  it("a dummy hash matches no password", async () => {
    const dummy = dummyPasswordHash(FAST_SCRYPT);
    expect(await verifyPassword("", dummy)).toBe(false);
    expect(await verifyPassword("dummy", dummy)).toBe(false);
  });
});
