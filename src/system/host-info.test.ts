import { cpus, totalmem } from "node:os";
import { describe, expect, it } from "vitest";
import { collectHostInfo, diskUsage } from "./host-info.js";

describe("diskUsage", () => {
  it("computes sizes as gopsutil does: free is what remains for unprivileged users", () => {
    const u = diskUsage("/data", { type: 0xef53, bsize: 4096, blocks: 1000, bfree: 300, bavail: 250, files: 500, ffree: 400 });
    expect(u).toEqual({
      path: "/data",
      fstype: "ext4",
      total: 4_096_000,
      free: 1_024_000,
      used: 2_867_200,
      usedPercent: (2_867_200 / (2_867_200 + 1_024_000)) * 100,
      inodesTotal: 500,
      inodesUsed: 100,
      inodesFree: 400,
      inodesUsedPercent: 20,
    });
  });

  it("names unknown filesystems with an empty type and survives empty ones", () => {
    const u = diskUsage("/x", { type: 0x1234, bsize: 512, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0 });
    expect(u.fstype).toBe("");
    expect(u.usedPercent).toBe(0);
    expect(u.inodesUsedPercent).toBe(0);
  });
});

describe("collectHostInfo", () => {
  it("reports this host, and a warning (not a failure) for a path it cannot stat", () => {
    const nowMs = Date.now();
    const info = collectHostInfo(nowMs, ["/", "/no/such/mayfly/path"]);
    expect(info.data.cpu).toHaveLength(cpus().length);
    expect((info.data.memory as { total: number }).total).toBe(totalmem());
    expect(info.data.disk).toHaveLength(1);
    expect(info.warnings).toHaveLength(1);
    expect(info.warnings[0]).toMatch(/\/no\/such\/mayfly\/path: ENOENT/);
    expect(info.data.timestamp).toBe(new Date(nowMs).toISOString());
  });
});
