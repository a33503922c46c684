import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "@honour/testing";
import { startBuiltServer, type BuiltServer } from "./support/built-processes";

/**
 * What the gateway loads only when something uses it (issue 18, start-up): ajv and
 * fast-json-stringify's compiler (Fastify's error serialiser takes two small files of its `lib`).
 */
const DEFERRED =
  /\/node_modules\/(?:ajv|ajv-formats|@fastify\/ajv-compiler|@fastify\/fast-json-stringify-compiler)\/|\/fast-json-stringify\/index\.js$/;

describe("start-up: modules loaded on first use (built gateway)", () => {
  let dir: string;
  let server: BuiltServer | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "honour-modules-"));
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts and answers GraphQL without ajv, fast-json-stringify or (on SQLite) mysql2", async () => {
    // A preload that writes the process's loaded modules to a file on SIGUSR2.
    const listed = join(dir, "modules.json");
    const preload = join(dir, "list-modules.js");
    writeFileSync(
      preload,
      `process.on("SIGUSR2", () => require("node:fs").writeFileSync(${JSON.stringify(listed)}, JSON.stringify(Object.keys(require.cache))));\n`,
    );
    server = await startBuiltServer("sqlite", { NODE_OPTIONS: `--require ${preload}` });
    const gateway = server.gateway;
    const modules = async (): Promise<string[]> => {
      rmSync(listed, { force: true });
      gateway.child.kill("SIGUSR2");
      await waitFor(() => existsSync(listed), 10_000, 20);
      return JSON.parse(readFileSync(listed, "utf8")) as string[];
    };

    const atStart = await modules();
    // graphql-jit itself is loaded at start-up, not by the first request.
    expect(atStart.some((file) => file.includes("/node_modules/graphql-jit/"))).toBe(true);
    expect(atStart.some((file) => file.includes("/node_modules/fastify/"))).toBe(true);
    expect(atStart.filter((file) => DEFERRED.test(file))).toEqual([]);
    // On the embedded default no MySQL driver is needed at all.
    expect(atStart.filter((file) => file.includes("/node_modules/mysql2/"))).toEqual([]);

    // A query executed by graphql-jit, and a body Fastify parses and refuses.
    const post = (body: string) =>
      fetch(`${server!.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body });
    const answer = await post(JSON.stringify({ query: "query Typename { __typename }" }));
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ data: { __typename: "Query" } });
    const broken = await post("{ not json");
    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({ code: "BAD_REQUEST", message: expect.any(String) });

    expect((await modules()).filter((file) => DEFERRED.test(file))).toEqual([]);
  });

  it("graphql-jit's customJSONSerializer still loads and uses fast-json-stringify (built module, plain node)", () => {
    const script = `
      const { loadGraphqlJit } = require(${JSON.stringify(join(__dirname, "..", "dist", "graphql", "graphql-jit-module.js"))});
      const loaded = () => Object.keys(require.cache).filter((f) => f.includes("/node_modules/fast-json-stringify/")).length;
      const jit = loadGraphqlJit();
      const before = loaded();
      const { buildSchema, parse } = require("graphql");
      const schema = buildSchema("type Query { a: String! b: Int }");
      const compiled = jit.compileQuery(schema, parse("{ a b }"), undefined, { customJSONSerializer: true });
      const json = compiled.stringify({ data: { a: 'say "hi"', b: 2 } });
      // Whoever requires it afterwards gets the real module, not the stand-in.
      const real = require(require("node:module").createRequire(require.resolve("graphql-jit")).resolve("fast-json-stringify"));
      process.stdout.write(JSON.stringify({ before, after: loaded() > 0, json, restore: typeof real.restore }));
    `;
    const result = JSON.parse(
      execFileSync(process.execPath, ["-e", script], { cwd: join(__dirname, ".."), encoding: "utf8" }),
    );
    expect(result).toEqual({
      before: 0,
      after: true,
      json: '{"data":{"a":"say \\"hi\\"","b":2}}',
      restore: "function",
    });
  });
});
