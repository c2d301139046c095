import { describe, expect, it } from "vitest";
import { InmemStorage } from "../../storage/inmem.js";
import { ROTATION_ENCRYPTIONS } from "./barrier.js";
import { RotationConfigStore } from "./rotation-config.js";

describe("RotationConfigStore.due", () => {
  const day = 24 * 3600 * 1000;
  it("follows max_operations and the interval, and always rotates past the safe limit", async () => {
    const store = new RotationConfigStore(new InmemStorage());
    await store.load();
    expect(store.due(ROTATION_ENCRYPTIONS - 1, 0, 100 * day)).toBe(false);
    expect(store.due(ROTATION_ENCRYPTIONS, 0, 0)).toBe(true);
    await store.set({ max_operations: 2_000_000, interval_seconds: 2 * 86_400, enabled: true });
    expect(store.due(1_999_999, 0, day)).toBe(false);
    expect(store.due(2_000_000, 0, day)).toBe(true);
    expect(store.due(10, 0, 2 * day)).toBe(true);
    await store.set({ max_operations: 2_000_000, interval_seconds: 2 * 86_400, enabled: false });
    expect(store.due(2_000_000, 0, 3 * day)).toBe(false);
    expect(store.due(ROTATION_ENCRYPTIONS, 0, 0)).toBe(true);
  });

  it("keeps its settings in storage", async () => {
    const storage = new InmemStorage();
    await new RotationConfigStore(storage).set({ max_operations: 5_000_000, interval_seconds: 0, enabled: true });
    const again = new RotationConfigStore(storage);
    await again.load();
    expect(again.get()).toEqual({ max_operations: 5_000_000, interval_seconds: 0, enabled: true });
  });
});
