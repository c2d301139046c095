/**
 * `sys/host-info`: the host this server runs on, in the shape Vault reports (gopsutil's
 * field names), as far as Node's `os` and `fs.statfs` can tell. What Node cannot see
 * (CPU vendor and flags, process count, other partitions) is left out rather than faked.
 */
import { statfsSync, type StatsFs } from "node:fs";
import os from "node:os";
import { definePath, type PathDef } from "../framework/types.js";

/** statfs `type` magic numbers of common Linux filesystems. */
const FS_TYPES: Readonly<Record<number, string>> = {
  0xef53: "ext4",
  0x58465342: "xfs",
  0x9123683e: "btrfs",
  0x01021994: "tmpfs",
  0x794c7630: "overlay",
  0x6969: "nfs",
  0x2fc12fc1: "zfs",
  0x65735546: "fuse",
};

export interface DiskUsage {
  path: string;
  fstype: string;
  total: number;
  free: number;
  used: number;
  usedPercent: number;
  inodesTotal: number;
  inodesUsed: number;
  inodesFree: number;
  inodesUsedPercent: number;
}

function percent(part: number, whole: number): number {
  return whole > 0 ? (part / whole) * 100 : 0;
}

/** Disk usage as gopsutil computes it: `free` is what an unprivileged user may still use. */
export function diskUsage(path: string, s: Pick<StatsFs, "type" | "bsize" | "blocks" | "bfree" | "bavail" | "files" | "ffree">): DiskUsage {
  const total = s.blocks * s.bsize;
  const free = s.bavail * s.bsize;
  const used = (s.blocks - s.bfree) * s.bsize;
  const inodesUsed = s.files - s.ffree;
  return {
    path,
    fstype: FS_TYPES[s.type] ?? "",
    total,
    free,
    used,
    usedPercent: percent(used, used + free),
    inodesTotal: s.files,
    inodesUsed,
    inodesFree: s.ffree,
    inodesUsedPercent: percent(inodesUsed, s.files),
  };
}

export interface HostInfo {
  data: Record<string, unknown>;
  warnings: string[];
}

/** Collects what can be collected; a part that fails becomes a warning, as in Vault. */
export function collectHostInfo(nowMs: number, diskPaths: readonly string[] = ["/"]): HostInfo {
  const warnings: string[] = [];
  const cpus = os.cpus();
  const cpu = cpus.map((c, i) => ({ cpu: i, modelName: c.model, mhz: c.speed, cores: 1 }));
  // gopsutil reports CPU times in seconds; Node in milliseconds.
  const cpuTimes = cpus.map((c, i) => ({
    cpu: `cpu${i}`,
    user: c.times.user / 1000,
    system: c.times.sys / 1000,
    idle: c.times.idle / 1000,
    nice: c.times.nice / 1000,
    irq: c.times.irq / 1000,
  }));
  const disk: DiskUsage[] = [];
  for (const path of diskPaths) {
    try {
      disk.push(diskUsage(path, statfsSync(path)));
    } catch (err) {
      warnings.push(`could not read disk usage of ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  const uptimeSeconds = Math.floor(os.uptime());
  const total = os.totalmem();
  const available = os.freemem();
  return {
    data: {
      cpu,
      cpu_times: cpuTimes,
      disk,
      host: {
        hostname: os.hostname(),
        uptime: uptimeSeconds,
        bootTime: Math.floor(nowMs / 1000) - uptimeSeconds,
        os: os.platform(),
        kernelVersion: os.release(),
        kernelArch: os.machine(),
        platformVersion: os.version(),
      },
      memory: {
        total,
        available,
        free: available,
        used: total - available,
        usedPercent: percent(total - available, total),
      },
      timestamp: new Date(nowMs).toISOString(),
    },
    warnings,
  };
}

export function hostInfoPaths(): PathDef[] {
  return [
    definePath({
      pattern: "host-info",
      help: `Report the host this server runs on: CPUs, CPU times, disk usage, host and memory.

The figures are what Node's os module and statfs can see, in the field names Vault uses:
per logical CPU its model, speed and one core, and its user, system, idle, nice and irq
seconds; the disk usage of / only; the host's name, uptime, boot time, OS and kernel;
memory total, available (the same as free), used and usedPercent. A part that cannot be
read is left out with a warning. Needs a policy that grants it; sudo is not needed.`,
      operations: {
        read: async (req) => {
          const info = collectHostInfo(req.nowMs);
          return { data: info.data, ...(info.warnings.length > 0 ? { warnings: info.warnings } : {}) };
        },
      },
    }),
  ];
}
