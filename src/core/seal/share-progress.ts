/**
 * Key shares collected towards a threshold, as rekey, rekey verification and generate-root
 * gather them one request at a time. Buffers are copied in and zeroed when let go.
 */
import crypto from "node:crypto";
import { badRequest } from "../../framework/errors.js";
import { MAX_UNSEAL_KEY_BYTES, MIN_UNSEAL_KEY_BYTES } from "./seal.js";
import { combine } from "./shamir.js";

export class ShareProgress {
  private parts: Buffer[] = [];

  get count(): number {
    return this.parts.length;
  }

  /** Adds a share; false when the same share was already given in this attempt. */
  add(key: Buffer): boolean {
    if (this.parts.some((p) => p.length === key.length && crypto.timingSafeEqual(p, key))) return false;
    this.parts.push(Buffer.from(key));
    return true;
  }

  /**
   * Rebuilds the secret from the shares and forgets them, whatever the outcome. With a
   * threshold of one the single share is the secret itself, as Vault stores it.
   */
  combine(threshold: number): Buffer {
    try {
      if (threshold === 1) return Buffer.from(this.parts[0] as Buffer);
      return combine(this.parts);
    } finally {
      this.clear();
    }
  }

  clear(): void {
    for (const p of this.parts) p.fill(0);
    this.parts = [];
  }
}

/** Vault's bounds on a submitted share, checked before anything else looks at it. */
export function checkShareLength(key: Buffer): void {
  if (key.length < MIN_UNSEAL_KEY_BYTES) throw badRequest(`key is shorter than minimum ${MIN_UNSEAL_KEY_BYTES} bytes`);
  if (key.length > MAX_UNSEAL_KEY_BYTES) throw badRequest(`key is longer than maximum ${MAX_UNSEAL_KEY_BYTES} bytes`);
}
