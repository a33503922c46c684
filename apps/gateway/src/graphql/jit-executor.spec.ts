import { buildSchema, GraphQLError, parse, type GraphQLSchema } from "graphql";
import { jitExecution } from "./jit-executor";

class Refused extends Error {}

const schema: GraphQLSchema = buildSchema(`
  input Filter { word: String! = "all" }
  input Plain { word: String! }
  type Query {
    hello(name: String = "you"): String!
    refused: String
    required: String!
    filtered(filter: Filter): String!
    plain(input: Plain!): String!
  }
`);
const root = {
  hello: ({ name }: { name: string }) => `hello ${name}`,
  refused: () => {
    throw new Refused("no");
  },
  required: () => null,
  filtered: ({ filter }: { filter?: { word: string } }) => filter?.word ?? "none",
  plain: ({ input }: { input: { word: string } }) => input.word,
};
// Resolvers on the schema itself, as type-graphql builds them.
for (const [name, resolve] of Object.entries(root)) {
  schema.getQueryType()!.getFields()[name]!.resolve = (_source, args) => (resolve as (a: unknown) => unknown)(args);
}

async function run(query: string, variables?: Record<string, unknown>) {
  const { gateway, stats } = jitExecution(schema);
  gateway.onSchemaLoadOrUpdate(() => {});
  const executor = (await gateway.load({ apollo: { key: undefined, keyHash: undefined, graphRef: undefined } }))
    .executor!;
  const document = parse(query);
  const execute = () =>
    executor({ document, request: { query, variables }, context: {} } as unknown as Parameters<typeof executor>[0]);
  return { first: await execute(), second: await execute(), stats };
}

describe("jitExecution", () => {
  it("compiles a document once and runs it for every request, with argument defaults", async () => {
    const { first, second, stats } = await run(`{ hello a: hello(name: "Ada") }`);
    expect(first).toEqual({ data: { hello: "hello you", a: "hello Ada" } });
    expect(second).toEqual(first);
    expect(stats).toEqual({ compiled: 1, jit: 2, fallback: 0 });
  });

  it("hands resolver errors back as graphql-js errors with the original error, its path and locations", async () => {
    const { first, stats } = await run(`{ refused required }`);
    // required is non-null and resolved null: the whole data goes null, as graphql-js does.
    expect(first.data).toBeNull();
    const errors = first.errors as GraphQLError[];
    expect(errors).toHaveLength(2);
    for (const error of errors) {
      expect(error).toBeInstanceOf(GraphQLError);
      expect(error.constructor).toBe(GraphQLError);
      expect(error.extensions).toEqual({});
    }
    const refused = errors.find((e) => e.path?.[0] === "refused")!;
    expect(refused.originalError).toBeInstanceOf(Refused);
    expect(refused.locations).toEqual([{ line: 1, column: 3 }]);
    expect(errors.find((e) => e.path?.[0] === "required")!.message).toMatch(/non-nullable field Query.required/);
    expect(stats.jit).toBe(2);
  });

  it("leaves variables that do not fit their types to graphql-js, which words the error", async () => {
    const { first, stats } = await run(`query ($input: Plain!) { plain(input: $input) }`, { input: { word: 3 } });
    expect(first.data).toBeUndefined();
    expect((first.errors as GraphQLError[])[0]!.message).toBe(
      'Variable "$input" got invalid value 3 at "input.word"; String cannot represent a non string value: 3',
    );
    expect(stats).toEqual({ compiled: 1, jit: 0, fallback: 2 });
  });

  it("runs by graphql-js an operation whose input variables have field defaults (graphql-jit refuses them)", async () => {
    const { first, stats } = await run(`query ($f: Filter) { filtered(filter: $f) }`, { f: {} });
    expect(first).toEqual({ data: { filtered: "all" } });
    expect(stats).toEqual({ compiled: 0, jit: 0, fallback: 2 });
  });

  it("runs introspection by graphql-js", async () => {
    const { first, stats } = await run(`{ __schema { queryType { name } } }`);
    expect(first).toEqual({ data: { __schema: { queryType: { name: "Query" } } } });
    expect(stats).toEqual({ compiled: 0, jit: 0, fallback: 2 });
  });
});
