import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { RequestMetrics } from "./request-metrics.js";

/** prom-client's own classes, configured as Mayfly's series were before they were kept by hand. */
function promClientSeries(registry: Registry) {
  const seconds = new Histogram({
    name: "mayfly_request_duration_seconds",
    help: "Time to serve a request, by mount and operation",
    labelNames: ["mount", "operation"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const count = new Counter({
    name: "mayfly_requests_total",
    help: "Requests served, by mount, operation and HTTP status",
    labelNames: ["mount", "operation", "code"],
    registers: [registry],
  });
  return (mount: string, operation: string, code: number, s: number) => {
    seconds.labels(mount, operation).observe(s);
    count.labels(mount, operation, String(code)).inc();
  };
}

describe("request metrics", () => {
  it("scrape as prom-client's Histogram and Counter would for the same requests", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const metrics = new RequestMetrics(ours);
    const observe = promClientSeries(theirs);
    const requests: [string, string, number, number][] = [
      ["secret/", "read", 200, 0.0004],
      ["secret/", "read", 200, 0.0005], // on a bound: counted in that bucket
      ["secret/", "read", 404, 0.003],
      ["sys/", "update", 204, 0.2],
      ["secret/", "list", 200, 7],
      ['we"ird\\mount/', "read", 403, 0.00001],
      ["secret/", "read", 500, 0.001], // a new code of an early series, seen last
    ];
    for (const [m, op, code, s] of requests) {
      metrics.observe(m, op, code, s);
      observe(m, op, code, s);
    }
    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('mayfly_request_duration_seconds_bucket{le="0.0005",mount="secret/",operation="read"} 2');
    expect(text).toContain('mayfly_requests_total{mount="secret/",operation="read",code="404"} 1');
  });
});
