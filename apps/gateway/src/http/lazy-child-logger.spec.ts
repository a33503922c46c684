import { Writable } from "node:stream";
import pino from "pino";
import type { FastifyBaseLogger } from "fastify";
import { loggerOptions } from "../observability/logger";
import { lazyChildLogger } from "./http-server";

function logger(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { root: pino(loggerOptions(level), sink), lines };
}

describe("a request's lazy child logger", () => {
  it("writes what the level lets through with the request's bindings, redacted as the root logger would", () => {
    const { root, lines } = logger("info");
    const log = lazyChildLogger(root, root as unknown as FastifyBaseLogger, { reqId: "req-7" }, {});
    log.debug("not at info");
    log.info({ user: { password: "hunter2" } }, "hello");
    log.warn("careful");
    expect(lines.map((l) => [l.msg, l.reqId])).toEqual([
      ["hello", "req-7"],
      ["careful", "req-7"],
    ]);
    expect(JSON.stringify(lines[0])).not.toContain("hunter2");
    expect(log.level).toBe("info");
  });

  it("follows a route's own level, and makes grandchildren", () => {
    const { root, lines } = logger("info");
    const log = lazyChildLogger(root, root as unknown as FastifyBaseLogger, { reqId: "req-8" }, { level: "debug" });
    log.debug("route at debug");
    log.trace("below it");
    log.child({ step: "inner" }).info("nested");
    expect(lines.map((l) => [l.msg, l.reqId, l.step])).toEqual([
      ["route at debug", "req-8", undefined],
      ["nested", "req-8", "inner"],
    ]);
  });
});
