import { Agent } from "node:http";
import { beacon, countViews, openFaultBed, printFigures, send, sleep, type Answer, type FaultBed } from "./fault-bed";

const SIGNAL_AT_MS = 6_000;
const CONCURRENCY = 8;
/** The gateway's own limit (apps/gateway/src/main.ts): past it, it exits 1 whatever is left. */
const SHUTDOWN_GRACE_MS = 15_000;

describe("gateway SIGTERM under load", () => {
  let bed: FaultBed;
  beforeAll(async () => {
    // The load comes from one IP standing in for many visitors: on a quiet machine it sends more
    // than the site's 1 200 operations a minute per IP, and the 429s would hide what this measures
    // (the rate limits have tests of their own, apps/gateway/test/rate-limits.e2e-spec.ts).
    bed = await openFaultBed({ RATE_LIMIT_SITE_OPERATIONS: "0", RATE_LIMIT_SITE_COST: "0" });
  });
  afterAll(() => bed?.close());

  it("completes every request sent before the signal, writes every accepted page view, and exits 0 within the grace", async () => {
    const { gateway, direct } = bed;
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });

    // A customer, so that half the load is signed-in GraphQL reads.
    const registered = await send(agent, `${gateway.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: "mutation Register($input: RegisterInput!) { register(input: $input) { user { id } } }",
        variables: {
          input: { email: `sigterm-${Date.now()}@example.com`, password: "a sigterm password", name: "Sig Term" },
        },
      }),
    });
    expect(registered.status).toBe(200);
    const cookie = ([] as string[])
      .concat(registered.headers["set-cookie"] ?? [])
      .map((c) => c.split(";")[0])
      .join("; ");

    const started = performance.now();
    const elapsed = () => performance.now() - started;
    let signalAt = Infinity;
    let exitedAt = Infinity;
    void gateway.exited.then(({ at }) => (exitedAt = at - started));

    const answers: (Answer & { at: number; kind: "beacon" | "graphql"; path?: string })[] = [];
    let next = 0;
    const loop = async (n: number) => {
      // Until the gateway is gone: then every request fails at once, which ends the loop.
      while (elapsed() < exitedAt && elapsed() < SIGNAL_AT_MS + SHUTDOWN_GRACE_MS) {
        const at = elapsed();
        if (n % 2 === 0) {
          const path = `/sigterm/${next++}`;
          const { headers, body } = beacon(path);
          const answer = await send(agent, `${gateway.url}/api/event`, {
            method: "POST",
            headers,
            body,
            timeoutMs: 20_000,
          });
          answers.push({ ...answer, at, kind: "beacon", path });
        } else {
          const answer = await send(agent, `${gateway.url}/graphql`, {
            method: "POST",
            headers: { "content-type": "application/json", cookie },
            body: JSON.stringify({
              query: "query MeAndOrders { me { id email } myOrders(first: 5) { nodes { id } } }",
            }),
            timeoutMs: 20_000,
          });
          answers.push({ ...answer, at, kind: "graphql" });
        }
        if (at > signalAt && answers.at(-1)!.error) await sleep(20);
      }
    };
    const signal = async () => {
      await sleep(SIGNAL_AT_MS);
      signalAt = elapsed();
      gateway.child.kill("SIGTERM");
    };
    await Promise.all([...Array.from({ length: CONCURRENCY }, (_, n) => loop(n)), signal()]);
    const { code } = await gateway.exited;
    agent.destroy();

    const before = answers.filter((a) => a.at < signalAt);
    const after = answers.filter((a) => a.at >= signalAt);
    const failedBefore = before.filter((a) => a.error !== undefined || a.status >= 500);
    const wrongGraphql = before.filter(
      (a) => a.kind === "graphql" && !a.error && (a.status !== 200 || a.body.includes('"errors"')),
    );
    const accepted = answers.filter((a) => a.kind === "beacon" && a.status === 202).map((a) => a.path!);
    const counts = await countViews(direct);
    const lost = accepted.filter((p) => !counts.get(p)).length;
    const doubled = accepted.reduce((sum, p) => sum + Math.max(0, (counts.get(p) ?? 0) - 1), 0);

    printFigures("SIGTERM under load", {
      sentBeforeSignal: before.length,
      completedBeforeSignal: before.length - failedBefore.length,
      resetsBeforeSignal: before.filter((a) => a.error !== undefined).length,
      status5xxBeforeSignal: before.filter((a) => a.status >= 500).length,
      sentAfterSignal: after.length,
      answeredAfterSignal: after.filter((a) => !a.error).length,
      eventsAccepted: accepted.length,
      eventsLost: lost,
      eventsDoubled: doubled,
      exitMs: Math.round(exitedAt - signalAt),
      graceMs: SHUTDOWN_GRACE_MS,
      exit: String(code),
    });

    if (failedBefore.length > 0) console.error(failedBefore.slice(0, 5));
    expect(before.length).toBeGreaterThan(200);
    expect(failedBefore).toEqual([]);
    expect(wrongGraphql).toEqual([]);
    expect(accepted.length).toBeGreaterThan(100);
    expect(lost).toBe(0);
    expect(doubled).toBe(0);
    expect(code).toBe(0);
    expect(exitedAt - signalAt).toBeLessThan(SHUTDOWN_GRACE_MS);
  });
});
