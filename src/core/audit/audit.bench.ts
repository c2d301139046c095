/**
 * Throughput of the file audit device: the whole path a KV read pays (format, HMAC, one
 * write(2) per line) beside a bare write(2) of a line of the same size.
 * Run: npx vitest bench --run src/core/audit/audit.bench.ts
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, bench, describe } from "vitest";
import { InmemStorage } from "../../storage/inmem.js";
import { AuditManager } from "./manager.js";
import type { AuditResponseInput } from "./types.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mayfly-audit-bench-"));
const manager = new AuditManager({ storage: new InmemStorage() });
await manager.load();
await manager.enable("file", { type: "file", options: { file_path: path.join(dir, "audit.log") } });

// A KV v2 read as the pipeline would describe it.
const input: AuditResponseInput = {
  auth: {
    clientToken: "hvs.CAESIJ0000000000000000000000000000000000000000",
    accessor: "6Wv0000000000000000000000",
    displayName: "token",
    policies: ["default", "kv-read"],
    tokenPolicies: ["default", "kv-read"],
    tokenType: "service",
    tokenTtlSeconds: 2764800,
    tokenIssueTimeMs: Date.now(),
    policyResults: { allowed: true, grantingPolicies: [{ name: "kv-read", type: "acl" }] },
  },
  request: {
    id: "5a1e3b2c-0d4f-4a6b-8c9d-0e1f2a3b4c5d",
    operation: "read",
    mountPoint: "secret/",
    mountType: "kv",
    mountAccessor: "kv_1a2b3c4d",
    clientToken: "hvs.CAESIJ0000000000000000000000000000000000000000",
    clientTokenAccessor: "6Wv0000000000000000000000",
    path: "secret/data/bench",
    remoteAddress: "127.0.0.1",
    remotePort: 50000,
  },
  response: {
    data: {
      data: { username: "app", password: "correct horse battery staple" },
      metadata: { created_time: "2024-05-01T10:00:00.000Z", custom_metadata: null, deletion_time: "", destroyed: false, version: 1 },
    },
  },
};

// The entries below serialise to ~1,000 (request) and ~1,500 (response) bytes.
const requestSized = "x".repeat(999) + "\n";
const responseSized = "x".repeat(1499) + "\n";
const bareFd = fs.openSync(path.join(dir, "bare.log"), "a", 0o600);

afterAll(async () => {
  await manager.close();
  fs.closeSync(bareFd);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("file audit device", () => {
  bench("request + response entries (2 lines)", async () => {
    await manager.logRequest(input);
    await manager.logResponse(input);
  });
  bench("baseline: bare writeSync of two lines of the same sizes", () => {
    fs.writeSync(bareFd, requestSized);
    fs.writeSync(bareFd, responseSized);
  });
});
