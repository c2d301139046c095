// Helpers shared by the barrier's test files.
import crypto from "node:crypto";
import { expect } from "vitest";
import { isMayflyError } from "../../framework/errors.js";
import { InmemStorage } from "../../storage/inmem.js";
import type { Storage } from "../../storage/storage.js";
import { Barrier } from "./barrier.js";

export const b = (s: string) => Buffer.from(s, "utf8");

export async function unsealedBarrier(raw: Storage = new InmemStorage(), nowMs?: () => number) {
  const barrier = new Barrier(raw, { nowMs });
  const rootKey = crypto.randomBytes(32);
  await barrier.initialize(rootKey);
  await barrier.unseal(rootKey);
  return { barrier, raw, rootKey };
}

export async function expectStatus(p: Promise<unknown>, status: number, message?: string | RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isMayflyError(err), `expected a MayflyError, got ${String(err)}`).toBe(true);
  if (!isMayflyError(err)) return;
  expect(err.status).toBe(status);
  if (message !== undefined) expect(err.message).toMatch(message);
}
