import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { InFlightRequests } from "./in-flight.js";

function fakeRequest(method: string, url: string, remoteAddress: string, remotePort: number): IncomingMessage {
  return { method, url, socket: { remoteAddress, remotePort } } as unknown as IncomingMessage;
}

describe("InFlightRequests", () => {
  it("shows each request from start until it finishes, with a stable id", () => {
    let now = Date.parse("2026-01-02T03:04:05.678Z");
    const tracker = new InFlightRequests(() => now);
    const doneA = tracker.start(fakeRequest("GET", "/v1/secret/data/app?version=2", "10.0.0.7", 5123));
    now += 1000;
    const doneB = tracker.start(fakeRequest("LIST", "/v1/sys/policies/acl", "::1", 40000));
    expect(tracker.size).toBe(2);

    const first = tracker.snapshot();
    const entries = Object.values(first);
    expect(entries).toContainEqual({
      start_time: "2026-01-02T03:04:05.678Z",
      client_remote_address: "10.0.0.7:5123",
      request_path: "/v1/secret/data/app",
      request_method: "GET",
      client_id: "",
    });
    expect(entries).toContainEqual(expect.objectContaining({ client_remote_address: "[::1]:40000", request_method: "LIST" }));
    expect(Object.keys(tracker.snapshot())).toEqual(Object.keys(first));

    doneA();
    const second = tracker.snapshot();
    expect(Object.values(second).map((e) => e.request_path)).toEqual(["/v1/sys/policies/acl"]);
    doneB();
    doneB();
    expect(tracker.snapshot()).toEqual({});
    expect(tracker.size).toBe(0);
  });

  it("finishing requests in any order leaves exactly the unfinished ones shown", () => {
    const tracker = new InFlightRequests(() => 0);
    const done = Array.from({ length: 40 }, (_, i) => tracker.start(fakeRequest("GET", `/v1/r/${i}`, "10.0.0.1", 1000 + i)));
    const open = new Set(done.keys());
    // A fixed shuffle: first, middle and last positions all get removed along the way.
    for (const i of [39, 0, 17, 18, 5, 38, 1, 22, 22, 30, 2, 11]) {
      done[i]?.();
      open.delete(i);
      const shown = Object.values(tracker.snapshot()).map((e) => Number(e.request_path.split("/").pop()));
      expect(shown.sort((a, b) => a - b)).toEqual([...open].sort((a, b) => a - b));
      expect(tracker.size).toBe(open.size);
    }
  });
});
