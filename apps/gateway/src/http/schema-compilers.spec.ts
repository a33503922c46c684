import Fastify from "fastify";
import { deferredSchemaCompilers } from "./schema-compilers";

describe("deferredSchemaCompilers", () => {
  it("validate and serialise a route's schemas as Fastify's defaults do", async () => {
    const app = Fastify({ schemaController: { compilersFactory: deferredSchemaCompilers } });
    app.post(
      "/echo",
      {
        schema: {
          headers: { type: "object", required: ["x-tenant"], properties: { "x-tenant": { type: "string" } } },
          body: {
            type: "object",
            required: ["name"],
            properties: { name: { type: "string", minLength: 1 }, count: { type: "integer" } },
          },
          response: { 200: { type: "object", properties: { name: { type: "string" }, count: { type: "integer" } } } },
        },
      },
      // The response schema drops what it does not name.
      async (request) => ({ ...(request.body as object), secret: "not in the schema" }),
    );
    const url = `${await app.listen({ host: "127.0.0.1", port: 0 })}/echo`;
    const post = (body: unknown, headers: Record<string, string> = { "x-tenant": "a" }) =>
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      });
    try {
      const ok = await post({ name: "Ada", count: "3" });
      expect(ok.status).toBe(200);
      // ajv's default coercion ("3" → 3), and fast-json-stringify's serialisation by the schema.
      expect(await ok.text()).toBe('{"name":"Ada","count":3}');

      const badBody = await post({ name: "" });
      expect(badBody.status).toBe(400);
      expect(await badBody.json()).toMatchObject({
        code: "FST_ERR_VALIDATION",
        message: expect.stringContaining("body/name"),
      });

      const noHeader = await post({ name: "Ada" }, {});
      expect(noHeader.status).toBe(400);
      expect(((await noHeader.json()) as { message: string }).message).toContain("x-tenant");
    } finally {
      await app.close();
    }
  });
});
