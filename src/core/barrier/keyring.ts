/**
 * The barrier's data keys, one per term. Serialised as fixed binary records rather than
 * JSON so that key bytes never become JavaScript strings, which cannot be wiped.
 *
 *   format (1) | active term (u32) | count (u32) |
 *   count × [ term (u32) | install time ms (f64) | encryptions (f64) | key (32) ]
 */
import crypto from "node:crypto";
import { KEY_BYTES } from "./aead.js";

const FORMAT = 1;
const HEAD_BYTES = 1 + 4 + 4;
const RECORD_BYTES = 4 + 8 + 8 + KEY_BYTES;

export interface BarrierKey {
  readonly term: number;
  readonly key: Buffer;
  readonly installTimeMs: number;
  /** Encryptions under this key; AES-GCM with random nonces must stay well below 2^32. */
  encryptions: number;
}

export class Keyring {
  private constructor(
    private readonly keys: Map<number, BarrierKey>,
    private activeTerm: number,
  ) {}

  static create(installTimeMs: number): Keyring {
    const first = newKey(1, installTimeMs);
    return new Keyring(new Map([[1, first]]), 1);
  }

  active(): BarrierKey {
    return this.keys.get(this.activeTerm) as BarrierKey;
  }

  byTerm(term: number): BarrierKey | undefined {
    return this.keys.get(term);
  }

  /** A key for the next term, not yet part of the ring (see `install`). */
  nextKey(installTimeMs: number): BarrierKey {
    return newKey(Math.max(...this.keys.keys()) + 1, installTimeMs);
  }

  install(key: BarrierKey): void {
    this.keys.set(key.term, key);
    this.activeTerm = key.term;
  }

  /** Serialises the ring, optionally with `pending` installed as the active key. */
  serialize(pending?: BarrierKey): Buffer {
    const all = [...this.keys.values()];
    if (pending !== undefined) all.push(pending);
    const out = Buffer.alloc(HEAD_BYTES + all.length * RECORD_BYTES);
    out[0] = FORMAT;
    out.writeUInt32BE(pending?.term ?? this.activeTerm, 1);
    out.writeUInt32BE(all.length, 5);
    all.forEach((k, i) => {
      const at = HEAD_BYTES + i * RECORD_BYTES;
      out.writeUInt32BE(k.term, at);
      out.writeDoubleBE(k.installTimeMs, at + 4);
      out.writeDoubleBE(k.encryptions, at + 12);
      k.key.copy(out, at + 20);
    });
    return out;
  }

  static deserialize(bytes: Buffer): Keyring {
    if (bytes.length < HEAD_BYTES || bytes[0] !== FORMAT) throw new Error("barrier: unknown keyring format");
    const activeTerm = bytes.readUInt32BE(1);
    const count = bytes.readUInt32BE(5);
    if (bytes.length !== HEAD_BYTES + count * RECORD_BYTES) throw new Error("barrier: keyring is truncated");
    const keys = new Map<number, BarrierKey>();
    for (let i = 0; i < count; i++) {
      const at = HEAD_BYTES + i * RECORD_BYTES;
      const key = Buffer.alloc(KEY_BYTES);
      bytes.copy(key, 0, at + 20, at + 20 + KEY_BYTES);
      const term = bytes.readUInt32BE(at);
      keys.set(term, {
        term,
        installTimeMs: bytes.readDoubleBE(at + 4),
        encryptions: bytes.readDoubleBE(at + 12),
        key,
      });
    }
    if (!keys.has(activeTerm)) throw new Error("barrier: keyring has no active key");
    return new Keyring(keys, activeTerm);
  }

  wipe(): void {
    for (const k of this.keys.values()) k.key.fill(0);
    this.keys.clear();
  }
}

function newKey(term: number, installTimeMs: number): BarrierKey {
  return { term, key: crypto.randomBytes(KEY_BYTES), installTimeMs, encryptions: 0 };
}
