/**
 * Drives the userpass backend as the core does (match, create/update by existence check,
 * invoke) over in-memory storage, with a clock and a client address tests set by hand.
 * Cheap scrypt parameters keep the unit tests fast; the HTTP tests use the real cost.
 */
import { BackendRunner } from "../../framework/dispatch.js";
import { isMayflyError, type MayflyError } from "../../framework/errors.js";
import type { Backend, MountInfo, Operation, Request, Response } from "../../framework/types.js";
import { InmemStorage } from "../../storage/inmem.js";
import { userpassBackendFactory } from "./index.js";

export const FAST_SCRYPT = { n: 1024, r: 8, p: 1 } as const;

export type Outcome = { ok: true; response: Response | undefined } | { ok: false; error: MayflyError };

export class UserpassHarness {
  nowMs = Date.UTC(2024, 0, 1, 12, 0, 0);
  remoteAddress = "127.0.0.1";
  defaultLeaseTtlSeconds = 3600;
  maxLeaseTtlSeconds = 86400;

  private constructor(
    readonly backend: Backend,
    readonly runner: BackendRunner,
    readonly mount: MountInfo,
    readonly storage: InmemStorage,
  ) {}

  static async start(): Promise<UserpassHarness> {
    let self: UserpassHarness | undefined;
    const mount: MountInfo = {
      path: "auth/userpass/",
      type: "userpass",
      accessor: "auth_userpass_0f1e2d3c",
      uuid: "6b3c1f9e-2d4a-4c8b-9e7f-1a2b3c4d5e6f",
      kind: "auth",
      options: {},
      defaultLeaseTtlSeconds: () => self?.defaultLeaseTtlSeconds ?? 0,
      maxLeaseTtlSeconds: () => self?.maxLeaseTtlSeconds ?? 0,
      userLockoutConfig: () => undefined,
    };
    const storage = new InmemStorage();
    const backend = await userpassBackendFactory({ scrypt: FAST_SCRYPT })({
      storage,
      mount,
      system: {
        nowMs: () => self?.nowMs ?? 0,
        generatePassword: () => Promise.reject(new Error("not used")),
        operationTimeoutMs: 90_000,
        logger: { debug() {}, info() {}, warn() {}, error() {} },
      },
    });
    self = new UserpassHarness(backend, new BackendRunner(backend), mount, storage);
    return self;
  }

  request(operation: Operation, relativePath: string, data: Record<string, unknown> = {}): Request {
    return {
      id: "00000000-0000-0000-0000-000000000000",
      operation,
      path: this.mount.path + relativePath,
      relativePath,
      mount: this.mount,
      data: { ...data },
      storage: this.storage,
      caller: { clientToken: "", accessor: "", policies: [], displayName: "", entityId: "", tokenType: "", tokenHash: "", metadata: {} },
      connection: { remoteAddress: this.remoteAddress, remotePort: 50000 },
      headers: {},
      leases: { issue: () => Promise.reject(new Error("userpass issues no leases")) },
      nowMs: this.nowMs,
    };
  }

  /** `write` stands for POST/PUT: the existence check decides create or update. */
  async call(op: Operation | "write", relativePath: string, data: Record<string, unknown> = {}): Promise<Outcome> {
    try {
      const match = this.runner.matchOrThrow(relativePath);
      let operation: Operation = op === "write" ? "update" : op;
      if (op === "write") operation = await this.runner.resolveWriteOperation(match, this.request("update", relativePath, data));
      return { ok: true, response: await this.runner.invoke(match, this.request(operation, relativePath, data)) };
    } catch (e) {
      if (isMayflyError(e)) return { ok: false, error: e };
      throw e;
    }
  }

  async ok(op: Operation | "write", relativePath: string, data?: Record<string, unknown>): Promise<Response | undefined> {
    const out = await this.call(op, relativePath, data);
    if (!out.ok) throw new Error(`expected success for ${op} ${relativePath}, got ${out.error.status} ${JSON.stringify(out.error.errors)}`);
    return out.response;
  }

  async fail(op: Operation | "write", relativePath: string, data?: Record<string, unknown>): Promise<MayflyError> {
    const out = await this.call(op, relativePath, data);
    if (out.ok) throw new Error(`expected failure for ${op} ${relativePath}, got ${JSON.stringify(out.response)}`);
    return out.error;
  }

  renew(internal: Record<string, unknown>): Promise<void> {
    const renew = this.backend.renewAuth;
    if (!renew) throw new Error("userpass must declare renewAuth");
    return renew(this.request("update", "login/x"), internal);
  }
}
