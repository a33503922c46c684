import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { ApolloServer, type ApolloServerOptionsWithGateway, type BaseContext } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from "@as-integrations/fastify";
import Fastify from "fastify";
import { buildSchema, execute, isObjectType, type DocumentNode, type ExecutionResult } from "graphql";
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";

/**
 * The stack's floor (issue 18): what the layers the issue says to keep cost a request before any of
 * Honour's own work. Two servers answer one scenario's request with the JSON the gateway answered
 * (recorded by the scenario), doing nothing else:
 * - `FLOOR_MODE=apollo`: Fastify with Apollo Server 5 through @as-integrations/fastify, executing
 *   through graphql-jit compiled once per document (as the gateway does), on the gateway's own
 *   schema (`FLOOR_SCHEMA`, its schema.graphql), each root field resolving to the recorded value
 *   and every field below it to graphql's default property read;
 * - `FLOOR_MODE=http`: node:http parsing the body and writing the same JSON, as the baselines do.
 * The difference between their CPU per request is the stack's own, so a scenario's baseline CPU
 * over (that + the difference) is the best ratio a gateway on this stack could reach.
 * `FLOOR_ANSWER` is a file holding the gateway's answer (`{ data }`).
 */
const mode = process.env.FLOOR_MODE;
const answer = JSON.parse(readFileSync(process.env.FLOOR_ANSWER ?? "", "utf8")) as { data: Record<string, unknown> };

if (mode === "http") {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      JSON.parse(body);
      const json = JSON.stringify(answer);
      res.writeHead(200, {
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(json),
      });
      res.end(json);
    });
  });
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    console.log(`FLOOR_PORT=${typeof address === "object" && address ? address.port : ""}`);
  });
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
} else if (mode === "apollo") {
  void startApollo();
} else {
  throw new Error("FLOOR_MODE must be apollo or http");
}

async function startApollo(): Promise<void> {
  const schema = buildSchema(readFileSync(process.env.FLOOR_SCHEMA ?? "", "utf8"));
  for (const root of [schema.getQueryType(), schema.getMutationType()]) {
    if (!isObjectType(root)) continue;
    for (const [name, field] of Object.entries(root.getFields())) {
      if (name in answer.data) field.resolve = () => answer.data[name];
    }
  }

  type Gateway = ApolloServerOptionsWithGateway<BaseContext>["gateway"];
  type Executor = Awaited<ReturnType<Gateway["load"]>>["executor"];
  const compiled = new WeakMap<DocumentNode, CompiledQuery | null>();
  const executor: Executor = async ({ document, request, context }) => {
    let query = compiled.get(document);
    if (query === undefined) {
      const result = compileQuery(schema, document, request.operationName ?? undefined);
      query = isCompiledQuery(result) ? result : null;
      compiled.set(document, query);
    }
    if (query) return (await query.query(undefined, context, request.variables ?? {})) as ExecutionResult;
    return execute({ schema, document, contextValue: context, variableValues: request.variables ?? {} });
  };
  const gateway: Gateway = {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: "" });
      return () => {};
    },
    load: async () => ({ executor }),
    stop: async () => {},
  };

  const app = Fastify();
  const apollo = new ApolloServer<BaseContext>({
    gateway,
    plugins: [fastifyApolloDrainPlugin(app), ApolloServerPluginCacheControlDisabled()],
  });
  await apollo.start();
  app.route({ url: "/graphql", method: ["GET", "POST", "OPTIONS"], handler: fastifyApolloHandler(apollo) });
  const address = await app.listen({ port: 0, host: "127.0.0.1" });
  console.log(`FLOOR_PORT=${new URL(address).port}`);
  process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
}
