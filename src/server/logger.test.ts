import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, detachedLevelControl, logLevelControl, silentLogger } from "./logger.js";

function sink(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString("utf8"));
      cb();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe("log level control", () => {
  it("changes what createLogger's logger writes, and reports the configured level", async () => {
    const out = sink();
    const logger = createLogger("info", out.stream);
    const control = logLevelControl(logger);
    expect(control).toBeDefined();
    if (!control) return;
    expect(control.configuredLevel).toBe("info");
    expect(control.level()).toBe("info");

    logger.debug("hidden at info");
    control.setLevel("debug");
    expect(control.level()).toBe("debug");
    logger.debug("shown at debug");
    control.setLevel("error");
    logger.warn("hidden at error");
    logger.error("shown at error");
    control.setLevel(control.configuredLevel);
    logger.info("shown at info again");
    await new Promise((ok) => setImmediate(ok));

    expect(out.lines().map((l) => l.msg)).toEqual(["shown at debug", "shown at error", "shown at info again"]);
  });

  it("has no control for other loggers; a detached one only remembers its level", () => {
    expect(logLevelControl(silentLogger)).toBeUndefined();
    const d = detachedLevelControl("warn");
    d.setLevel("trace");
    expect(d.level()).toBe("trace");
    expect(d.configuredLevel).toBe("warn");
  });
});
