import { runInNewContext } from "node:vm";
import { TRACKING_SCRIPT } from "./tracking-script";

interface Sent {
  endpoint: string;
  body: string;
}

/** Runs the script in a pretend browser and returns what it sent. */
function run(navigatorProps: Record<string, unknown> = {}, scriptSrc = "https://stats.honour.example/js/honour.js") {
  const sent: Sent[] = [];
  const listeners: Record<string, (() => void)[]> = {};
  const history = { pushState: (_s: unknown, _t: string, url: string) => (location.href = url) };
  const location = { href: "https://honour.example/pricing?utm_source=x" };
  const window: Record<string, unknown> = {
    location,
    history,
    addEventListener: (name: string, fn: () => void) => (listeners[name] ??= []).push(fn),
  };
  const context = {
    window,
    navigator: {
      sendBeacon: (endpoint: string, body: string) => {
        sent.push({ endpoint, body });
        return true;
      },
      ...navigatorProps,
    },
    document: {
      referrer: "https://www.google.co.uk/",
      visibilityState: "visible",
      currentScript: { src: scriptSrc, getAttribute: () => null },
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
    },
    JSON,
  };
  runInNewContext(TRACKING_SCRIPT, context);
  return { sent, history, listeners };
}

describe("the tracking script", () => {
  it("sends the page and the referrer to /api/event beside the script", () => {
    const { sent } = run();

    expect(sent).toEqual([
      {
        endpoint: "https://stats.honour.example/api/event",
        body: JSON.stringify({
          url: "https://honour.example/pricing?utm_source=x",
          referrer: "https://www.google.co.uk/",
        }),
      },
    ]);
  });

  it("sends a view for each single-page navigation", () => {
    const { sent, history } = run();

    history.pushState({}, "", "https://honour.example/about");

    expect(sent).toHaveLength(2);
    expect(JSON.parse(sent[1]!.body)).toEqual({
      url: "https://honour.example/about",
      referrer: "https://honour.example/pricing?utm_source=x",
    });
  });

  it.each([
    ["Do Not Track", { doNotTrack: "1" }],
    ["Do Not Track (old Firefox)", { doNotTrack: "yes" }],
    ["Global Privacy Control", { globalPrivacyControl: true }],
  ])("sends nothing at all with %s on", (_name, props) => {
    const { sent, history } = run(props);
    history.pushState({}, "", "https://honour.example/about");

    expect(sent).toEqual([]);
  });

  it("falls back to /api/event on the page's own site when loaded from elsewhere", () => {
    expect(run({}, "https://cdn.example/bundle.js").sent[0]!.endpoint).toBe("/api/event");
  });

  it("is plain ES5: no arrow functions, let, const or template strings", () => {
    expect(TRACKING_SCRIPT).not.toMatch(/=>|\blet\b|\bconst\b|`/);
  });
});
