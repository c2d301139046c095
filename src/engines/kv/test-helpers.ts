/**
 * Drives a backend the way the core will: match the path, resolve create/update with the
 * existence check, invoke. Requests are built by hand; storage is in memory; the clock
 * is a number tests move.
 */
import { BackendRunner } from "../../framework/dispatch.js";
import { isMayflyError, type MayflyError } from "../../framework/errors.js";
import type {
  Backend,
  BackendContext,
  BackendFactory,
  Caller,
  MountInfo,
  Operation,
  Request,
  Response,
  SystemView,
} from "../../framework/types.js";
import { InmemStorage } from "../../storage/inmem.js";
import type { Storage } from "../../storage/storage.js";

export function makeMount(type: string, options: Record<string, string> = {}, defaultLeaseTtlSeconds = 2_764_800): MountInfo {
  return {
    path: `${type}/`,
    type,
    accessor: `${type}_1234abcd`,
    uuid: "2f0ad8d4-8f8d-4c36-9a0e-5a6a1c1b2e3f",
    kind: "secret",
    options,
    defaultLeaseTtlSeconds: () => defaultLeaseTtlSeconds,
    maxLeaseTtlSeconds: () => 2_764_800,
    userLockoutConfig: () => undefined,
  };
}

export function makeCaller(tokenHash = "token-hash-a"): Caller {
  return {
    clientToken: `hvs.${tokenHash}`,
    accessor: `accessor-${tokenHash}`,
    policies: ["root"],
    displayName: "token",
    entityId: "",
    tokenType: "service",
    tokenHash,
    metadata: {},
  };
}

export interface RequestInit {
  operation: Operation;
  relativePath: string;
  mount: MountInfo;
  storage: Storage;
  data?: Record<string, unknown>;
  caller?: Caller;
  nowMs?: number;
}

export function makeRequest(init: RequestInit): Request {
  return {
    id: "00000000-0000-0000-0000-000000000000",
    operation: init.operation,
    path: init.mount.path + init.relativePath,
    relativePath: init.relativePath,
    mount: init.mount,
    data: init.data ?? {},
    storage: init.storage,
    caller: init.caller ?? makeCaller(),
    connection: { remoteAddress: "127.0.0.1", remotePort: 50000 },
    headers: {},
    leases: {
      issue: () => Promise.reject(new Error("these backends issue no leases")),
    },
    nowMs: init.nowMs ?? Date.UTC(2024, 0, 1),
  };
}

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** What a call produced: the response, or the error with its status. */
export type Outcome = { ok: true; op: Operation; response: Response | undefined } | { ok: false; op: Operation; error: MayflyError };

export class Harness {
  nowMs = Date.UTC(2024, 0, 1, 12, 0, 0, 250);
  caller: Caller = makeCaller();

  private constructor(
    readonly runner: BackendRunner,
    readonly storage: InmemStorage,
    readonly mount: MountInfo,
  ) {}

  static async start(factory: BackendFactory, mount: MountInfo, storage = new InmemStorage()): Promise<Harness> {
    const system: SystemView = {
      nowMs: () => Date.UTC(2024, 0, 1),
      generatePassword: () => Promise.reject(new Error("not used")),
        operationTimeoutMs: 90_000,
      logger: silentLogger,
    };
    const ctx: BackendContext = { storage, mount, system };
    const backend: Backend = await factory(ctx);
    return new Harness(new BackendRunner(backend), storage, mount);
  }

  /** `write` stands for POST/PUT: the existence check decides create or update. */
  async call(op: Operation | "write", relativePath: string, data: Record<string, unknown> = {}, caller = this.caller): Promise<Outcome> {
    const match = this.runner.matchOrThrow(relativePath);
    const build = (operation: Operation) =>
      makeRequest({ operation, relativePath, mount: this.mount, storage: this.storage, data: { ...data }, caller, nowMs: this.nowMs });
    let operation: Operation = op === "write" ? "update" : op;
    try {
      // Field parsing (a 400) can already fail in the existence check, as in the core.
      if (op === "write") operation = await this.runner.resolveWriteOperation(match, build("update"));
      return { ok: true, op: operation, response: await this.runner.invoke(match, build(operation)) };
    } catch (e) {
      if (isMayflyError(e)) return { ok: false, op: operation, error: e };
      throw e;
    }
  }

  /** The response of a call that must succeed. */
  async ok(op: Operation | "write", relativePath: string, data?: Record<string, unknown>, caller?: Caller): Promise<Response | undefined> {
    const out = await this.call(op, relativePath, data, caller);
    if (!out.ok) throw new Error(`expected success for ${op} ${relativePath}, got ${out.error.status} ${JSON.stringify(out.error.errors)}`);
    return out.response;
  }

  /** The data of a call that must succeed with data. */
  async data(op: Operation | "write", relativePath: string, body?: Record<string, unknown>, caller?: Caller): Promise<Record<string, unknown>> {
    const resp = await this.ok(op, relativePath, body, caller);
    if (!resp?.data) throw new Error(`expected data from ${op} ${relativePath}, got ${JSON.stringify(resp)}`);
    return resp.data;
  }

  /** The error of a call that must fail. */
  async fail(op: Operation | "write", relativePath: string, data?: Record<string, unknown>, caller?: Caller): Promise<MayflyError> {
    const out = await this.call(op, relativePath, data, caller);
    if (out.ok) throw new Error(`expected failure for ${op} ${relativePath}, got ${JSON.stringify(out.response)}`);
    return out.error;
  }
}
