import { createHash, randomBytes } from "node:crypto";
import { badRequest } from "../framework/errors.js";
import { definePath, type PathDef } from "../framework/types.js";

const HASHES: Record<string, string> = {
  "sha2-224": "sha224",
  "sha2-256": "sha256",
  "sha2-384": "sha384",
  "sha2-512": "sha512",
  "sha3-224": "sha3-224",
  "sha3-256": "sha3-256",
  "sha3-384": "sha3-384",
  "sha3-512": "sha3-512",
};

function encode(buf: Buffer, format: string): string {
  if (format === "hex") return buf.toString("hex");
  if (format === "base64" || format === "") return buf.toString("base64");
  throw badRequest(`unsupported encoding format ${format}; must be "hex" or "base64"`);
}

export function toolPaths(): PathDef[] {
  return [
    definePath({
      pattern: ["tools/random", "tools/random/:urlbytes", "tools/random/:source/:urlbytes"],
      fields: {
        urlbytes: { type: "string", description: "The number of bytes, given in the URL; it takes the place of bytes." },
        source: { type: "string", default: "platform", description: 'Where the bytes come from: "platform" (the default) or "all"; "seal" is refused (a Shamir seal has no entropy).' },
        bytes: { type: "int", default: 32, description: "How many random bytes to return, 1 to 131072 (default 32)." },
        format: { type: "string", default: "base64", description: 'Encoding of the answer: "base64" (the default) or "hex".' },
      },
      help: `Return random bytes from Node's cryptographically secure generator.

The answer is random_bytes, encoded as asked. source may be platform (the default) or
all, which are the same here; seal is refused, as a Shamir seal has no entropy source
(Vault answers likewise for such seals). The URL may carry the source, the byte count,
or both (tools/random/platform/64).`,
      operations: {
        update: async (_req, f) => {
          let source = f.values.source.trim().toLowerCase() || "platform";
          let urlBytes = f.values.urlbytes;
          // tools/random/<source>: one segment that is not a number names the source.
          if (urlBytes && !/^\d+$/.test(urlBytes) && !f.getOk("source")) {
            source = urlBytes.toLowerCase();
            urlBytes = "";
          }
          if (source === "seal") throw badRequest("the seal does not provide entropy: a Shamir seal has no entropy source");
          if (source !== "platform" && source !== "all") throw badRequest(`unsupported entropy source ${JSON.stringify(source)}`);
          const n = urlBytes ? Number(urlBytes) : f.values.bytes;
          if (!Number.isInteger(n) || n < 1 || n > 128 * 1024) throw badRequest("the number of bytes must be between 1 and 131072");
          return { data: { random_bytes: encode(randomBytes(n), f.values.format) } };
        },
      },
    }),
    definePath({
      pattern: ["tools/hash", "tools/hash/:urlalgorithm"],
      fields: {
        urlalgorithm: { type: "string", description: "The algorithm, given in the URL; it takes the place of algorithm." },
        algorithm: {
          type: "string",
          default: "sha2-256",
          description: "sha2-224, sha2-256 (the default), sha2-384, sha2-512, sha3-224, sha3-256, sha3-384 or sha3-512.",
        },
        input: { type: "string", required: true, description: "The data to hash, base64-encoded." },
        format: { type: "string", default: "hex", description: 'Encoding of the answer: "hex" (the default) or "base64".' },
      },
      help: `Hash data with a SHA-2 or SHA-3 algorithm.

The answer is sum, the digest of the base64-decoded input, encoded as asked. An unknown
algorithm or format answers 400.`,
      operations: {
        update: async (_req, f) => {
          const name = f.values.urlalgorithm || f.values.algorithm;
          const algo = HASHES[name];
          if (!algo) throw badRequest(`unsupported algorithm ${name}`);
          const input = Buffer.from(f.values.input, "base64");
          return { data: { sum: encode(createHash(algo).update(input).digest(), f.values.format) } };
        },
      },
    }),
  ];
}
