import { Agent } from "node:http";
import { beacon, countViews, openFaultBed, printFigures, send, sleep, type Answer, type FaultBed } from "./fault-bed";

const LOAD_MS = 30_000;
const CUT_AT_MS = 10_000;
const CUT_MS = 10_000;
const CONCURRENCY = 8;

describe("database cut during ingest", () => {
  let bed: FaultBed;
  beforeAll(async () => {
    bed = await openFaultBed();
  });
  afterAll(() => bed?.close());

  it("counts every accepted page view exactly once, answers 503 or 202 at once, and is ready again soon after", async () => {
    const { proxy, gateway, direct } = bed;
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    let cutAt = Infinity;
    let restoredAt = Infinity;

    // The load: a bounded loop of beacons, each for a page of its own, so a lost or doubled one shows.
    const accepted: string[] = [];
    const answers: (Answer & { at: number })[] = [];
    let next = 0;
    const loop = async () => {
      while (elapsed() < LOAD_MS) {
        const path = `/fault/${next++}`;
        const { headers, body } = beacon(path);
        const at = elapsed();
        const answer = await send(agent, `${gateway.url}/api/event`, {
          method: "POST",
          headers,
          body,
          timeoutMs: 10_000,
        });
        answers.push({ ...answer, at });
        if (answer.status === 202) accepted.push(path);
      }
    };

    // Readiness, polled on a connection of its own.
    const readyAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    const readiness: { at: number; status: number; ms: number }[] = [];
    const poll = async () => {
      while (elapsed() < LOAD_MS) {
        const at = elapsed();
        const answer = await send(readyAgent, `${gateway.url}/readyz`, { timeoutMs: 10_000 });
        readiness.push({ at, status: answer.status, ms: answer.ms });
        await sleep(100);
      }
    };

    const fault = async () => {
      await sleep(CUT_AT_MS);
      await proxy.cut();
      cutAt = elapsed();
      await sleep(CUT_MS);
      await proxy.restore();
      restoredAt = elapsed();
    };

    await Promise.all([...Array.from({ length: CONCURRENCY }, loop), poll(), fault()]);

    // Graceful stop: the gateway writes what is still buffered before it exits.
    gateway.child.kill("SIGTERM");
    const { code } = await gateway.exited;
    agent.destroy();
    readyAgent.destroy();

    const counts = await countViews(direct);
    let lost = 0;
    let doubled = 0;
    for (const path of accepted) {
      const n = counts.get(path) ?? 0;
      if (n === 0) lost += 1;
      if (n > 1) doubled += n - 1;
    }
    const counted = [...counts.values()].reduce((a, b) => a + b, 0);
    const during = answers.filter((a) => a.at >= cutAt && a.at < restoredAt);
    const refused = answers.filter((a) => a.status === 503);
    const failed = answers.filter((a) => a.status !== 202 && a.status !== 503);
    const slowest = answers.reduce((most, a) => Math.max(most, a.ms), 0);
    // Readiness: not ready while away (after the first answer that had a chance to notice), ready soon after.
    const away = readiness.filter((r) => r.at >= cutAt + 500 && r.at + r.ms < restoredAt);
    const readyWhileAway = away.filter((r) => r.status === 200).length;
    const readyAgain = readiness.find((r) => r.at >= restoredAt && r.status === 200);
    const readyAfterMs = readyAgain ? Math.round(readyAgain.at + readyAgain.ms - restoredAt) : -1;
    const slowestReadyz = readiness.reduce((most, r) => Math.max(most, r.ms), 0);

    printFigures("database cut 10 s during 30 s of ingest", {
      sent: answers.length,
      accepted: accepted.length,
      acceptedWhileAway: during.filter((a) => a.status === 202).length,
      refused503: refused.length,
      other: failed.length,
      counted,
      lost,
      doubled,
      slowestMs: Math.round(slowest),
      readyzNotReadyWhileAway: `${away.length - readyWhileAway}/${away.length}`,
      readyAgainMs: readyAfterMs,
      slowestReadyzMs: Math.round(slowestReadyz),
      exit: String(code),
    });

    if (failed.length > 0) console.error(failed.slice(0, 5));
    expect(failed).toEqual([]);
    for (const answer of refused) {
      expect(answer.headers["retry-after"]).toMatch(/^\d+$/);
      expect(JSON.parse(answer.body)).toMatchObject({ code: expect.any(String) });
    }
    expect(slowest).toBeLessThan(5000);
    expect(accepted.length).toBeGreaterThan(1000);
    expect(during.length).toBeGreaterThan(100); // the load went on while the database was away
    expect(lost).toBe(0);
    expect(doubled).toBe(0);
    expect(counted).toBe(accepted.length);
    expect(away.length).toBeGreaterThan(10);
    expect(readyWhileAway).toBe(0);
    expect(slowestReadyz).toBeLessThan(5000);
    expect(readyAfterMs).toBeGreaterThanOrEqual(0);
    expect(readyAfterMs).toBeLessThan(5000);
    expect(code).toBe(0);
  });
});
