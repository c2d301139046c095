// V8's sampling heap profiler over a stretch of work, counting every sampled allocation,
// also of objects that died young: where the garbage collector's work per operation comes
// from. Shared by the allocation diagnosis aids (kv-read-allocations, issue-breakdown).
import { Session } from "node:inspector/promises";

/** Starts sampling this process; `stop(ops)` returns the bytes per op, in all and by frame. */
export async function startHeapSampling() {
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return {
    async stop(ops) {
      const { profile } = await session.post("HeapProfiler.stopSampling");
      session.disconnect();
      // Self bytes per function (the frame that allocated) and its caller, and the total.
      const byFrame = new Map();
      let total = 0;
      const walk = (node, caller) => {
        const f = node.callFrame;
        const name = `${f.functionName || "(anonymous)"} ${f.url.replace(/^.*\/(dist|node_modules)\//, "$1/")}:${f.lineNumber + 1}`;
        if (node.selfSize > 0) {
          total += node.selfSize;
          const key = `${name}  <  ${caller}`;
          byFrame.set(key, (byFrame.get(key) ?? 0) + node.selfSize);
        }
        for (const c of node.children) walk(c, name);
      };
      walk(profile.head, "");
      return {
        bytesPerOp: total / ops,
        frames: [...byFrame].sort((a, b) => b[1] - a[1]).map(([frame, bytes]) => ({ frame, bytesPerOp: bytes / ops })),
      };
    },
  };
}
