// Summarises a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self
// time, and the most inclusive time per function, so a benchmark's hotspots can be read
// without a browser.
//   node bench/lib/profile-summary.mjs FILE.cpuprofile [--top 30] [--filter TEXT] [--requests N]
//                                      [--callers NAME]   (who calls NAME, with its self time)
//                                      [--timeline] [--from S] [--to S]   (busy ms per second of
//                                      the profile; keep only samples between S seconds from its start)
// Percentages are of busy time (samples that were not idle). With --requests, each row also
// gives microseconds per request. The profiler samples wall time, so on a loaded machine a
// system call during which the process was descheduled (writev, write) looks costlier than
// its CPU time.
import { readFileSync } from "node:fs";

const file = process.argv[2];
const top = Number(process.argv[process.argv.indexOf("--top") + 1]) || 30;
const filterIndex = process.argv.indexOf("--filter");
const filter = filterIndex === -1 ? "" : process.argv[filterIndex + 1];
const requestsIndex = process.argv.indexOf("--requests");
const requests = requestsIndex === -1 ? 0 : Number(process.argv[requestsIndex + 1]);
const profile = JSON.parse(readFileSync(file, "utf8"));

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const option = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : Number(process.argv[i + 1]);
};
const fromUs = (option("from") ?? 0) * 1e6;
const toUs = (option("to") ?? Infinity) * 1e6;

// Self time per node from the sample stream.
const selfUs = new Map();
const deltas = profile.timeDeltas;
const busyPerSecond = [];
let atUs = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  atUs += deltas[i] ?? 0;
  if (atUs < fromUs || atUs > toUs) continue;
  const us = deltas[i + 1] ?? 0;
  selfUs.set(id, (selfUs.get(id) ?? 0) + us);
  if (byId.get(id).callFrame.functionName !== "(idle)") {
    const second = Math.floor(atUs / 1e6);
    busyPerSecond[second] = (busyPerSecond[second] ?? 0) + us;
  }
}
if (process.argv.includes("--timeline")) {
  console.log("busy ms per second of the profile:");
  console.log(Array.from(busyPerSecond, (us, s) => `${s}:${Math.round((us ?? 0) / 1000)}`).join(" "));
}
let totalUs = 0;
let idleUs = 0;
for (const [id, us] of selfUs) {
  totalUs += us;
  if (byId.get(id).callFrame.functionName === "(idle)") idleUs += us;
}
const busyUs = totalUs - idleUs;

const label = (n) => {
  const f = n.callFrame;
  const where = f.url ? f.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, "$1/").replace(/^node:/, "node:") : "";
  return `${f.functionName || "(anonymous)"} ${where}${where ? `:${f.lineNumber + 1}` : ""}`;
};

const self = new Map();
const inclusive = new Map();
for (const [id, us] of selfUs) {
  const node = byId.get(id);
  self.set(label(node), (self.get(label(node)) ?? 0) + us);
  // Each distinct function on the stack gets the sample once (recursion counted once).
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur));
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + us);
  }
}

const print = (title, map) => {
  console.log(`\n${title}: % of ${(busyUs / 1000).toFixed(0)} ms busy (${(idleUs / 1000).toFixed(0)} ms idle)${requests ? `, µs per request over ${requests} requests` : ""}`);
  const rows = [...map].filter(([l]) => l.includes(filter) && !l.startsWith("(idle)") && !l.startsWith("(root)")).sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [l, us] of rows) {
    const perRequest = requests ? `${(us / requests).toFixed(1).padStart(7)} µs  ` : "";
    console.log(`${((100 * us) / busyUs).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${perRequest}${l}`);
  }
};
const callersIndex = process.argv.indexOf("--callers");
if (callersIndex !== -1) {
  const name = process.argv[callersIndex + 1];
  // The stack above each sample of NAME, cut at the first frame from dist/ (Mayfly's own code).
  const chains = new Map();
  for (const [id, us] of selfUs) {
    if (byId.get(id).callFrame.functionName !== name) continue;
    const chain = [];
    for (let cur = parent.get(id); cur !== undefined && chain.length < 12; cur = parent.get(cur)) {
      const l = label(byId.get(cur));
      chain.push(l);
      if (l.includes("dist/")) break;
    }
    const key = chain.join(" < ");
    chains.set(key, (chains.get(key) ?? 0) + us);
  }
  print(`callers of ${name}`, chains);
} else {
  print("self time", self);
  print("inclusive time", inclusive);
}
