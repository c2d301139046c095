// ACL decision cost with 1,000 policies loaded into one ACL (the worst case: a token holding
// all of them). Run after `npm run build`:  node bench/acl.mjs
// Prints ns per decision for hits and misses, beside a baseline measured in the same run:
// the same decisions made by scanning every rule, as Vault does for `+` rules.
import { compileAcl, defaultPolicy, parsePolicy } from "../dist/core/policy/index.js";

const POLICIES = 1000;
const DECISIONS = 400_000;

function policyText(i) {
  const app = `app-${i}`;
  return `
path "secret/data/${app}/*" { capabilities = ["read", "list"] }
path "secret/metadata/${app}/*" { capabilities = ["list"] }
path "database/creds/${app}-ro" { capabilities = ["read"] }
path "kv/+/${app}/config" { capabilities = ["read"] }
path "transit/encrypt/${app}" {
  capabilities = ["update"]
  allowed_parameters = { "plaintext" = [], "context" = [] }
}
path "teams/team-${i % 50}/+/shared/*" { capabilities = ["read"] }
path "auth/token/lookup-self" { capabilities = ["read"] }
path "sys/leases/renew" { capabilities = ["update"] }
`;
}

const policies = [defaultPolicy()];
for (let i = 0; i < POLICIES; i++) policies.push(parsePolicy(`app-${i}`, policyText(i)));
const ruleCount = policies.reduce((n, p) => n + p.rules.length, 0);

const t0 = process.hrtime.bigint();
const acl = compileAcl(policies);
const compileMs = Number(process.hrtime.bigint() - t0) / 1e6;

// Deterministic request mixes.
let seed = 42;
const rand = (n) => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed % n;
};
const hits = [];
const misses = [];
for (let k = 0; k < 10_000; k++) {
  const i = rand(POLICIES);
  switch (k % 6) {
    case 0: hits.push({ path: `secret/data/app-${i}/db/password`, operation: "read" }); break;
    case 1: hits.push({ path: `database/creds/app-${i}-ro`, operation: "read" }); break;
    case 2: hits.push({ path: `kv/prod/app-${i}/config`, operation: "read" }); break;
    case 3: hits.push({ path: `transit/encrypt/app-${i}`, operation: "update", data: { plaintext: "aGk=" } }); break;
    case 4: hits.push({ path: `teams/team-${i % 50}/x/shared/doc`, operation: "read" }); break;
    default: hits.push({ path: `secret/metadata/app-${i}/`, operation: "list" });
  }
  switch (k % 5) {
    case 0: misses.push({ path: `secret/data/other-${i}/x`, operation: "read" }); break;
    case 1: misses.push({ path: `database/creds/app-${i}-rw`, operation: "read" }); break;
    case 2: misses.push({ path: `kv/prod/app-${i}/secrets`, operation: "read" }); break;
    case 3: misses.push({ path: `sys/mounts/app-${i}`, operation: "update" }); break;
    default: misses.push({ path: `secret/data/app-${i}/x`, operation: "delete" });
  }
}

// Sanity: the mixes are what they claim, or the figures mean nothing.
for (const r of hits) if (!acl.check(r).allowed) throw new Error(`expected a hit: ${r.path}`);
for (const r of misses) if (acl.check(r).allowed) throw new Error(`expected a miss: ${r.path}`);

function measure(requests, decide, count) {
  let allowed = 0;
  for (let k = 0; k < Math.min(count, 20_000); k++) if (decide(requests[k % requests.length]).allowed) allowed++; // warm-up
  const start = process.hrtime.bigint();
  for (let k = 0; k < count; k++) if (decide(requests[k % requests.length]).allowed) allowed++;
  const ns = Number(process.hrtime.bigint() - start) / count;
  return { ns, allowed };
}

// Baseline: one scan over every rule per decision (patterns pre-split, the path split once),
// choosing by the same precedence: the shape of Vault's loop over `+` rules.
const flat = [];
for (const p of policies) {
  for (const r of p.rules) {
    if (r.templated) continue;
    const pat = r.path;
    const isPrefix = pat.endsWith("*");
    const kind = pat.includes("+") ? "segment" : isPrefix ? "prefix" : "exact";
    const wc = isPrefix ? pat.slice(0, -1) : pat;
    flat.push({ r, pat, kind, isPrefix, wc, parts: wc.split("/"), firstPlus: pat.indexOf("+"), plusCount: wc.split("/").filter((x) => x === "+").length });
  }
}
function scanDecide(req) {
  const path = req.path;
  const got = path.split("/");
  let best;
  let bestKey;
  for (const f of flat) {
    let key;
    if (f.kind === "exact") {
      if (f.pat === path) key = [3, 0, 0, 0, f.pat];
    } else if (f.kind === "prefix") {
      if (path.startsWith(f.wc)) key = [1, f.wc.length, 1, 0, f.wc];
    } else if (got.length >= f.parts.length && (f.isPrefix || got.length === f.parts.length)) {
      let ok = true;
      for (let i = 0; i < f.parts.length && ok; i++) {
        const a = f.parts[i];
        ok = a === "+" || a === got[i] || (f.isPrefix && i === f.parts.length - 1 && got[i].startsWith(a));
      }
      if (ok) key = [1, f.firstPlus, f.isPrefix ? 1 : 0, f.plusCount, f.wc];
    }
    if (key && (!bestKey || better(key, bestKey))) {
      bestKey = key;
      best = f.r;
    }
  }
  const need = { read: "read", list: "list", update: "update", delete: "delete" }[req.operation];
  return { allowed: best !== undefined && best.capabilities.includes(need) };
}
function better(a, b) {
  if (a[0] !== b[0]) return a[0] > b[0];
  if (a[1] !== b[1]) return a[1] > b[1];
  if (a[2] !== b[2]) return a[2] < b[2];
  if (a[3] !== b[3]) return a[3] < b[3];
  return a[4].length !== b[4].length ? a[4].length > b[4].length : a[4] > b[4];
}

const decide = (r) => acl.check(r);
const hit = measure(hits, decide, DECISIONS);
const miss = measure(misses, decide, DECISIONS);
const scanCount = 20_000;
const scanHit = measure(hits, scanDecide, scanCount);
const scanMiss = measure(misses, scanDecide, scanCount);
const caps = measure(hits.map((h) => h.path), (p) => ({ allowed: acl.capabilities(p).length > 0 }), DECISIONS);

const fmt = (n) => n.toLocaleString("en-US", { maximumFractionDigits: 0 });
console.log(`policies ${POLICIES + 1}, rules ${fmt(ruleCount)}, compile ${compileMs.toFixed(1)} ms`);
console.log(`acl-hit    mayfly ${fmt(hit.ns)} ns/decision | rule scan ${fmt(scanHit.ns)} ns/decision | ratio ${(scanHit.ns / hit.ns).toFixed(0)}x`);
console.log(`acl-miss   mayfly ${fmt(miss.ns)} ns/decision | rule scan ${fmt(scanMiss.ns)} ns/decision | ratio ${(scanMiss.ns / miss.ns).toFixed(0)}x`);
console.log(`acl-caps   mayfly ${fmt(caps.ns)} ns/capabilities() call`);
const worst = Math.max(hit.ns, miss.ns);
console.log(`budget 20,000 ns/decision: ${worst <= 20_000 ? "met" : "MISSED"} (worst ${fmt(worst)} ns)`);
