import Module from "node:module";

type GraphqlJit = typeof import("graphql-jit");
type FastJson = (...args: unknown[]) => unknown;

let graphqlJit: GraphqlJit | undefined;

/**
 * graphql-jit, loaded without loading fast-json-stringify with it (issue 18, start-up).
 *
 * graphql-jit `require`s fast-json-stringify when it loads, for one option
 * (`customJSONSerializer`) that the gateway does not use: with its own copy of ajv and
 * ajv-formats, about 140 modules and 40–50 ms of every start. While graphql-jit loads, its
 * `require("fast-json-stringify")` finds in Node's module cache a stand-in function that loads the
 * real module the first time it is called and then calls it, so `customJSONSerializer` still
 * works. The stand-in is in the cache only while graphql-jit itself loads: nothing else sees it,
 * and a later `require("fast-json-stringify")` gets the real module. (Under jest, whose
 * `require.cache` is not the one modules are loaded from, graphql-jit simply loads it.)
 */
export function loadGraphqlJit(): GraphqlJit {
  if (graphqlJit) return graphqlJit;
  // require, not import(): loaded here on purpose, once, around the stand-in.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const jitRequire = Module.createRequire(require.resolve("graphql-jit"));
  const file = jitRequire.resolve("fast-json-stringify");
  if (require.cache[file]) return (graphqlJit = require("graphql-jit") as GraphqlJit);
  let real: FastJson | undefined;
  const standIn = new Module(file);
  standIn.filename = file;
  standIn.loaded = true;
  standIn.exports = function fastJson(...args: unknown[]): unknown {
    real ??= jitRequire("fast-json-stringify") as FastJson;
    return real(...args);
  };
  require.cache[file] = standIn;
  try {
    graphqlJit = require("graphql-jit") as GraphqlJit;
  } finally {
    if (require.cache[file] === standIn) delete require.cache[file];
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
  return graphqlJit;
}
