import { MeDocument } from "./generated/graphql";
import { persistedDocumentIds } from "./generated/persisted-documents";
import { createHonourClient } from "./honour-client";
import { HonourError } from "./honour-error";

interface Sent {
  url: string;
  init: RequestInit;
}

/** A fetch that answers each call with the next of `answers` and records what was sent. */
function fakeFetch(answers: Response[]): { fetch: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    sent.push({ url, init });
    const answer = answers.shift();
    if (!answer) throw new Error("no more answers");
    return answer;
  }) as unknown as typeof globalThis.fetch;
  return { fetch, sent };
}

function json(body: unknown, init: ResponseInit = {}): Response {
  return new Response(JSON.stringify(body), {
    ...init,
    headers: { "content-type": "application/json", ...(init.headers as Record<string, string>) },
  });
}

const headersOf = (sent: Sent) => sent.init.headers as Record<string, string>;

describe("createHonourClient", () => {
  it("posts JSON with the operation name and the partner's key", async () => {
    const { fetch, sent } = fakeFetch([json({ data: { me: null } })]);
    const honour = createHonourClient({ url: "http://gw/graphql", apiKey: "hpk_secret", fetch });
    await honour.request(MeDocument);
    expect(sent[0]!.init.method).toBe("POST");
    expect(headersOf(sent[0]!)["content-type"]).toBe("application/json");
    expect(headersOf(sent[0]!).authorization).toBe("Bearer hpk_secret");
    expect(sent[0]!.init.credentials).toBe("include");
    const body = JSON.parse(String(sent[0]!.init.body));
    expect(body.operationName).toBe("Me");
    // A shipped document goes as its trusted document id, never as text.
    expect(body.documentId).toBe(persistedDocumentIds.get(MeDocument));
    expect(body.documentId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(body.query).toBeUndefined();
  });

  it("sends the text when asked to, and once when the gateway does not know the id", async () => {
    const untrusting = fakeFetch([json({ data: { me: null } })]);
    await createHonourClient({ url: "http://gw/graphql", fetch: untrusting.fetch, trustedDocuments: false }).request(
      MeDocument,
    );
    expect(JSON.parse(String(untrusting.sent[0]!.init.body)).query).toContain("query Me");

    const older = fakeFetch([
      json({ errors: [{ message: "unknown", extensions: { code: "PERSISTED_QUERY_NOT_FOUND" } }] }, { status: 400 }),
      json({ data: { me: null } }),
    ]);
    expect(await createHonourClient({ url: "http://gw/graphql", fetch: older.fetch }).request(MeDocument)).toEqual({
      me: null,
    });
    expect(older.sent.map((s) => Object.keys(JSON.parse(String(s.init.body))).sort())).toEqual([
      ["documentId", "operationName", "variables"],
      ["operationName", "query", "variables"],
    ]);
  });

  it("keeps the session cookie outside browsers and forgets it when the server expires it", async () => {
    const { fetch, sent } = fakeFetch([
      json({ data: { me: null } }, { headers: { "set-cookie": "honour_session=abc; Path=/; HttpOnly" } }),
      json({ data: { me: null } }, { headers: { "set-cookie": "honour_session=; Max-Age=0; Path=/" } }),
      json({ data: { me: null } }),
    ]);
    const honour = createHonourClient({ url: "http://gw/graphql", fetch });
    await honour.request(MeDocument);
    await honour.request(MeDocument);
    await honour.request(MeDocument);
    expect(headersOf(sent[0]!).cookie).toBeUndefined();
    expect(headersOf(sent[1]!).cookie).toBe("honour_session=abc");
    expect(headersOf(sent[2]!).cookie).toBeUndefined();
  });

  it("throws RATE_LIMITED with the wait the gateway named", async () => {
    const { fetch } = fakeFetch([
      json(
        {
          data: null,
          errors: [{ message: "Too many attempts", extensions: { code: "RATE_LIMITED", retryAfterSeconds: 42 } }],
        },
        { headers: { "retry-after": "42" } },
      ),
    ]);
    const error = await createHonourClient({ url: "http://gw/graphql", fetch })
      .request(MeDocument)
      .catch((e) => e);
    expect(error).toBeInstanceOf(HonourError);
    expect(error.code).toBe("RATE_LIMITED");
    expect(error.retryAfterSeconds).toBe(42);
  });

  it("maps the gateway's HTTP envelope and pages that are not JSON to codes", async () => {
    const { fetch } = fakeFetch([
      json({ code: "PAYLOAD_TOO_LARGE", message: "The body is too large." }, { status: 413 }),
      new Response("<html>Bad gateway</html>", { status: 502 }),
    ]);
    const honour = createHonourClient({ url: "http://gw/graphql", fetch });
    const tooLarge = await honour.request(MeDocument).catch((e) => e);
    expect(tooLarge).toMatchObject({ code: "BAD_REQUEST", serverCode: "PAYLOAD_TOO_LARGE", status: 413 });
    const badGateway = await honour.request(MeDocument).catch((e) => e);
    expect(badGateway).toMatchObject({ code: "SERVICE_UNAVAILABLE", status: 502 });
  });

  it("keeps the partial data of an answer with errors", async () => {
    const { fetch } = fakeFetch([
      json({
        data: { me: { id: "1" } },
        errors: [{ message: "no", path: ["me", "x"], extensions: { code: "FORBIDDEN" } }],
      }),
    ]);
    const error = await createHonourClient({ url: "http://gw/graphql", fetch })
      .request(MeDocument)
      .catch((e) => e);
    expect(error).toMatchObject({ code: "FORBIDDEN", data: { me: { id: "1" } } });
  });

  it("follows endCursor until hasNextPage is false", async () => {
    const page = (ids: string[], endCursor: string | null, hasNextPage: boolean) =>
      json({ data: { myOrders: { nodes: ids.map((id) => ({ id })), pageInfo: { hasNextPage, endCursor } } } });
    const { fetch, sent } = fakeFetch([page(["a", "b"], "c1", true), page(["c"], "c2", false)]);
    const honour = createHonourClient({ url: "http://gw/graphql", fetch });
    const ids: string[] = [];
    for await (const order of honour.myOrders({ pageSize: 2 })) ids.push(order.id);
    expect(ids).toEqual(["a", "b", "c"]);
    expect(sent.map((s) => JSON.parse(String(s.init.body)).variables)).toEqual([
      { first: 2, after: null },
      { first: 2, after: "c1" },
    ]);
    expect(JSON.parse(String(sent[0]!.init.body)).operationName).toBe("MyOrders");
  });
});
