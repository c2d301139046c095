/**
 * Hands an audit line to every enabled device. Fail-closed, as Vault's broker: the entry
 * counts as recorded once one device wrote it; when none did, AuditLogFailedError, and the
 * pipeline refuses the request. A device's failures and recoveries are logged once each,
 * not per line.
 */
import { MayflyError } from "../../framework/errors.js";
import type { AuditSink } from "./devices/file.js";
import type { AuditLogger } from "./types.js";

/** Thrown when devices are enabled and none of them could record an entry. */
export class AuditLogFailedError extends MayflyError {
  constructor(readonly entryType: "request" | "response") {
    super(500, ["audit log failure"]);
    this.name = "AuditLogFailedError";
  }
}

export interface DeliveryTarget {
  readonly entry: { readonly path: string };
  readonly sink: AuditSink;
  /** Whether the last write failed. */
  failing: boolean;
}

type EntryType = "request" | "response";

/**
 * Renders the line for each device and resolves once at least one has written it (a
 * disable meanwhile flushes what a sink accepted before closing it).
 */
export function deliver<D extends DeliveryTarget>(
  devices: readonly D[],
  entryType: EntryType,
  render: (d: D) => string,
  logger: AuditLogger | undefined,
): Promise<void> {
  // One device, the usual case: its outcome is the answer, without a promise per device.
  if (devices.length === 1) {
    const d = devices[0] as D;
    const written = writeTo(d, render);
    if (written === undefined) {
      wrote(d, logger);
      return Promise.resolve();
    }
    return written.then(
      () => wrote(d, logger),
      (e: unknown) => {
        failedToWrite(d, entryType, e, logger);
        throw noDeviceSucceeded(entryType, logger);
      },
    );
  }
  return deliverToAll(devices, entryType, render, logger);
}

async function deliverToAll<D extends DeliveryTarget>(
  devices: readonly D[],
  entryType: EntryType,
  render: (d: D) => string,
  logger: AuditLogger | undefined,
): Promise<void> {
  const outcomes = devices.map((d) => writeTo(d, render));
  let succeeded = 0;
  for (let i = 0; i < devices.length; i++) {
    const d = devices[i] as D;
    try {
      await outcomes[i];
      succeeded++;
      wrote(d, logger);
    } catch (e) {
      failedToWrite(d, entryType, e, logger);
    }
  }
  if (succeeded > 0) return;
  throw noDeviceSucceeded(entryType, logger);
}

/** The sink's promise of the write, undefined when it wrote at once; a throw becomes a rejection. */
function writeTo<D extends DeliveryTarget>(d: D, render: (d: D) => string): Promise<void> | undefined {
  try {
    return d.sink.writeLine(render(d)) ?? undefined;
  } catch (e) {
    return Promise.reject(e);
  }
}

function wrote(d: DeliveryTarget, logger: AuditLogger | undefined): void {
  if (!d.failing) return;
  d.failing = false;
  logger?.warn({ path: d.entry.path, target: d.sink.target }, "audit device recovered");
}

function failedToWrite(d: DeliveryTarget, entryType: EntryType, e: unknown, logger: AuditLogger | undefined): void {
  if (d.failing) return;
  d.failing = true;
  logger?.error({ path: d.entry.path, target: d.sink.target, error: describeError(e) }, `audit device failed to log ${entryType}`);
}

function noDeviceSucceeded(entryType: EntryType, logger: AuditLogger | undefined): AuditLogFailedError {
  logger?.error({ entry_type: entryType }, "no audit device succeeded in logging the entry");
  return new AuditLogFailedError(entryType);
}

export function describeError(e: unknown): string {
  if (e instanceof MayflyError) return e.errors.join("; ");
  if (e instanceof Error) return e.message;
  return String(e);
}
